"""Sign-in, sessions, tenant switching and tenant user administration. No HTTP here."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from portal.access import audit
from portal.access.guard import Actor
from portal.access.policy import write_memberships
from portal.i18n import gettext as _
from portal.tenants.models import (
    LANGUAGES,
    ROLES,
    ExternalIdentity,
    LoginAttempt,
    LoginSession,
    Membership,
    Tenant,
    User,
)

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("a password nobody has")
LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,59}$")
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class LoginRefused(Exception):
    def __init__(self, message: str, throttled: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.throttled = throttled


@dataclass
class Limits:
    max_failures: int
    window: timedelta
    session_lifetime: timedelta


async def _recent_failures(session: AsyncSession, column, value: str, since: datetime) -> int:  # type: ignore[no-untyped-def]
    return int(
        await session.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(column == value, LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False))
        )
        or 0
    )


async def sign_in(
    session: AsyncSession,
    *,
    login: str,
    password: str,
    address: str,
    limits: Limits,
    now: datetime,
    previous_token: str | None,
) -> str:
    """Check the password under the rate limit and open a fresh session; return its cookie token."""
    login = login.strip().lower()
    since = now - limits.window
    if (
        await _recent_failures(session, LoginAttempt.login, login, since) >= limits.max_failures
        or await _recent_failures(session, LoginAttempt.address, address, since) >= limits.max_failures * 4
    ):
        raise LoginRefused(
            _("Too many failed attempts. Wait %(minutes)d minutes and try again.")
            % {"minutes": int(limits.window.total_seconds() // 60)},
            throttled=True,
        )
    user = await session.scalar(select(User).where(User.login == login))
    ok = password_matches(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        session.add(LoginAttempt(login=login, address=address, at=now, succeeded=False))
        raise LoginRefused(_("The login or password is wrong."))
    memberships = await active_memberships(session, user.id)
    if not memberships:
        session.add(LoginAttempt(login=login, address=address, at=now, succeeded=False))
        raise LoginRefused(_("Your account is not a member of any active organisation."))
    session.add(LoginAttempt(login=login, address=address, at=now, succeeded=True))
    if _hasher.check_needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    return await open_session(session, user, memberships[0].tenant_id, limits, now, previous_token)


async def open_session(
    session: AsyncSession,
    user: User,
    tenant_id: int,
    limits: Limits,
    now: datetime,
    previous_token: str | None,
    data: dict | None = None,
) -> str:
    """A new random session id for every sign-in; whatever id the browser brought is discarded."""
    if previous_token:
        await session.execute(delete(LoginSession).where(LoginSession.id == token_id(previous_token)))
    token = secrets.token_urlsafe(32)
    session.add(
        LoginSession(
            id=token_id(token),
            user_id=user.id,
            tenant_id=tenant_id,
            created_at=now,
            expires_at=now + limits.session_lifetime,
            data=data or {},
        )
    )
    await audit.record(
        session,
        action="sign_in",
        object_type="user",
        object_id=user.id,
        actor_user_id=user.id,
        actor_tenant_id=tenant_id,
        now=now,
    )
    return token


async def sign_out(session: AsyncSession, token: str | None) -> dict:
    """End the session; return what it kept (the identity provider it came through, if any)."""
    if not token:
        return {}
    row = await session.get(LoginSession, token_id(token))
    data = dict(row.data or {}) if row is not None else {}
    await session.execute(delete(LoginSession).where(LoginSession.id == token_id(token)))
    return data


# --- identities at identity providers -------------------------------------------------------


class IdentityUnknown(Exception):
    """Nobody registered this identity for an active membership: no self-registration."""


def normalise_claim_value(claim: str, value: str) -> str:
    value = value.strip()
    # Providers and administrators spell e-mail addresses in any case; they mean the same person.
    return value.lower() if claim == "email" else value


async def sign_in_with_identity(
    session: AsyncSession,
    *,
    provider: str,
    claim: str,
    claim_value: str,
    limits: Limits,
    now: datetime,
    previous_token: str | None,
    session_data: dict | None = None,
) -> str:
    """Open a session for the membership an administrator registered this identity for."""
    identity = await session.scalar(
        select(ExternalIdentity).where(
            ExternalIdentity.provider == provider,
            ExternalIdentity.claim_value == normalise_claim_value(claim, claim_value),
        )
    )
    if identity is None:
        raise IdentityUnknown
    user = await session.get(User, identity.user_id)
    memberships = await active_memberships(session, identity.user_id)
    if user is None or not user.is_active or identity.tenant_id not in {m.tenant_id for m in memberships}:
        raise IdentityUnknown
    if identity.linked_at is None:
        identity.linked_at = now
        await audit.record(
            session,
            action="identity_linked",
            object_type="user",
            object_id=user.id,
            actor_user_id=user.id,
            actor_tenant_id=identity.tenant_id,
            owner_tenant_id=identity.tenant_id,
            detail={"provider": provider, "identity_id": identity.id},
            now=now,
        )
    return await open_session(
        session,
        user,
        identity.tenant_id,
        limits,
        now,
        previous_token,
        data={"provider": provider, **(session_data or {})},
    )


@dataclass(frozen=True)
class RegisteredIdentity:
    id: int
    provider: str
    claim_value: str
    linked_at: datetime | None


@dataclass
class IdentityForm:
    provider: str = ""
    claim_value: str = ""
    errors: dict[str, str] = field(default_factory=dict)


async def list_identities(session: AsyncSession, tenant_id: int, user_id: int) -> list[RegisteredIdentity]:
    rows = await session.scalars(
        select(ExternalIdentity)
        .where(ExternalIdentity.tenant_id == tenant_id, ExternalIdentity.user_id == user_id)
        .order_by(ExternalIdentity.provider, ExternalIdentity.claim_value)
    )
    return [RegisteredIdentity(r.id, r.provider, r.claim_value, r.linked_at) for r in rows]


async def register_identity(
    session: AsyncSession,
    actor: Actor,
    user_id: int,
    form: IdentityForm,
    claims: dict[str, str],
    now: datetime,
) -> bool:
    """Let a member of the actor's tenant sign in with this identity; ``claims`` maps each configured
    provider to the claim it identifies people by. On bad input fill form.errors."""
    if await get_tenant_user(session, actor.tenant_id, user_id) is None:
        raise LookupError(user_id)
    if form.provider not in claims:
        form.errors["provider"] = _("Choose an identity provider.")
    else:
        form.claim_value = normalise_claim_value(claims[form.provider], form.claim_value)
    if not 1 <= len(form.claim_value.strip()) <= 200:
        form.errors["claim_value"] = _("Enter the identifier the provider knows the person by (1 to 200 characters).")
    if form.errors:
        return False
    taken = await session.scalar(
        select(ExternalIdentity.id).where(
            ExternalIdentity.provider == form.provider, ExternalIdentity.claim_value == form.claim_value
        )
    )
    # Say nothing about whom it belongs to: it may be another organisation's member.
    taken_message = _("This identity is already registered for someone. One identity belongs to one person.")
    if taken:
        form.errors["claim_value"] = taken_message
        return False
    identity = ExternalIdentity(
        provider=form.provider, claim_value=form.claim_value, user_id=user_id, tenant_id=actor.tenant_id
    )
    try:
        async with session.begin_nested():
            session.add(identity)
    except IntegrityError:
        # Another administrator registered the same identity a moment ago.
        form.errors["claim_value"] = taken_message
        return False
    await audit.record(
        session,
        action="identity_registered",
        object_type="user",
        object_id=user_id,
        actor_user_id=actor.user_id,
        actor_tenant_id=actor.tenant_id,
        owner_tenant_id=actor.tenant_id,
        detail={"provider": form.provider, "identity_id": identity.id},
        now=now,
    )
    return True


async def remove_identity(session: AsyncSession, actor: Actor, user_id: int, identity_id: int, now: datetime) -> bool:
    """False when there is no such identity for this member of the actor's tenant."""
    identity = await session.scalar(
        select(ExternalIdentity).where(
            ExternalIdentity.id == identity_id,
            ExternalIdentity.user_id == user_id,
            ExternalIdentity.tenant_id == actor.tenant_id,
        )
    )
    if identity is None:
        return False
    await session.delete(identity)
    # Sessions opened through this identity end with it; a password session of the same person stays.
    opened = await session.scalars(
        select(LoginSession).where(LoginSession.user_id == user_id, LoginSession.tenant_id == actor.tenant_id)
    )
    for row in opened:
        if (row.data or {}).get("provider") == identity.provider:
            await session.delete(row)
    await audit.record(
        session,
        action="identity_removed",
        object_type="user",
        object_id=user_id,
        actor_user_id=actor.user_id,
        actor_tenant_id=actor.tenant_id,
        owner_tenant_id=actor.tenant_id,
        detail={"provider": identity.provider, "identity_id": identity_id},
        now=now,
    )
    return True


