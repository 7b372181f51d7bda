"""Signing in through an identity provider: send the browser there, take it back, open a session."""

from __future__ import annotations

import hmac

from litestar import Controller, Request, Response, get
from litestar.datastructures import Cookie
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from portal.access import public
from portal.i18n import gettext as _
from portal.tenants import services
from portal.tenants.providers import (
    Identity,
    IdentityProvider,
    PendingSignIn,
    ProviderUnavailable,
    SignInRejected,
    open_pending,
    seal_pending,
)
from portal.tenants.routes import _client_address, limits
from portal.web import DB, absolute_url, now, page, safe_next, session_cookie

# Only sent back to the callback path; lax, because the provider brings the browser back cross-site.
PENDING_COOKIE = "portal_oidc"
PENDING_PATH = "/login/oidc"


def _pending_cookie(request: Request, value: str | None) -> Cookie:
    return Cookie(
        key=PENDING_COOKIE,
        value=value or "",
        path=PENDING_PATH,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
        max_age=600 if value else 0,
    )


def _adapter(request: Request, name: str) -> IdentityProvider:
    adapter = request.app.state.identity_providers.get(name)
    if adapter is None:
        raise NotFoundException
    return adapter


def _callback_url(request: Request, name: str) -> str:
    return absolute_url(request, "oidc_callback", provider=name)


def _refused(request: Request, status: int, title: str, message: str) -> Response:
    response = page("tenants/sign_in_refused.html", status_code=status, title=title, message=message)
    response.set_cookie(_pending_cookie(request, None))
    return response


def _unavailable(request: Request) -> Response:
    return _refused(
        request,
        502,
        _("The identity provider cannot be reached"),
        _("The portal could not talk to the identity provider, so you were not signed in. Try again in a few minutes."),
    )


def _rejected(request: Request, reason: str) -> Response:
    messages = {
        "state": _(
            "This sign-in could not be matched to one started in this browser: it was already used, "
            "has expired or was started elsewhere. You were not signed in. Start again."
        ),
        "denied": _("The sign-in was cancelled at the identity provider. You were not signed in."),
        "code": _(
            "The identity provider did not accept this sign-in (it may have been used already). "
            "You were not signed in. Start again."
        ),
        "token": _(
            "The identity provider's answer could not be verified (it was changed, expired or not meant "
            "for this portal). You were not signed in."
        ),
        "claim": _("The identity provider did not say who you are. You were not signed in."),
    }
    return _refused(request, 400, _("Sign-in failed"), messages.get(reason, messages["token"]))


class IdentityProviderController(Controller):
    path = PENDING_PATH

    @get("/{provider:str}", name="oidc_start", opt=public())
    async def start(self, request: Request, provider: FromPath[str], next: FromQuery[str | None] = None) -> Response:
        # A GET that changes no stored data: it only hands the browser a sealed pending sign-in.
        adapter = _adapter(request, provider)
        pending = PendingSignIn.start(provider, safe_next(next))
        try:
            url = await adapter.authorize_url(pending, _callback_url(request, provider))
        except ProviderUnavailable as exc:
            request.logger.warning("identity provider %s unavailable: %s", provider, exc)
            return _unavailable(request)
        response = Redirect(path=url, status_code=302)
        response.set_cookie(_pending_cookie(request, seal_pending(pending, request.app.state.settings.secret_key)))
        return response

    @get("/{provider:str}/callback", name="oidc_callback", opt=public())
    async def callback(self, request: Request, db: DB, provider: FromPath[str]) -> Response:
        adapter = _adapter(request, provider)
        pending = open_pending(request.cookies.get(PENDING_COOKIE), request.app.state.settings.secret_key)
        params = {k: v for k, v in request.query_params.items() if isinstance(v, str)}
        if params.get("error"):
            # Nothing is signed in on this path, so the explanation needs no matching state
            # (some providers, the test one among them, leave state out of a refusal).
            return _rejected(request, "denied")
        if (
            pending is None
            or pending.provider != provider
            or not hmac.compare_digest(params.get("state", "").encode(), pending.state.encode())
        ):
            return _rejected(request, "state")
        try:
            # The same per-address limit as the password form: each identification takes a slot.
            await services.reserve_slot(
                request.app.state.sessionmaker,
                limits(request).attempts,
                address=_client_address(request),
                login=None,
                now=now(request),
            )
        except services.TooEarly as early:
            return _refused(request, 429, _("Too many sign-in attempts"), services.wait_message(early.until))
        return await _identify_and_open(request, db, adapter, params, pending)


async def _identify_and_open(
    request: Request, db: DB, adapter: IdentityProvider, params: dict[str, str], pending: PendingSignIn
) -> Response:
    """Ask the provider who came back and open their session; every refusal is a translated page."""
    try:
        identity = await adapter.identify(params, pending, _callback_url(request, pending.provider))
    except ProviderUnavailable as exc:
        request.logger.warning("identity provider %s unavailable: %s", pending.provider, exc)
        # The provider's fault, not the person's: the address gets its slot back.
        await services.give_back_slot(db, _client_address(request))
        return _unavailable(request)
    except SignInRejected as exc:
        request.logger.warning("sign-in through %s rejected: %s", pending.provider, exc)
        return _rejected(request, exc.reason)
    return await _open(request, db, adapter, identity, pending)


async def _open(
    request: Request, db: DB, adapter: IdentityProvider, identity: Identity, pending: PendingSignIn
) -> Response:
    try:
        token = await services.sign_in_with_identity(
            db,
            provider=pending.provider,
            claim=adapter.config.claim,
            claim_value=identity.claim_value,
            address=_client_address(request),
            limits=limits(request),
            now=now(request),
            previous_token=request.cookies.get("portal_session"),
            session_data={"id_token": identity.id_token} if identity.id_token else None,
        )
    except services.IdentityUnknown:
        request.logger.info("unknown identity at %s from %s", pending.provider, _client_address(request))
        return _not_set_up(request)
    response = Redirect(path=pending.next, status_code=303)
    response.set_cookie(session_cookie(request, token, max_age=int(limits(request).session_lifetime.total_seconds())))
    response.set_cookie(_pending_cookie(request, None))
    return response


def _not_set_up(request: Request) -> Response:
    return _refused(
        request,
        403,
        _("Your account is not set up yet"),
        _(
            "The identity provider confirmed who you are, but no organisation in the portal has "
            "registered this identity. Ask your organisation's administrator to add it to your "
            "account, then sign in again."
        ),
    )
