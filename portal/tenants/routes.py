"""Sign-in, sign-out, tenant and language switching, the dashboard and tenant user administration."""

from __future__ import annotations

from datetime import timedelta

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from portal import i18n
from portal.access import authenticated, checks_text, permission, public
from portal.i18n import gettext as _
from portal.i18n import lazy
from portal.tenants import services
from portal.tenants.fields import ascii_int, id_in_range
from portal.tenants.models import DEFAULT_ROLES, ROLES
from portal.web import (
    DB,
    CurrentActor,
    MaybeActor,
    absolute_url,
    client_address,
    flash,
    now,
    page,
    safe_next,
    see_other,
    session_cookie,
)


def _client_address(request: Request) -> str:
    # The socket peer, or the client a trusted reverse proxy names (portal/web.py, client_address).
    return client_address(request)


def limits(request: Request) -> services.Limits:
    s = request.app.state.settings
    return services.Limits(
        attempts=services.SignInLimits.from_settings(s), session_lifetime=timedelta(hours=s.session_hours)
    )


def _text(form, name: str) -> str:  # type: ignore[no-untyped-def]
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _login_page(request: Request, status_code: int = 200, **context: object) -> Response:
    settings = request.app.state.settings
    return page(
        "tenants/login.html",
        status_code=status_code,
        providers=settings.identity_providers,
        local_login=settings.local_login,
        **context,
    )


class LoginController(Controller):
    path = "/"

    @get("/login", name="login", opt=public())
    async def login_form(self, request: Request, actor: MaybeActor, next: FromQuery[str | None] = None) -> Response:
        if actor is not None:
            return see_other(request, safe_next(next))
        return _login_page(request, next=safe_next(next, ""), login="", error=None)

    @post("/login", name="login_submit", opt=checks_text(public()))
    async def login(self, request: Request, db: DB) -> Response:
        form = await request.form()
        login, target = _text(form, "login"), safe_next(_text(form, "next"))
        if not request.app.state.settings.local_login:
            raise NotFoundException
        try:
            token = await services.sign_in(
                db,
                request.app.state.sessionmaker,
                login=login,
                password=_text(form, "password"),
                address=_client_address(request),
                limits=limits(request),
                now=now(request),
                previous_token=request.cookies.get("portal_session"),
            )
        except services.LoginRefused as refused:
            status = 429 if refused.throttled else 422
            return _login_page(request, status_code=status, next=target, login=login, error=refused.message)
        response = flash(request, see_other(request, target), lazy("You are signed in."))
        response.set_cookie(
            session_cookie(request, token, max_age=int(limits(request).session_lifetime.total_seconds()))
        )
        return response

    @post("/logout", name="logout", opt=authenticated())
    async def logout(self, request: Request, db: DB) -> Response:
        kept = await services.sign_out(db, request.cookies.get("portal_session"))
        provider = request.app.state.identity_providers.get(kept.get("provider", ""))
        target = None
        if provider is not None:
            # RP-initiated logout: the provider's own session ends too, then it sends the person back.
            target = await provider.end_session_url(kept.get("id_token"), absolute_url(request, "login"))
        if target is None:
            response = see_other(request, "/login")
        elif request.headers.get("hx-request") == "true":
            response = Response(content=b"", status_code=204, headers={"HX-Redirect": target})
        else:
            response = Redirect(path=target, status_code=303)
        response.set_cookie(session_cookie(request, None))
        return response

    @post("/tenant", name="switch_tenant", opt=authenticated())
    async def switch(self, request: Request, db: DB, actor: CurrentActor) -> Response:
        tenant_id = ascii_int(_text(await request.form(), "tenant_id"))
        if tenant_id is None or not await services.switch_tenant(db, actor, tenant_id):
            raise NotFoundException
        return flash(request, see_other(request, "/"), lazy("You now act for another organisation."))

    @post("/language", name="set_language", opt=public())
    async def language(self, request: Request, db: DB, actor: MaybeActor) -> Response:
        form = await request.form()
        language = _text(form, "language")
        if language not in i18n.LANGUAGES:
            language = i18n.DEFAULT_LANGUAGE
        await services.remember_language(db, actor, language)
        target = see_other(request, safe_next(_text(form, "next")))
        response = flash(request, target, lazy("The language is changed."))
        response.set_cookie(
            key=i18n.LANGUAGE_COOKIE,
            value=language,
            max_age=365 * 24 * 3600,
            samesite="lax",
            httponly=True,
            secure=request.app.state.settings.secure_cookies,
        )
        return response

    @get("/health", name="health", opt=public(), media_type="text/plain")
    async def health(self) -> str:
        return "ok"