async def active_memberships(session: AsyncSession, user_id: int) -> list[Membership]:
    rows = await session.scalars(
        select(Membership)
        .join(Tenant, Tenant.id == Membership.tenant_id)
        .where(Membership.user_id == user_id, Membership.is_active.is_(True), Tenant.is_active.is_(True))
        .order_by(Membership.id)
    )
    return list(rows)


async def load_actor(session: AsyncSession, token: str, now: datetime) -> Actor | None:
    """The signed-in actor behind a cookie token, or None when the session is gone or expired."""
    row = await session.get(LoginSession, token_id(token))
    if row is None or row.expires_at <= now:
        return None
    user = await session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    pairs = (
        await session.execute(
            select(Membership, Tenant)
            .join(Tenant, Tenant.id == Membership.tenant_id)
            .where(Membership.user_id == user.id, Membership.is_active.is_(True), Tenant.is_active.is_(True))
            .order_by(Tenant.id)
        )
    ).all()
    if not pairs:
        return None
    current = next(((m, t) for m, t in pairs if t.id == row.tenant_id), pairs[0])
    return Actor(
        user_id=user.id,
        login=user.login,
        full_name=user.full_name,
        tenant_id=current[1].id,
        session_id=row.id,
        memberships=tuple((t.id, {lang: t.name(lang) for lang in LANGUAGES}) for _m, t in pairs),
        roles=tuple(current[0].roles),
        language=user.language,
    )


