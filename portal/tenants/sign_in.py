"""Sign-in with a password, sessions, tenant switching and the remembered language. No HTTP here."""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import and_, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.access import audit
from portal.access.guard import Actor
from portal.i18n import gettext as _
from portal.tenants import sign_in_limits
from portal.tenants.fields import untypable
from portal.tenants.models import LANGUAGES, LoginSession, Membership, Tenant, User
from portal.tenants.sign_in_limits import SignInLimits, TooEarly

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("a password nobody has")
MAX_LOGIN = 120  # the users.login column
# No password this long was ever set; hashing megabytes for each attempt would only serve an attacker.
MAX_PASSWORD_TRIED = 1024


def hash_password(password: str) -> str:
    return _hasher.hash(password)


# One check at a time per worker, each in a thread of its own: Argon2 takes some 50 ms and 64 MiB, and
# on the event loop it held up every other request of the worker for that long (a morning's wave of
# sign-ins stalled everyone's pages); more at once would only multiply the memory.
_ONE_CHECK_AT_A_TIME = threading.Lock()


def _password_matches(stored: str | None, password: str) -> bool:
    with _ONE_CHECK_AT_A_TIME:
        try:
            return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
        except (VerificationError, InvalidHashError, UnicodeError):
            return False


async def password_matches(stored: str | None, password: str) -> bool:
    """Whether `password` is the one `stored` was hashed from (a missing hash matches nothing, after the
    same work, so the answer's time does not tell whether the login exists), off the event loop."""
    return await anyio.to_thread.run_sync(_password_matches, stored, password)


def token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class LoginRefused(Exception):
    def __init__(self, message: str, throttled: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.throttled = throttled


@dataclass(frozen=True)
class Limits:
    attempts: SignInLimits
    session_lifetime: timedelta


def _wrong() -> LoginRefused:
    return LoginRefused(_("The login or password is wrong."))


async def sign_in(
    session: AsyncSession,
    counter: async_sessionmaker[AsyncSession],
    *,
    login: str,
    password: str,
    address: str,
    limits: Limits,
    now: datetime,
    previous_token: str | None,
) -> str:
    """Take a slot under the sign-in limits (through ``counter``, committed at once), then check the
    password and open a fresh session; return its cookie token."""
    login = login.strip().lower()
    if not login or len(login) > MAX_LOGIN or untypable(login) or len(password) > MAX_PASSWORD_TRIED:
        # No such login can exist; nothing to count or check, and the same words as any wrong login.
        raise _wrong()
    try:
        await sign_in_limits.reserve(counter, limits.attempts, address=address, login=login, now=now)
    except TooEarly as early:
        raise LoginRefused(sign_in_limits.wait_message(early.until), throttled=True) from None
    user = await session.scalar(select(User).where(User.login == login))
    ok = await password_matches(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        raise _wrong()
    memberships = await active_memberships(session, user.id)
    if not memberships:
        raise LoginRefused(_("Your account is not a member of any active organisation."))
    await sign_in_limits.succeeded(
        session, address=address, login=login, now=now, window=limits.attempts.per_login.window
    )
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


async def active_memberships(session: AsyncSession, user_id: int) -> list[Membership]:
    rows = await session.scalars(
        select(Membership)
        .join(Tenant, Tenant.id == Membership.tenant_id)
        .where(Membership.user_id == user_id, Membership.is_active.is_(True), Tenant.is_active.is_(True))
        .order_by(Membership.id)
    )
    return list(rows)


# The session and its user, with each of the user's active memberships of an active tenant (none: one
# row with no membership). Built once: every request sends it, and building it anew cost a tenth of a
# light page's CPU.
_ACTOR = (
    select(LoginSession, User, Membership, Tenant)
    .join(User, User.id == LoginSession.user_id)
    .outerjoin(Membership, and_(Membership.user_id == User.id, Membership.is_active.is_(True)))
    .outerjoin(Tenant, and_(Tenant.id == Membership.tenant_id, Tenant.is_active.is_(True)))
    .where(LoginSession.id == bindparam("session_id"))
    .order_by(Tenant.id)
)


async def load_actor(session: AsyncSession, token: str, now: datetime) -> Actor | None:
    """The signed-in actor behind a cookie token, or None when the session is gone or expired. One
    statement (`_ACTOR`): every request asks it, and a second statement for the memberships was a round
    trip more on each."""
    found = (await session.execute(_ACTOR, {"session_id": token_id(token)})).all()
    if not found:
        return None
    row, user = found[0][0], found[0][1]
    if row.expires_at <= now or not user.is_active:
        return None
    pairs = [(m, t) for _row, _user, m, t in found if m is not None and t is not None]
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
