"""The one enforcement point for routes: every handler declares a permission or says it is public."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from portal.db import REQUEST_SESSION

PUBLIC = "public"
# Signed in, acting for some tenant, no particular grant (switching tenant, logging out).
AUTHENTICATED = "authenticated"


def permission(obj: str, act: str) -> dict[str, Any]:
    """Route ``opt`` declaring the Casbin (object, action) a handler needs in the actor's tenant."""
    return {"permission": (obj, act)}


def checks_text(opt: dict[str, Any]) -> dict[str, Any]:
    """Route ``opt`` of a handler whose form reports control characters (NUL included) beside the field
    itself: the edge then passes its form through instead of answering 400 for the whole page."""
    return {**opt, "checks_text": True}


def public() -> dict[str, Any]:
    return {"permission": PUBLIC}


def authenticated() -> dict[str, Any]:
    return {"permission": AUTHENTICATED}


@dataclass(frozen=True)
class Actor:
    """Who is asking: the user and the tenant they act for right now."""

    user_id: int
    login: str
    full_name: str
    tenant_id: int
    session_id: str
    # (tenant_id, {language: tenant name}) for every tenant the user may act for
    memberships: tuple[tuple[int, dict[str, str]], ...] = field(default=())
    roles: tuple[str, ...] = ()
    language: str | None = None

    def tenant_name(self, language: str, tenant_id: int | None = None) -> str:
        names = dict(self.memberships).get(self.tenant_id if tenant_id is None else tenant_id, {})
        return names.get(language) or names.get("uz", "")


def declared_permission(handler: BaseRouteHandler) -> Any:
    return handler.opt.get("permission")


async def require_permission(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """App-level guard: a handler with no declared permission is refused, never served."""
    declared = declared_permission(handler)
    if declared is None:
        raise PermissionDeniedException("This route declares no permission")
    if declared == PUBLIC:
        return
    actor: Actor | None = connection.scope.get("state", {}).get("actor")
    if actor is None:
        raise NotAuthorizedException("Sign in first")
    if declared == AUTHENTICATED:
        return
    obj, act = declared
    policy = connection.app.state.policy
    session = connection.scope.get("state", {}).get(REQUEST_SESSION)
    if session is not None:
        # The request's session (portal/web.py): the revision is read on the connection the handler uses.
        await policy.refresh(session)
    else:
        async with connection.app.state.sessionmaker() as own:
            await policy.refresh(own)
    if not policy.allows(actor.user_id, actor.tenant_id, obj, act):
        raise PermissionDeniedException(f"Not allowed: {obj}.{act}")