async def switch_tenant(session: AsyncSession, actor: Actor, tenant_id: int) -> bool:
    if tenant_id not in {t for t, _name in actor.memberships}:
        return False
    row = await session.get(LoginSession, actor.session_id)
    if row is None:
        return False
    row.tenant_id = tenant_id
    return True


async def remember_language(session: AsyncSession, actor: Actor | None, language: str) -> None:
    if actor is not None:
        user = await session.get(User, actor.user_id)
        if user is not None:
            user.language = language


# --- tenant user administration -------------------------------------------------------------


@dataclass
class UserForm:
    login: str = ""
    full_name: str = ""
    email: str = ""
    roles: list[str] = field(default_factory=list)
    password: str = ""
    is_active: bool = True
    version: int | None = None
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TenantUser:
    user_id: int
    membership_id: int
    login: str
    full_name: str
    email: str
    roles: tuple[str, ...]
    is_active: bool
    version: int


async def list_tenant_users(session: AsyncSession, tenant_id: int) -> list[TenantUser]:
    rows = (
        await session.execute(
            select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.tenant_id == tenant_id)
            .order_by(User.full_name)
        )
    ).all()
    return [_tenant_user(m, u) for m, u in rows]


def _tenant_user(m: Membership, u: User) -> TenantUser:
    return TenantUser(
        user_id=u.id,
        membership_id=m.id,
        login=u.login,
        full_name=u.full_name,
        email=u.email or "",
        roles=tuple(m.roles),
        is_active=m.is_active and u.is_active,
        version=m.version,
    )


async def get_tenant_user(session: AsyncSession, tenant_id: int, user_id: int) -> TenantUser | None:
    """None for a user who is not a member of this tenant: the caller answers 404."""
    row = (
        await session.execute(
            select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.tenant_id == tenant_id, Membership.user_id == user_id)
        )
    ).first()
    return _tenant_user(*row) if row else None


def _check_common(form: UserForm) -> None:
    form.full_name = form.full_name.strip()
    form.email = form.email.strip()
    if not 3 <= len(form.full_name) <= 200:
        form.errors["full_name"] = _("Enter the person's full name (3 to 200 characters).")
    if form.email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", form.email):
        form.errors["email"] = _("Enter an e-mail address like name@example.uz, or leave it empty.")
    unknown = [r for r in form.roles if r not in ROLES]
    if unknown or not form.roles:
        form.errors["roles"] = _("Choose at least one role.")


