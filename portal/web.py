"""HTTP plumbing shared by every area: who is asking, in which language, headers, pages, errors."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.enums import ScopeType
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.middleware import ASGIMiddleware
from litestar.response import Redirect, Template
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession

from portal import assets, i18n
from portal.access.guard import Actor
from portal.access.kernel import Access
from portal.db import REQUEST_SESSION, act_for, tenant_session
from portal.edge import ID_MAX as ID_MAX
from portal.edge import clean_text as clean_text
from portal.edge import parse_int as parse_int
from portal.flash import FLASH_COOKIE, FLASH_SECONDS, flash, flash_message, read_flash  # noqa: F401 - the pages' names
from portal.i18n import gettext as _
from portal.i18n import lazy

SESSION_COOKIE = "portal_session"

# Handler parameter types for the app-level dependencies.
DB = NamedDependency[AsyncSession]
CurrentActor = NamedDependency[Actor]
MaybeActor = NamedDependency[Actor | None]
# The request's Access: the one way to read shared rows (portal.access.kernel).
AccessDep = NamedDependency[Access]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)


def content_security_policy(form_targets: list[str]) -> str:
    """The CSP, with the origins of identity providers a sign-out form may be redirected to."""
    origins = sorted({f"{u.scheme}://{u.netloc}" for u in map(urlsplit, form_targets) if u.scheme and u.netloc})
    return CSP.replace("form-action 'self'", " ".join(["form-action 'self'", *origins]))


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeadersMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        is_static = scope["path"].startswith("/static/")
        state = scope["litestar_app"].state
        csp = getattr(state, "csp", CSP).encode()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _value in headers}
                headers.extend(h for h in [(b"content-security-policy", csp), *SECURITY_HEADERS] if h[0] not in names)
                if is_static and b"cache-control" not in names and message["status"] < 400:
                    # A year for the address a page links to (its digest), a check every time otherwise.
                    versions = getattr(state, "static_versions", {})
                    kept = assets.cache_control(versions, scope["path"].removeprefix("/static"), scope["query_string"])
                    headers.append((b"cache-control", kept))
                elif not is_static and b"cache-control" not in names:
                    # Pages carry personal data: never kept by the browser or a proxy.
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await next_app(scope, receive, send_with_headers)


class ActorMiddleware(ASGIMiddleware):
    """Puts the signed-in actor (or None) and the request's language into the scope.

    Who a session token belongs to is the tenants area's answer: create_app puts its loader in
    app.state.load_actor, so this plumbing imports no area."""

    scopes = (ScopeType.HTTP,)
    exclude_path_pattern = "^/static/"

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        app_state = scope["litestar_app"].state
        # The request's one database session (see provide_db): no connection is taken until it is used.
        session = tenant_session(app_state.sessionmaker, None)
        scope.setdefault("state", {})[REQUEST_SESSION] = session
        try:
            await self._with_actor(scope, receive, send, next_app, session)
        finally:
            # Whatever the handler left open (a guard refused it, it took no `db`) ends unsaved here.
            await session.close()

    async def _with_actor(
        self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp, session: AsyncSession
    ) -> None:
        request: Request = Request(scope)
        token = request.cookies.get(SESSION_COOKIE)
        actor = None
        language = None
        if token:
            app_state = scope["litestar_app"].state
            actor = await app_state.load_actor(session, token, app_state.clock())
            if actor is not None:
                language = actor.language
                await act_for(session, actor.tenant_id)
        chosen = i18n.choose_language(
            request.cookies.get(i18n.LANGUAGE_COOKIE), language, request.headers.get("accept-language")
        )
        i18n.set_language(chosen)
        state = scope.setdefault("state", {})
        state["actor"] = actor
        state["language"] = chosen
        settings = scope["litestar_app"].state.settings
        state["flash"] = read_flash(request.cookies.get(FLASH_COOKIE), settings.secret_key)
        if state["flash"] is None:
            await next_app(scope, receive, send)
            return

        async def send_and_forget(message: Message) -> None:
            # The message is shown once: a full page that carries it clears the cookie; a redirect or
            # an HTMX fragment (which has no banner) leaves it for the page that follows.
            if message["type"] == "http.response.start" and _shows_a_page(scope, message):
                message["headers"] = [*message.get("headers", []), (b"set-cookie", _forget_flash(settings))]
            await send(message)

        await next_app(scope, receive, send_and_forget)


def _shows_a_page(scope: Scope, message: Message) -> bool:
    headers = dict(message.get("headers", []))
    request_headers = dict(scope.get("headers", []))
    fragment = request_headers.get(b"hx-request") == b"true" and request_headers.get(b"hx-boosted") != b"true"
    sets_flash = any(
        name.lower() == b"set-cookie" and value.startswith(FLASH_COOKIE.encode() + b"=")
        for name, value in message.get("headers", [])
    )
    html = headers.get(b"content-type", b"").startswith(b"text/html")
    redirect = 300 <= message["status"] < 400
    return html and not redirect and not fragment and not sets_flash


def _forget_flash(settings: Any) -> bytes:
    secure = "; Secure" if settings.secure_cookies else ""
    return f"{FLASH_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax{secure}".encode()


class UnstorableInput(HTTPException):
    """A NUL character in the path, the query or a form: no column can hold it (PostgreSQL refuses it)."""

    status_code = 400


def request_session(request: Request) -> AsyncSession | None:
    """The request's one database session, opened by ActorMiddleware (None on paths it skips)."""
    return request.scope.get("state", {}).get(REQUEST_SESSION)


