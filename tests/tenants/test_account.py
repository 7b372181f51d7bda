"""A person changes their own password; their other sign-ins end."""

from __future__ import annotations

from litestar.testing import TestClient

from tests.conftest import login, post_form


def test_a_password_change_needs_the_current_password_and_matching_new_ones(client: TestClient) -> None:
    login(client, "ngo.worker")
    response = post_form(client, "/account/password", {"current": "wrong", "new": "short", "confirm": "other"})
    assert response.status_code == 422
    for field in ("current", "new", "confirm"):
        assert f'id="{field}-error"' in response.text
    assert 'value="wrong"' not in response.text


def test_a_changed_password_works_and_ends_the_other_sign_ins(client: TestClient, make_client) -> None:  # type: ignore[no-untyped-def]
    other = make_client()
    login(other, "ngo.worker")
    login(client, "ngo.worker")
    response = post_form(
        client,
        "/account/password",
        {"current": "icm-demo-2026", "new": "a-new-secret-22", "confirm": "a-new-secret-22"},
    )
    assert response.status_code == 200
    assert 'role="status"' in response.text
    assert client.get("/").status_code == 200  # this sign-in stays
    assert other.get("/", follow_redirects=False).status_code == 303  # the other one ended
    fresh = make_client()
    assert post_form(fresh, "/login", {"login": "ngo.worker", "password": "icm-demo-2026"}).status_code == 422
    login(fresh, "ngo.worker", "a-new-secret-22")


def test_the_password_page_needs_a_sign_in(client: TestClient) -> None:
    assert client.get("/account/password", follow_redirects=False).status_code == 303