async def create_tenant_user(session: AsyncSession, actor: Actor, form: UserForm, now: datetime) -> int | None:
    """Create a user with a membership in the actor's tenant; on bad input fill form.errors."""
    login = form.login.strip().lower()
    if not LOGIN_RE.fullmatch(login):
        form.errors["login"] = _(
            "A login is 3 to 60 characters: small Latin letters, digits, dots, dashes or underscores."
        )
    elif await session.scalar(select(User.id).where(User.login == login)):
        form.errors["login"] = _("This login is already taken. Choose another.")
    if len(form.password) < MIN_PASSWORD:
        form.errors["password"] = _("The password needs at least %(n)d characters.") % {"n": MIN_PASSWORD}
    _check_common(form)
    if form.errors:
        return None
    user = User(
        login=login,
        full_name=form.full_name,
        email=form.email or None,
        password_hash=hash_password(form.password),
    )
    session.add(user)
    await session.flush()
    session.add(Membership(user_id=user.id, tenant_id=actor.tenant_id, roles=sorted(set(form.roles))))
    await write_memberships(session, user.id, actor.tenant_id, form.roles)
    await audit.record(
        session,
        action="user_created",
        object_type="user",
        object_id=user.id,
        actor_user_id=actor.user_id,
        actor_tenant_id=actor.tenant_id,
        owner_tenant_id=actor.tenant_id,
        detail={"login": user.login, "roles": sorted(set(form.roles))},
        now=now,
    )
    return user.id


class EditConflict(Exception):
    """Someone else saved this record since the form was opened."""


async def update_tenant_user(session: AsyncSession, actor: Actor, user_id: int, form: UserForm, now: datetime) -> bool:
    """Change a member's name, e-mail, roles and whether they may act for this tenant."""
    membership = await session.scalar(
        select(Membership).where(Membership.tenant_id == actor.tenant_id, Membership.user_id == user_id)
    )
    if membership is None:
        raise LookupError(user_id)
    _check_common(form)
    if user_id == actor.user_id and ("tenant_admin" not in form.roles or not form.is_active):
        form.errors["roles"] = _("You cannot remove your own administrator role or deactivate yourself.")
    if form.errors:
        return False
    if form.version != membership.version:
        raise EditConflict
    user = await session.get(User, user_id)
    assert user is not None
    user.full_name = form.full_name
    user.email = form.email or None
    membership.roles = sorted(set(form.roles))
    was_active = membership.is_active
    membership.is_active = form.is_active
    try:
        await session.flush()
    except StaleDataError as exc:
        raise EditConflict from exc
    await write_memberships(session, user_id, actor.tenant_id, form.roles if form.is_active else [])
    if was_active and not form.is_active:
        await session.execute(
            delete(LoginSession).where(LoginSession.user_id == user_id, LoginSession.tenant_id == actor.tenant_id)
        )
    await audit.record(
        session,
        action="user_updated",
        object_type="user",
        object_id=user_id,
        actor_user_id=actor.user_id,
        actor_tenant_id=actor.tenant_id,
        owner_tenant_id=actor.tenant_id,
        detail={"roles": membership.roles, "active": membership.is_active},
        now=now,
    )
    return True


# --- own account ----------------------------------------------------------------------------


@dataclass
class PasswordForm:
    current: str = ""
    new: str = ""
    confirm: str = ""
    errors: dict[str, str] = field(default_factory=dict)


async def change_password(session: AsyncSession, actor: Actor, form: PasswordForm, now: datetime) -> bool:
    """Set a new password after checking the current one; every other session of the user ends."""
    user = await session.get(User, actor.user_id)
    assert user is not None
    if not password_matches(user.password_hash, form.current):
        form.errors["current"] = _("This is not your current password.")
    if len(form.new) < MIN_PASSWORD:
        form.errors["new"] = _("The password needs at least %(n)d characters.") % {"n": MIN_PASSWORD}
    elif form.new == form.current:
        form.errors["new"] = _("Choose a password different from the current one.")
    if form.new != form.confirm:
        form.errors["confirm"] = _("The two new passwords differ.")
    if form.errors:
        return False
    user.password_hash = hash_password(form.new)
    await session.execute(
        delete(LoginSession).where(LoginSession.user_id == user.id, LoginSession.id != actor.session_id)
    )
    await audit.record(
        session,
        action="password_changed",
        object_type="user",
        object_id=user.id,
        actor_user_id=user.id,
        actor_tenant_id=actor.tenant_id,
        now=now,
    )
    return True
