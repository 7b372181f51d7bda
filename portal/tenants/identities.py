"""People's identities at identity providers: signing in with them and registering them. No HTTP here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access import audit
from portal.access.guard import Actor
from portal.i18n import gettext as _
from portal.tenants import sign_in_limits
from portal.tenants.fields import untypable, untypable_message
from portal.tenants.models import ExternalIdentity, LoginSession, User
from portal.tenants.sign_in import Limits, active_memberships, open_session
from portal.tenants.users import get_tenant_user


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
    address: str,
    limits: Limits,
    now: datetime,
    previous_token: str | None,
    session_data: dict | None = None,
) -> str:
    """Open a session for the membership an administrator registered this identity for.

    The caller has taken the address's slot under the sign-in limits; a sign-in gives it back."""
    if untypable(claim_value) or len(claim_value) > 200:
        raise IdentityUnknown
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
    await sign_in_limits.succeeded(
        session, address=address, login=None, now=now, window=limits.attempts.per_address.window
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
    if untypable(form.claim_value):
        form.errors["claim_value"] = untypable_message()
    elif not 1 <= len(form.claim_value.strip()) <= 200:
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
