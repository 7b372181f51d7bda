"""Odd input on the sign-in, user and password forms: a message beside the field, never a 500.

On both backends: PostgreSQL refuses NUL in text and values longer than their column, where SQLite
would store them."""

from __future__ import annotations

import re

from litestar.testing import TestClient

from tests.conftest import DEMO_PASSWORD, login, post_form

ODD_LOGINS = ["a" * 121, "pes.admin\x00", "pes\x01admin", "pes.admin\x7f", "²³", "pes.\u0085admin"]


def test_odd_logins_and_passwords_get_the_ordinary_refusal(client: TestClient) -> None:
    for odd in ODD_LOGINS:
        response = post_form(client, "/login", {"login": odd, "password": DEMO_PASSWORD})
        assert response.status_code == 422, odd
        assert 'id="login-error"' in response.text
    for odd in ("icm-demo-2026\x00", "x" * 5000):
        assert post_form(client, "/login", {"login": "pes.admin", "password": odd}).status_code == 422
    login(client, "pes.admin")  # none of it was held against the real login


def test_odd_input_on_the_new_user_form_is_explained_beside_each_field(client: TestClient) -> None:
    login(client, "inson.admin")
    response = post_form(
        client,
        "/admin/users",
        {
            "login": "n.yul\x00dasheva",
            "full_name": "Nilufar\x00 Yuldasheva",
            "email": "n" * 195 + "@x.uz" + "z",
            "password": "a-long-secret\x00-1",
            "roles": "viewer",
        },
    )
    assert response.status_code == 422
    for field in ("login", "full_name", "email", "password"):
        assert f'id="{field}-error"' in response.text, field
    assert "Yuldasheva" in response.text  # what was typed is kept
    control = post_form(
        client,
        "/admin/users",
        {
            "login": "n.yuldasheva",
            "full_name": "Nilufar Yuldasheva",
            "email": "n@x\x0b.uz",
            "password": "a-long-secret-1",
        },
    )
    assert control.status_code == 422 and 'id="email-error"' in control.text


def test_odd_input_on_the_edit_form_and_in_ids_is_never_an_error(client: TestClient) -> None:
    login(client, "inson.admin")
    page = client.get("/admin/users").text
    uid = re.search(r'href="/admin/users/(\d+)">[^<]*</a></td>\s*<td>inson\.sign<', page).group(1)
    version = re.search(r'name="version" value="(\d+)"', client.get(f"/admin/users/{uid}").text).group(1)
    named = {"roles": ["signatory"], "version": version, "is_active": "on"}
    response = post_form(client, f"/admin/users/{uid}", {**named, "full_name": "Jamshid\x00", "email": "j@x.uz"})
    assert response.status_code == 422 and 'id="full_name-error"' in response.text
    response = post_form(client, f"/admin/users/{uid}", {**named, "email": "e" * 201, "full_name": "Jamshid Q"})
    assert response.status_code == 422 and 'id="email-error"' in response.text
    superscript = post_form(client, f"/admin/users/{uid}", {**named, "version": "²", "full_name": "Jamshid Q"})
    assert superscript.status_code in (409, 422) and 'value="Jamshid Q"' in superscript.text
    identity = post_form(client, f"/admin/users/{uid}/identities", {"provider": "x\x00", "claim_value": "1\x00"})
    assert identity.status_code == 422
    for huge in ("9223372036854775808", "2147483648", "99999999999999999999999"):
        assert client.get(f"/admin/users/{huge}").status_code == 404
        assert post_form(client, f"/admin/users/{huge}", named).status_code == 404
        assert post_form(client, f"/admin/users/{huge}/sign-in-delay/clear").status_code == 404
        assert post_form(client, f"/admin/users/{uid}/identities/{huge}/delete").status_code == 404
    assert post_form(client, "/tenant", {"tenant_id": "²"}).status_code == 404
    assert post_form(client, "/tenant", {"tenant_id": "99999999999999999999"}).status_code == 404


def test_odd_input_on_the_password_form_is_explained_beside_the_field(client: TestClient) -> None:
    login(client, "ngo.worker")
    new = "a-new-secret\x00-22"
    response = post_form(client, "/account/password", {"current": DEMO_PASSWORD, "new": new, "confirm": new})
    assert response.status_code == 422 and 'id="new-error"' in response.text
    response = post_form(client, "/account/password", {"current": "\x00" * 3, "new": "a-new-secret-22", "confirm": "x"})
    assert response.status_code == 422 and 'id="current-error"' in response.text
    long = "p" * 201
    response = post_form(client, "/account/password", {"current": DEMO_PASSWORD, "new": long, "confirm": long})
    assert response.status_code == 422 and 'id="new-error"' in response.text
