"""Every registered route declares its permission; an undeclared one is refused, never served."""

from __future__ import annotations

from litestar import Litestar, get
from litestar.testing import TestClient

from portal.access.guard import AUTHENTICATED, PUBLIC, declared_permission, require_permission
from portal.access.policy import ROLE_GRANTS


def test_every_route_declares_a_permission(app: Litestar) -> None:
    known = {grant for grants in ROLE_GRANTS.values() for grant in grants}
    missing = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            declared = declared_permission(handler)
            if declared in (PUBLIC, AUTHENTICATED) or handler.handler_name == "options_handler":
                continue  # Litestar's automatic OPTIONS handlers are refused by the guard (below)
            if not (isinstance(declared, tuple) and declared in known):
                missing.append(f"{route.path} -> {handler.handler_name}: {declared!r}")
    assert not missing, "routes without a known permission:\n" + "\n".join(missing)


def test_the_guard_refuses_a_route_that_forgot_its_declaration() -> None:
    @get("/forgotten")
    async def forgotten() -> str:
        return "secret"

    bare = Litestar(route_handlers=[forgotten], guards=[require_permission])
    with TestClient(bare) as client:
        response = client.get("/forgotten")
    assert response.status_code == 403
    assert "secret" not in response.text


def test_the_automatic_options_handlers_are_refused(client: TestClient) -> None:
    assert client.options("/admin/users").status_code == 403
    assert client.options("/login").status_code == 403


def test_public_routes_are_few_and_named(app: Litestar) -> None:
    public = sorted(
        {
            route.path
            for route in app.routes
            for h in getattr(route, "route_handlers", [])
            if declared_permission(h) == PUBLIC
        }
    )
    assert public == [
        "/health",
        "/language",
        "/login",
        "/login/oidc/{provider:str}",
        "/login/oidc/{provider:str}/callback",
        "/static/{file_path:path}",
        # A printed agreement's QR code opens this for whoever holds the paper: only what the paper shows.
        "/verify/{terms_hash:str}",
    ]


def test_every_persona_on_every_page_gets_exactly_what_its_roles_grant(client: TestClient, demo_logins) -> None:  # type: ignore[no-untyped-def]
    """Walk every parameterless GET route as every demo persona (their first tenant)."""
    from tests.conftest import login, post_form

    pages = []
    for route in client.app.routes:
        for handler in getattr(route, "route_handlers", []):
            declared = declared_permission(handler)
            if "GET" in getattr(handler, "http_methods", ()) and "{" not in route.path and isinstance(declared, tuple):
                pages.append((route.path, declared))
    assert pages
    seen = set()
    for row in demo_logins:
        if row["login"] in seen:
            continue
        seen.add(row["login"])
        client.cookies.clear()
        login(client, row["login"], row["password"])
        granted = {g for role in row["roles"] for g in ROLE_GRANTS[role]}
        for path, declared in pages:
            status = client.get(path, follow_redirects=False).status_code
            assert status == (200 if declared in granted else 403), (row["login"], path, status)
        post_form(client, "/logout")


def test_an_empty_policy_denies_every_protected_route(settings, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import delete

    from portal.access.models import CasbinRule
    from portal.access.policy import bump_revision
    from tests.conftest import login, with_db

    login(client, "pes.admin")
    assert client.get("/admin/users").status_code == 200

    async def wipe(session) -> None:  # type: ignore[no-untyped-def]
        await session.execute(delete(CasbinRule))
        await bump_revision(session)

    with_db(settings, wipe)
    for path in ("/", "/admin/users", "/admin/users/new"):
        assert client.get(path).status_code == 403, path
