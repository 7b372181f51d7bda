"""Signing in and out through the real app: sessions, rotation, wrong passwords, rate limit."""

from __future__ import annotations

import json
from datetime import timedelta

from litestar.testing import TestClient

from portal.tenants.seed import DATA
from tests.conftest import DEMO_PASSWORD, login, on_an_event_loop, post_form


def test_the_login_page_is_served_to_anyone(client: TestClient) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    assert 'name="password"' in response.text


def test_protected_pages_send_a_stranger_to_the_login_page(client: TestClient) -> None:
    response = client.get("/admin/users", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/admin/users"


def test_each_demo_user_signs_in_and_sees_their_tenants_dashboard(client: TestClient, demo_logins) -> None:  # type: ignore[no-untyped-def]
    demo = json.loads((DATA / "demo.json").read_text(encoding="utf-8"))
    tenant_names = {t["slug"]: t["names"]["uz"] for t in demo["tenants"]}
    seen = set()
    for row in demo_logins:
        if row["login"] in seen:
            continue
        seen.add(row["login"])
        client.cookies.clear()
        login(client, row["login"], row["password"])
        page = client.get("/")
        assert page.status_code == 200, row
        assert tenant_names[row["tenant"]] in page.text
        assert row["full_name"] in page.text
        assert post_form(client, "/logout").status_code == 303


def test_login_rotates_the_session_id_and_ignores_a_planted_one(client: TestClient) -> None:
    client.cookies.set("portal_session", "planted-by-an-attacker", domain="testserver.local")
    login(client, "pes.admin")
    first = client.cookies["portal_session"]
    assert first != "planted-by-an-attacker"
    post_form(client, "/logout")
    login(client, "pes.admin")
    assert client.cookies["portal_session"] not in {first, "planted-by-an-attacker"}


def test_logout_really_ends_the_session(client: TestClient, make_client) -> None:  # type: ignore[no-untyped-def]
    login(client, "pes.admin")
    token = client.cookies["portal_session"]
    assert client.get("/admin/users").status_code == 200
    assert post_form(client, "/logout").status_code == 303
    replay = make_client()
    replay.cookies.set("portal_session", token, domain="testserver.local")
    response = replay.get("/admin/users", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_a_wrong_password_is_refused_with_a_message_and_the_login_kept(client: TestClient) -> None:
    response = post_form(client, "/login", {"login": "pes.admin", "password": "not-the-password"})
    assert response.status_code == 422
    assert 'value="pes.admin"' in response.text
    assert 'role="alert"' in response.text
    assert "portal_session" not in client.cookies


def test_an_unknown_login_is_refused_the_same_way(client: TestClient) -> None:
    response = post_form(client, "/login", {"login": "nobody.here", "password": "whatever-at-all"})
    assert response.status_code == 422
    wrong = post_form(client, "/login", {"login": "pes.admin", "password": "whatever-at-all"})
    # Same words either way: the page must not reveal which logins exist.
    assert response.text.count('role="alert"') == wrong.text.count('role="alert"') == 1


def test_too_many_failures_lock_the_login_even_for_the_right_password(client: TestClient) -> None:
    for _ in range(5):
        assert post_form(client, "/login", {"login": "pes.case", "password": "wrong-password"}).status_code == 422
    locked = post_form(client, "/login", {"login": "pes.case", "password": DEMO_PASSWORD})
    assert locked.status_code == 429
    assert "portal_session" not in client.cookies
    # Another person's login is not locked by it.
    login(client, "pes.admin")


def test_a_forwarded_for_header_does_not_reset_the_limit(client: TestClient) -> None:
    for n in range(5):
        post_form(
            client,
            "/login",
            {"login": "nasp.case", "password": "wrong"},
            headers={"X-Forwarded-For": f"10.0.0.{n}"},
        )
    locked = post_form(
        client,
        "/login",
        {"login": "nasp.case", "password": DEMO_PASSWORD},
        headers={"X-Forwarded-For": "10.9.9.9"},
    )
    assert locked.status_code == 429


def test_a_session_expires(settings, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    from portal.db import utcnow
    from portal.tenants.models import LoginSession
    from tests.conftest import with_db

    login(client, "pes.admin")
    assert client.get("/", follow_redirects=False).status_code == 200

    async def age(session) -> None:  # type: ignore[no-untyped-def]
        await session.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))

    with_db(settings, age)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_next_never_leaves_the_portal(client: TestClient) -> None:
    response = post_form(
        client, "/login", {"login": "pes.admin", "password": DEMO_PASSWORD, "next": "//evil.example/x"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_pages_carry_the_security_headers(client: TestClient) -> None:
    headers = client.get("/login").headers
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cache-control"] == "no-store"


def test_a_user_with_two_memberships_switches_tenant(client: TestClient) -> None:
    login(client, "coordinator")
    page = client.get("/")
    assert "Yunusobod tumani Bandlik bo‘limi" in page.text
    import re

    inson = re.search(r'<option value="(\d+)"[^>]*>Yunusobod tumani «INSON»', page.text)
    assert inson, page.text
    assert post_form(client, "/tenant", {"tenant_id": inson.group(1)}).status_code == 303
    assert 'data-testid="current-tenant">Yunusobod tumani «INSON»' in client.get("/").text


def test_nobody_switches_into_a_tenant_they_do_not_belong_to(client: TestClient) -> None:
    login(client, "coordinator")
    assert post_form(client, "/tenant", {"tenant_id": "1000"}).status_code == 404
    login_page = client.get("/")
    assert "Yunusobod tumani Bandlik bo‘limi" in login_page.text


def test_a_password_being_checked_holds_up_no_other_request(client: TestClient, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The check is held open until another request has been answered: were it made on the event loop,
    that request would wait behind it, the check's wait would run out, and `released` would be false."""
    import threading

    from portal.tenants import sign_in

    real = sign_in._hasher
    entered, answered = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    class HeldHasher:
        def verify(self, stored: str, password: str) -> bool:
            seen["on the loop"] = on_an_event_loop()
            entered.set()
            seen["released"] = answered.wait(timeout=30)
            return real.verify(stored, password)

        def check_needs_rehash(self, stored: str) -> bool:
            return real.check_needs_rehash(stored)

    monkeypatch.setattr(sign_in, "_hasher", HeldHasher())
    result: dict[str, int] = {}

    def sign_in_now() -> None:
        response = post_form(client, "/login", {"login": "pes.admin", "password": DEMO_PASSWORD, "next": "/"})
        result["status"] = response.status_code

    signing = threading.Thread(target=sign_in_now)
    signing.start()
    assert entered.wait(timeout=60), "the password was never checked"
    health = client.get("/health")
    answered.set()
    signing.join(timeout=60)
    assert health.status_code == 200
    assert seen == {"on the loop": False, "released": True}
    assert result["status"] == 303


def test_a_session_loses_what_its_user_no_longer_belongs_to_on_the_next_request(client: TestClient, settings) -> None:  # type: ignore[no-untyped-def]
    """Who is asking is read afresh on every request: a tenant switched off leaves the user's list of
    organisations, and with no active membership left the session no longer signs anyone in."""
    from sqlalchemy import select, update

    from portal.tenants.models import Membership, Tenant, User
    from tests.conftest import with_db

    login(client, "coordinator")
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 200 and "Yunusobod tumani Bandlik bo‘limi" in home.text

    async def tenants_of(session):  # type: ignore[no-untyped-def]
        user_id = await session.scalar(select(User.id).where(User.login == "coordinator"))
        rows = await session.execute(
            select(Tenant.id, Tenant.name_uz)
            .join(Membership, Membership.tenant_id == Tenant.id)
            .where(Membership.user_id == user_id)
        )
        return user_id, rows.all()

    user_id, tenants = with_db(settings, tenants_of)
    other = next((t for t in tenants if t[1] == "Yunusobod tumani Bandlik bo‘limi"), None)
    assert other is not None and len(tenants) >= 2

    async def switch_off(session):  # type: ignore[no-untyped-def]
        await session.execute(update(Tenant).where(Tenant.id == other[0]).values(is_active=False))

    with_db(settings, switch_off)
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 200 and "Yunusobod tumani Bandlik bo‘limi" not in home.text

    async def leave_all(session):  # type: ignore[no-untyped-def]
        await session.execute(update(Membership).where(Membership.user_id == user_id).values(is_active=False))

    with_db(settings, leave_all)
    assert client.get("/", follow_redirects=False).status_code == 303
