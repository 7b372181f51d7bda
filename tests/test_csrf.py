"""Every unsafe request needs the CSRF token: plain form posts and HTMX requests alike."""

from __future__ import annotations

from litestar.testing import TestClient

from tests.conftest import csrf, login


def test_a_form_post_without_token_is_refused(client: TestClient) -> None:
    client.get("/login")
    response = client.post("/login", data={"login": "pes.admin", "password": "icm-demo-2026"}, follow_redirects=False)
    assert response.status_code == 403
    assert "portal_session" not in client.cookies


def test_an_htmx_post_without_token_is_refused(client: TestClient) -> None:
    login(client, "pes.admin")
    response = client.post(
        "/admin/users",
        data={"login": "sneaky", "full_name": "Sneaky Person", "password": "x" * 12, "roles": "viewer"},
        headers={"HX-Request": "true"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "sneaky" not in client.get("/admin/users").text


def test_an_htmx_post_with_the_header_token_is_accepted(client: TestClient) -> None:
    login(client, "pes.admin")
    response = client.post(
        "/admin/users",
        data={
            "login": "via.htmx",
            "full_name": "Via Htmx",
            "password": "x" * 12,
            "roles": "viewer",
            "is_active": "on",
        },
        headers={"HX-Request": "true", "x-csrftoken": csrf(client)},
        follow_redirects=False,
    )
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/admin/users"
    assert "via.htmx" in client.get("/admin/users").text


def test_a_forged_token_is_refused(client: TestClient) -> None:
    login(client, "pes.admin")
    response = client.post(
        "/logout",
        headers={"x-csrftoken": "0" * 128},
        follow_redirects=False,
    )
    assert response.status_code == 403
