"""Tenant user administration and a person's own password. No HTTP here.

Logins are chosen per tenant: an administrator types the first part and the portal adds
``@<tenant slug>``, so every login an administrator can create lies in their own organisation's part
of the name space. "This login is taken" can then only ever be about their own members: nobody learns
another organisation's logins by trying names. Sign-in stays unambiguous, since the full login is
still unique across the portal (logins made by the ``portal`` command, such as the demo's, carry no
suffix and cannot collide with one that does, for a suffix needs an ``@`` those cannot hold).

A person may belong to several tenants. Their name and e-mail address are the person's, not one
tenant's, so only an administrator of a tenant that holds every one of their memberships may change
them; the others change only their own tenant's roles and activation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from portal.access import audit
from portal.access.guard import Actor
from portal.access.policy import ROLE_GRANTS, write_memberships
from portal.i18n import gettext as _
from portal.tenants import sign_in_limits
from portal.tenants.fields import untypable, untypable_message
from portal.tenants.models import ROLES, LoginSession, Membership, Tenant, User
from portal.tenants.sign_in import MAX_LOGIN, MAX_PASSWORD_TRIED, hash_password, password_matches

LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,59}$")
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MIN_PASSWORD = 10
MAX_PASSWORD = 200
MAX_TEXT = 200  # the users.full_name and users.email columns


def grants_user_management(roles: list[str] | tuple[str, ...]) -> bool:
    """Would a member holding these roles still be able to manage the tenant's users?"""
    return any(("user", "manage") in ROLE_GRANTS.get(role, []) for role in roles)


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
    # Also a member of another tenant: name and e-mail are not this tenant's to change
    # (worked out for one member, by get_tenant_user; lists leave it False).
    shared: bool = False


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


def _tenant_user(m: Membership, u: User, shared: bool = False) -> TenantUser:
    return TenantUser(
        user_id=u.id,
        membership_id=m.id,
        login=u.login,
        full_name=u.full_name,
        email=u.email or "",
        roles=tuple(m.roles),
        is_active=m.is_active and u.is_active,
        version=m.version,
        shared=shared,
    )


async def _is_shared(session: AsyncSession, user_id: int, tenant_id: int) -> bool:
    others = await session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.user_id == user_id, Membership.tenant_id != tenant_id)
    )
    return bool(others)


async def get_tenant_user(session: AsyncSession, tenant_id: int, user_id: int) -> TenantUser | None:
    """None for a user who is not a member of this tenant: the caller answers 404."""
    row = (
        await session.execute(
            select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.tenant_id == tenant_id, Membership.user_id == user_id)
        )
    ).first()
    return _tenant_user(*row, shared=await _is_shared(session, user_id, tenant_id)) if row else None


def _check_person(form: UserForm) -> None:
    form.full_name = form.full_name.strip()
    form.email = form.email.strip()
    if untypable(form.full_name):
        form.errors["full_name"] = untypable_message()
    elif not 3 <= len(form.full_name) <= MAX_TEXT:
        form.errors["full_name"] = _("Enter the person's full name (3 to 200 characters).")
    if untypable(form.email):
        form.errors["email"] = untypable_message()
    elif len(form.email) > MAX_TEXT:
        form.errors["email"] = _("An e-mail address has at most 200 characters.")
    elif form.email and not EMAIL_RE.fullmatch(form.email):
        form.errors["email"] = _("Enter an e-mail address like name@example.uz, or leave it empty.")


def _check_roles(form: UserForm) -> None:
    unknown = [r for r in form.roles if r not in ROLES]
    if unknown or not form.roles:
        form.errors["roles"] = _("Choose at least one role.")


def check_new_password(password: str) -> str | None:
    """What is wrong with a new password, or None."""
    if untypable(password):
        return untypable_message()
    if len(password) < MIN_PASSWORD:
        return _("The password needs at least %(n)d characters.") % {"n": MIN_PASSWORD}
    if len(password) > MAX_PASSWORD:
        return _("A password has at most %(n)d characters.") % {"n": MAX_PASSWORD}
    return None


async def login_suffix(session: AsyncSession, tenant_id: int) -> str:
    """What the portal adds to the login an administrator of this tenant types."""
    return "@" + str(await session.scalar(select(Tenant.slug).where(Tenant.id == tenant_id)))


async def _check_login(session: AsyncSession, tenant_id: int, form: UserForm) -> str:
    suffix = await login_suffix(session, tenant_id)
    local = form.login.strip().lower().removesuffix(suffix)
    login = local + suffix
    if untypable(local):
        form.errors["login"] = untypable_message()
    elif not LOGIN_RE.fullmatch(local) or len(login) > MAX_LOGIN:
        form.errors["login"] = _(
            "A login is 3 to 60 characters: small Latin letters, digits, dots, dashes or underscores."
        )
    elif await session.scalar(select(User.id).where(User.login == login)):
        # Only ever one of this tenant's own logins: the suffix is this tenant's.
        form.errors["login"] = _("Your organisation already has this login. Choose another.")
    return login