async def provide_db(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's transaction: committed after the handler returns, rolled back if it raises.

    It is the session the actor was looked up in (ActorMiddleware), and the guard and the header's
    count read in, on one connection: a request checks one out of the pool, once. On PostgreSQL it
    acts for the signed-in actor's tenant (none without one), which the row-level security policies
    of migration 0008 read; `act_for` set it when the actor was found."""
    session = request_session(request)
    own = session is None
    if session is None:
        actor = request.scope.get("state", {}).get("actor")
        session = tenant_session(request.app.state.sessionmaker, actor.tenant_id if actor else None)
    try:
        yield session
    except BaseException:
        await session.rollback()
        raise
    else:
        await session.commit()
    finally:
        if own:
            await session.close()


def provide_actor(request: Request) -> Any:
    return request.scope.get("state", {}).get("actor")


def client_address(request: Request) -> str:
    """The address a request comes from: the socket peer, unless that peer is a reverse proxy named in
    TRUSTED_PROXIES; then the nearest address its X-Forwarded-For names that is not one of them. A
    forwarded-for header from anyone else is whatever the client wants it to be, and is ignored."""
    peer = request.client.host if request.client else "unknown"
    proxies = request.app.state.settings.trusted_proxies
    if not proxies or not _among(peer, proxies):
        return peer
    hops = [hop.strip() for value in request.headers.getall("x-forwarded-for", []) for hop in value.split(",")]
    for hop in reversed(hops):
        try:
            address = ipaddress.ip_address(hop)
        except ValueError:
            return peer  # not written by a proxy of ours: the chain cannot be read further
        if not _among(str(address), proxies):
            return str(address)
    return peer


def _among(address: str, networks: Any) -> bool:
    try:
        found = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(found in network for network in networks)


def now(request: Request) -> datetime:
    """The app's clock: `utcnow` unless a test moved it (app.state.clock), so rules with deadlines
    (expiry, consent dates, sessions) can be tried at any moment through the real pages."""
    return request.app.state.clock()


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"


def page(template: str, status_code: int = 200, **context: Any) -> Template:
    """A full page (or, for a non-boosted HTMX request, the fragment template named by the caller)."""
    return Template(template_name=template, context=context, status_code=status_code, headers={"Vary": "HX-Request"})


def safe_next(target: str | None, default: str = "/") -> str:
    """Only local paths: an open redirect would let a phishing link borrow the portal's name."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def absolute_url(request: Request, name: str, **params: Any) -> str:
    """A route's full address, for other sites to send the browser back to (identity providers)."""
    public = request.app.state.settings.public_url
    if public:
        return public + request.app.route_reverse(name, **params)
    return str(request.url_for(name, **params))


def see_other(request: Request, target: str) -> Response:
    """Post/Redirect/Get that also works for HTMX requests."""
    if request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true":
        return Response(content=b"", status_code=204, headers={"HX-Redirect": target})
    return Redirect(path=target, status_code=303)


def session_cookie(request: Request, token: str | None, max_age: int | None = None) -> Cookie:
    settings = request.app.state.settings
    return Cookie(
        key=SESSION_COOKIE,
        value=token or "",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
        max_age=max_age if token else 0,
    )


# --- errors ---------------------------------------------------------------------------------


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    """An error page in the user's language; `title` and `message` are msgids marked with `lazy`."""
    state = request.scope.setdefault("state", {})
    if "language" not in state:
        # No route matched, so the actor middleware never ran: choose from what the request says.
        state["language"] = i18n.choose_language(
            request.cookies.get(i18n.LANGUAGE_COOKIE), None, request.headers.get("accept-language")
        )
        state.setdefault("actor", None)
    i18n.set_language(state["language"])
    return page("errors/error.html", status_code=status, title=_(title), message=_(message))


def not_authorized(request: Request, exc: Exception) -> Response:
    target = "/login?next=" + quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    if request.headers.get("hx-request") == "true":
        return Response(content=b"", status_code=401, headers={"HX-Redirect": target})
    return Redirect(path=target, status_code=303)


def forbidden(request: Request, exc: Exception) -> Response:
    if "CSRF" in str(getattr(exc, "detail", "")):
        return _error_page(
            request,
            403,
            lazy("The form has expired"),
            lazy("For your safety this form could not be accepted. Go back, reload the page and send it again."),
        )
    return _error_page(
        request, 403, lazy("Not allowed"), lazy("Your role in this organisation does not allow this action.")
    )


def unstorable_input(request: Request, exc: Exception) -> Response:
    return _error_page(
        request,
        400,
        lazy("The request holds a character the portal cannot store"),
        lazy(
            "What was sent contains an invisible null character (often pasted from another program). "
            "Go back, remove it or type the text again, and send it once more."
        ),
    )


def not_found(request: Request, exc: Exception) -> Response:
    return _error_page(
        request, 404, lazy("Page not found"), lazy("There is nothing here, or you do not have access to it.")
    )


def http_error(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 429:
        return _error_page(request, 429, lazy("Too many requests"), lazy("Wait a little and try again."))
    if exc.status_code >= 500:
        return server_error(request, exc)
    return _error_page(
        request,
        exc.status_code,
        lazy("The request could not be handled"),
        lazy("Check the address and try again."),
    )


def server_error(request: Request, exc: Exception) -> Response:
    request.logger.exception("Unhandled error", exc_info=exc)
    return _error_page(
        request,
        500,
        lazy("Something went wrong"),
        lazy("The portal could not finish this request. Nothing was saved. Try again in a moment."),
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    UnstorableInput: unstorable_input,
    NotAuthorizedException: not_authorized,
    PermissionDeniedException: forbidden,
    NotFoundException: not_found,
    HTTPException: http_error,
    Exception: server_error,
}
