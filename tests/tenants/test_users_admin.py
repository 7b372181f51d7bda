"""Tenant administration: an administrator manages their own tenant's users and nobody else's."""

from __future__ import annotations

import re

import pytest
from litestar.testing import TestClient

from tests.conftest import login, post_form


def user_id(client: TestClient, login_name: str) -> int:
    page = client.get("/admin/users").text
    match = re.search(r'href="/admin/users/(\d+)">[^<]*</a></td>\s*<td>' + re.escape(login_name) + "<", page)
    assert match, f"{login_name} not listed"
    return int(match.group(1))


def test_an_administrator_creates_a_user_who_can_then_sign_in(client: TestClient, make_client) -> None:  # type: ignore[no-untyped-def]
    login(client, "inson.admin")
    response = post_form(
        client,
        "/admin/users",
        {
            "login": "n.yuldasheva",
            "full_name": "Нилуфар Юлдашева",
            "password": "a-long-secret-1",
            "roles": "case_manager",
            "is_active": "on",
        },
    )
    assert response.status_code == 303
    # The portal adds the organisation's part to the login an administrator chooses.
    assert "n.yuldasheva@inson-yunusobod" in client.get("/admin/users").text
    newcomer = make_client()
    login(newcomer, "n.yuldasheva@inson-yunusobod", "a-long-secret-1")
    assert "Yunusobod tumani «INSON»" in newcomer.get("/").text


def test_bad_input_is_explained_beside_each_field_and_typed_values_are_kept(client: TestClient) -> None:
    login(client, "inson.admin")
    response = post_form(
        client,
        "/admin/users",
        {"login": "Bad Login!", "full_name": "Ab", "email": "not-an-email", "password": "short"},
    )
    assert response.status_code == 422
    for field in ("login", "full_name", "email", "password", "roles"):
        assert f'id="{field}-error"' in response.text, field
    assert 'aria-describedby="login-hint login-error"' in response.text
    assert 'value="Bad Login!"' in response.text
    assert 'value="not-an-email"' in response.text
    assert 'value="short"' not in response.text  # passwords are never echoed back


def test_a_login_taken_in_the_own_organisation_is_refused(client: TestClient) -> None:
    login(client, "inson.admin")
    fields = {"login": "d.karimova", "full_name": "Dilnoza Karimova", "password": "a-long-secret-1", "roles": "viewer"}
    assert post_form(client, "/admin/users", fields).status_code == 303
    response = post_form(client, "/admin/users", {**fields, "full_name": "Someone Else"})
    assert response.status_code == 422
    assert 'id="login-error"' in response.text
    assert 'value="d.karimova"' in response.text


def test_another_organisations_logins_cannot_be_discovered_by_trying_names(client: TestClient, make_client) -> None:  # type: ignore[no-untyped-def]
    login(client, "inson.admin")
    answers = [
        post_form(
            client,
            "/admin/users",
            {"login": name, "full_name": "Someone Else", "password": "a-long-secret-1", "roles": "viewer"},
        )
        for name in ("pes.admin", "nobody.anywhere")
    ]
    # A login that exists at the PES office and one that exists nowhere get the same answer.
    assert [a.status_code for a in answers] == [303, 303]
    assert "pes.admin@inson-yunusobod" in client.get("/admin/users").text
    # Sign-in stays unambiguous: each login still names one person.
    pes = make_client()
    login(pes, "pes.admin")
    assert "Yunusobod tumani Bandlik" in pes.get("/").text


def test_a_person_of_two_organisations_keeps_their_name_and_email_when_one_edits_them(
    client: TestClient, make_client
) -> None:  # type: ignore[no-untyped-def]
    login(client, "pes.admin")
    uid = user_id(client, "coordinator")
    edit = client.get(f"/admin/users/{uid}").text
    assert 'id="full_name"' not in edit and 'id="email"' not in edit
    assert 'id="shared-reason"' in edit
    version = re.search(r'name="version" value="(\d+)"', edit).group(1)
    response = post_form(
        client,
        f"/admin/users/{uid}",
        {
            "full_name": "Renamed By The Office",
            "email": "taken@evil.example",
            "roles": ["coordinator", "viewer"],
            "version": version,
            "is_active": "on",
        },
    )
    assert response.status_code == 303  # this organisation's roles are saved ...
    assert 'id="role-viewer" name="roles" value="viewer" checked' in client.get(f"/admin/users/{uid}").text
    inson = make_client()
    login(inson, "inson.admin")
    listing = inson.get("/admin/users").text
    assert "Renamed By The Office" not in listing  # ... the person's own fields are not
    assert "Renamed By The Office" not in client.get("/admin/users").text
    assert "evil.example" not in inson.get(f"/admin/users/{uid}").text