async def create_tenant_user(session: AsyncSession, actor: Actor, form: UserForm, now: datetime) -> int | None:
    """Create a user with a membership in the actor's tenant; on bad input fill form.errors."""
    login = await _check_login(session, actor.tenant_id, form)
    problem = check_new_password(form.password)
    if problem:
        form.errors["password"] = problem
    _check_person(form)
    _check_roles(form)
    if form.errors:
        return None
    user = User(
        login=login, full_name=form.full_name, email=form.email or None, password_hash=hash_password(form.password)
    )
    session.add(user)
    await session.flush()
    session.add(Membership(user_id=user.id, tenant_id=actor.tenant_id, roles=sorted(set(form.roles))))
    await write_memberships(session, user.id, actor.tenant_id, form.roles)
    await _audit(session, actor, "user_created", user.id, {"login": user.login, "roles": sorted(set(form.roles))}, now)
    return user.id


class EditConflict(Exception):
    """Someone else saved this record since the form was opened."""


async def update_tenant_user(session: AsyncSession, actor: Actor, user_id: int, form: UserForm, now: datetime) -> bool:
    """Change a member's roles and whether they may act for this tenant, and their name and e-mail
    when every membership they hold is in this tenant."""
    membership = await session.scalar(
        select(Membership).where(Membership.tenant_id == actor.tenant_id, Membership.user_id == user_id)
    )
    if membership is None:
        raise LookupError(user_id)
    user = await session.get(User, user_id)
    assert user is not None
    shared = await _is_shared(session, user_id, actor.tenant_id)
    if shared:
        # Whatever was posted, the person's own fields stay as they are.
        form.full_name, form.email = user.full_name, user.email or ""
    else:
        _check_person(form)
    _check_roles(form)
    if user_id == actor.user_id and (not grants_user_management(form.roles) or not form.is_active):
        form.errors["roles"] = _("You cannot remove your own administrator role or deactivate yourself.")
    if form.errors:
        return False
    if form.version != membership.version:
        raise EditConflict
    if not shared:
        user.full_name, user.email = form.full_name, form.email or None
    membership.roles = sorted(set(form.roles))
    was_active, membership.is_active = membership.is_active, form.is_active
    try:
        await session.flush()
    except StaleDataError as exc:
        raise EditConflict from exc
    await write_memberships(session, user_id, actor.tenant_id, form.roles if form.is_active else [])
    if was_active and not form.is_active:
        await session.execute(
            delete(LoginSession).where(LoginSession.user_id == user_id, LoginSession.tenant_id == actor.tenant_id)
        )
    await _audit(
        session, actor, "user_updated", user_id, {"roles": membership.roles, "active": membership.is_active}, now
    )
    return True


async def clear_sign_in_delay(session: AsyncSession, actor: Actor, user_id: int, now: datetime) -> bool:
    """Let a member of the actor's tenant sign in again at once; False when nothing was delayed."""
    user = await get_tenant_user(session, actor.tenant_id, user_id)
    if user is None:
        raise LookupError(user_id)
    if not await sign_in_limits.clear(session, user.login):
        return False
    await _audit(session, actor, "sign_in_delay_cleared", user_id, {"login": user.login}, now)
    return True


async def _audit(session: AsyncSession, actor: Actor, action: str, user_id: int, detail: dict, now: datetime) -> None:
    await audit.record(
        session,
        action=action,
        object_type="user",
        object_id=user_id,
        actor_user_id=actor.user_id,
        actor_tenant_id=actor.tenant_id,
        owner_tenant_id=actor.tenant_id,
        detail=detail,
        now=now,
    )


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
    if len(form.current) > MAX_PASSWORD_TRIED or not await password_matches(user.password_hash, form.current):
        form.errors["current"] = _("This is not your current password.")
    problem = check_new_password(form.new)
    if problem:
        form.errors["new"] = problem
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


async def actor_for(session: AsyncSession, login: str, tenant_slug: str) -> Actor:
    """The user `login` acting for the tenant `tenant_slug`, with their roles there (seeds and commands
    act as a named person, never as nobody)."""
    user, membership = (
        await session.execute(
            select(User, Membership)
            .join(Membership, Membership.user_id == User.id)
            .join(Tenant, Tenant.id == Membership.tenant_id)
            .where(User.login == login, Tenant.slug == tenant_slug)
        )
    ).one()
    return Actor(
        user_id=user.id,
        login=user.login,
        full_name=user.full_name,
        tenant_id=membership.tenant_id,
        session_id="seed",
        roles=tuple(membership.roles),
    )