def _user_form(form) -> services.UserForm:  # type: ignore[no-untyped-def]
    return services.UserForm(
        login=_text(form, "login"),
        full_name=_text(form, "full_name"),
        email=_text(form, "email"),
        roles=[r for r in form.getall("roles", []) if isinstance(r, str) and r in ROLES],
        password=_text(form, "password"),
        is_active=form.get("is_active") == "on",
        version=ascii_int(_text(form, "version")),
    )


async def _member(db: DB, actor: CurrentActor, user_id: int) -> services.TenantUser:
    """A member of the actor's tenant, or 404 (another tenant's user, or an id no table holds)."""
    user = await services.get_tenant_user(db, actor.tenant_id, user_id) if id_in_range(user_id) else None
    if user is None:
        raise NotFoundException
    return user


class TenantUsersController(Controller):
    path = "/admin/users"

    @get("/", name="users", opt=permission("user", "list"))
    async def index(self, db: DB, actor: CurrentActor) -> Response:
        return page("tenants/users.html", users=await services.list_tenant_users(db, actor.tenant_id))

    @get("/new", name="user_new", opt=permission("user", "manage"))
    async def new(self, db: DB, actor: CurrentActor) -> Response:
        return await _new_page(db, actor, services.UserForm(roles=list(DEFAULT_ROLES)))

    @post("/", name="user_create", opt=checks_text(permission("user", "manage")))
    async def create(self, request: Request, db: DB, actor: CurrentActor) -> Response:
        form = _user_form(await request.form())
        if await services.create_tenant_user(db, actor, form, now(request)) is None:
            form.password = ""
            return await _new_page(db, actor, form, status_code=422)
        return flash(
            request, see_other(request, "/admin/users"), lazy("The user %(login)s is saved."), login=form.login
        )

    @get("/{user_id:int}", name="user_edit", opt=permission("user", "manage"))
    async def edit(self, request: Request, db: DB, actor: CurrentActor, user_id: FromPath[int]) -> Response:
        user = await _member(db, actor, user_id)
        return await _edit_page(request, db, actor, user, _form_of(user))

    @post("/{user_id:int}", name="user_update", opt=checks_text(permission("user", "manage")))
    async def update(self, request: Request, db: DB, actor: CurrentActor, user_id: FromPath[int]) -> Response:
        user = await _member(db, actor, user_id)
        form = _user_form(await request.form())
        form.login = user.login
        try:
            saved = await services.update_tenant_user(db, actor, user_id, form, now(request))
        except services.EditConflict:
            await db.rollback()
            return await _conflict_page(request, db, actor, user_id, form)
        if not saved:
            return await _edit_page(request, db, actor, user, form, status_code=422)
        return flash(
            request, see_other(request, "/admin/users"), lazy("The user %(login)s is saved."), login=user.login
        )

    @post("/{user_id:int}/sign-in-delay/clear", name="user_sign_in_delay_clear", opt=permission("user", "manage"))
    async def clear_delay(self, request: Request, db: DB, actor: CurrentActor, user_id: FromPath[int]) -> Response:
        await _member(db, actor, user_id)
        await services.clear_sign_in_delay(db, actor, user_id, now(request))
        return see_other(request, f"/admin/users/{user_id}")

    @post("/{user_id:int}/identities", name="user_identity_add", opt=checks_text(permission("user", "manage")))
    async def add_identity(self, request: Request, db: DB, actor: CurrentActor, user_id: FromPath[int]) -> Response:
        user = await _member(db, actor, user_id)
        data = await request.form()
        identity_form = services.IdentityForm(provider=_text(data, "provider"), claim_value=_text(data, "claim_value"))
        claims = {p.name: p.claim for p in request.app.state.settings.identity_providers}
        if not await services.register_identity(db, actor, user_id, identity_form, claims, now(request)):
            return await _edit_page(
                request, db, actor, user, _form_of(user), identity_form=identity_form, status_code=422
            )
        return see_other(request, f"/admin/users/{user_id}")

    @post(
        "/{user_id:int}/identities/{identity_id:int}/delete",
        name="user_identity_remove",
        opt=permission("user", "manage"),
    )
    async def remove_identity(
        self,
        request: Request,
        db: DB,
        actor: CurrentActor,
        user_id: FromPath[int],
        identity_id: FromPath[int],
    ) -> Response:
        if not id_in_range(user_id) or not id_in_range(identity_id):
            raise NotFoundException
        if not await services.remove_identity(db, actor, user_id, identity_id, now(request)):
            raise NotFoundException
        return see_other(request, f"/admin/users/{user_id}")