def test_an_administrator_changes_roles_and_deactivation_ends_the_session(client: TestClient, make_client) -> None:  # type: ignore[no-untyped-def]
    login(client, "inson.admin")
    social = make_client()
    login(social, "inson.social")
    assert social.get("/").status_code == 200
    uid = user_id(client, "inson.social")
    edit = client.get(f"/admin/users/{uid}").text
    version = re.search(r'name="version" value="(\d+)"', edit).group(1)
    response = post_form(
        client,
        f"/admin/users/{uid}",
        {"full_name": "Феруза Алимова", "roles": ["case_manager", "viewer"], "version": version},
    )
    assert response.status_code == 303
    assert social.get("/", follow_redirects=False).status_code == 303  # signed out at once


def test_a_stale_form_is_detected_not_silently_overwritten(client: TestClient, make_client) -> None:  # type: ignore[no-untyped-def]
    login(client, "inson.admin")
    other_admin_browser = make_client()
    login(other_admin_browser, "inson.admin")
    uid = user_id(client, "inson.sign")
    version = re.search(r'name="version" value="(\d+)"', client.get(f"/admin/users/{uid}").text).group(1)
    first = post_form(
        other_admin_browser,
        f"/admin/users/{uid}",
        {
            "full_name": "Jamshid Qodirov",
            "roles": ["signatory", "viewer"],
            "version": version,
            "is_active": "on",
        },
    )
    assert first.status_code == 303
    second = post_form(
        client,
        f"/admin/users/{uid}",
        {"full_name": "Jamshid Qodirov-Typed", "roles": ["signatory"], "version": version, "is_active": "on"},
    )
    assert second.status_code == 409
    assert 'value="Jamshid Qodirov-Typed"' in second.text  # what was typed is kept
    assert "Jamshid Qodirov-Typed" not in client.get("/admin/users").text  # and nothing overwritten


def test_an_administrator_cannot_lock_themselves_out(client: TestClient) -> None:
    login(client, "inson.admin")
    uid = user_id(client, "inson.admin")
    version = re.search(r'name="version" value="(\d+)"', client.get(f"/admin/users/{uid}").text).group(1)
    response = post_form(
        client,
        f"/admin/users/{uid}",
        {"full_name": "Shahlo Mirzayeva", "roles": ["viewer"], "version": version, "is_active": "on"},
    )
    assert response.status_code == 422


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_tenants_user_is_a_404_with_no_data(client: TestClient, make_client, method: str) -> None:  # type: ignore[no-untyped-def]
    pes_admin = make_client()
    login(pes_admin, "pes.admin")
    target = user_id(pes_admin, "pes.case")
    login(client, "outsider.hr")
    if method == "get":
        response = client.get(f"/admin/users/{target}")
    else:
        response = post_form(
            client,
            f"/admin/users/{target}",
            {"full_name": "Hijacked", "roles": "tenant_admin", "version": "1", "is_active": "on"},
        )
    assert response.status_code == 404
    assert "Gulnora" not in response.text and "pes.case" not in response.text
    assert "Hijacked" not in pes_admin.get("/admin/users").text


def test_the_user_list_shows_only_the_own_tenant(client: TestClient) -> None:
    login(client, "outsider.hr")
    page = client.get("/admin/users").text
    assert "outsider.hr" in page
    assert "pes.admin" not in page and "inson.social" not in page


@pytest.mark.parametrize("persona", ["pes.case", "pes.sign", "inspector", "toqimachi.hr"])
def test_roles_without_administration_cannot_touch_users(client: TestClient, persona: str) -> None:
    login(client, persona)
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/users/new").status_code == 403
    response = post_form(
        client,
        "/admin/users",
        {"login": "x.y.z", "full_name": "X Y Z", "password": "a-long-secret-1", "roles": "tenant_admin"},
    )
    assert response.status_code == 403