def _form_of(user: services.TenantUser) -> services.UserForm:
    return services.UserForm(
        login=user.login,
        full_name=user.full_name,
        email=user.email,
        roles=list(user.roles),
        is_active=user.is_active,
        version=user.version,
    )


async def _new_page(db: DB, actor: CurrentActor, form: services.UserForm, status_code: int = 200) -> Response:
    suffix = await services.login_suffix(db, actor.tenant_id)
    return page("tenants/user_form.html", status_code=status_code, form=form, user=None, roles=ROLES, suffix=suffix)


async def _conflict_page(
    request: Request, db: DB, actor: CurrentActor, user_id: int, form: services.UserForm
) -> Response:
    """Someone saved the user meanwhile: show their values, keep what was typed, save nothing."""
    current = await services.get_tenant_user(db, actor.tenant_id, user_id)
    if current is None:
        raise NotFoundException
    form.version = current.version
    form.errors["form"] = _(
        "Someone else changed this user while you were editing, so your changes were not saved. "
        "Their saved values are shown above; your changes are kept in the form. Check and save again."
    )
    return await _edit_page(request, db, actor, current, form, status_code=409)


async def _edit_page(
    request: Request,
    db: DB,
    actor: CurrentActor,
    user: services.TenantUser,
    form: services.UserForm,
    identity_form: services.IdentityForm | None = None,
    status_code: int = 200,
) -> Response:
    """The user form with the sign-in delay and the identities registered at identity providers."""
    providers = request.app.state.settings.identity_providers
    return page(
        "tenants/user_form.html",
        status_code=status_code,
        form=form,
        user=user,
        roles=ROLES,
        delay=await services.delay_of(db, user.login, now(request)),
        providers=providers,
        provider_labels={p.name: p.label for p in providers},
        identities=await services.list_identities(db, actor.tenant_id, user.user_id),
        identity_form=identity_form or services.IdentityForm(),
    )


class AccountController(Controller):
    path = "/account"

    @get("/password", name="password_form", opt=authenticated())
    async def password_form(self) -> Response:
        return page("tenants/password.html", form=services.PasswordForm(), saved=False)

    @post("/password", name="password_change", opt=checks_text(authenticated()))
    async def password_change(self, request: Request, db: DB, actor: CurrentActor) -> Response:
        data = await request.form()
        form = services.PasswordForm(
            current=_text(data, "current"), new=_text(data, "new"), confirm=_text(data, "confirm")
        )
        if not await services.change_password(db, actor, form, now(request)):
            return page("tenants/password.html", status_code=422, form=services.PasswordForm(errors=form.errors))
        return page("tenants/password.html", form=services.PasswordForm(), saved=True)
