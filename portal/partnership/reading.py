"""Reading agreements: which versions a tenant may see, their state by the clock, their detail."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access import audit
from portal.access.guard import Actor
from portal.access.sharing import local_date
from portal.partnership.errors import NotFound
from portal.partnership.models import Agreement, AgreementComment, AgreementParty, AgreementVersion, Clause, Signature
from portal.tenants.models import Tenant, User


def effective_status(version: AgreementVersion, now: datetime) -> str:
    """The stored status, except that an active version past its last day is expired (by the clock).

    Days are Tashkent calendar days, as in the enforcement query (sharing.local_date)."""
    if version.status == "active" and local_date(now) > version.valid_until:
        return "expired"
    return version.status


# --- reading ----------------------------------------------------------------------------------


def _visible_to(tenant_id: int):  # type: ignore[no-untyped-def]
    party = select(AgreementParty.id).where(
        AgreementParty.version_id == AgreementVersion.id, AgreementParty.tenant_id == tenant_id
    )
    return or_(Agreement.tenant_id == tenant_id, party.exists())


async def get_version(session: AsyncSession, actor: Actor, version_id: int) -> tuple[Agreement, AgreementVersion]:
    """A version the actor's tenant drafted or is a party to; NotFound for anything else."""
    row = (
        await session.execute(
            select(Agreement, AgreementVersion)
            .join(AgreementVersion, AgreementVersion.agreement_id == Agreement.id)
            .where(AgreementVersion.id == version_id, _visible_to(actor.tenant_id))
        )
    ).first()
    if row is None:
        raise NotFound(version_id)
    return row[0], row[1]


@dataclass(frozen=True)
class AgreementRow:
    agreement_id: int
    version_id: int
    number: int
    title: str
    status: str
    valid_from: Any
    valid_until: Any


async def list_agreements(session: AsyncSession, actor: Actor, now: datetime) -> list[AgreementRow]:
    """Every version the actor's tenant drafted or is a party to, newest agreement first."""
    rows = (
        await session.execute(
            select(Agreement, AgreementVersion)
            .join(AgreementVersion, AgreementVersion.agreement_id == Agreement.id)
            .where(_visible_to(actor.tenant_id))
            .order_by(Agreement.id.desc(), AgreementVersion.number.desc())
        )
    ).all()
    return [
        AgreementRow(a.id, v.id, v.number, v.title, effective_status(v, now), v.valid_from, v.valid_until)
        for a, v in rows
    ]


async def versions_of(session: AsyncSession, actor: Actor, agreement_id: int) -> list[AgreementVersion]:
    rows = (
        await session.scalars(
            select(AgreementVersion)
            .join(Agreement, Agreement.id == AgreementVersion.agreement_id)
            .where(AgreementVersion.agreement_id == agreement_id, _visible_to(actor.tenant_id))
            .order_by(AgreementVersion.number)
        )
    ).all()
    return list(rows)


async def partner_tenants(session: AsyncSession) -> list[Tenant]:
    """Organisations that can be invited as parties."""
    return list(
        (await session.scalars(select(Tenant).where(Tenant.is_active.is_(True)).order_by(Tenant.name_uz))).all()
    )


@dataclass
class VersionDetail:
    agreement: Agreement
    version: AgreementVersion
    status: str
    parties: list[tuple[AgreementParty, Tenant]]
    clauses: list[Clause]
    signatures: list[Signature]
    comments: list[tuple[AgreementComment, str]]
    tenants: dict[int, Tenant] = field(default_factory=dict)

    @property
    def signed_tenants(self) -> set[int]:
        return {s.tenant_id for s in self.signatures}


async def detail(session: AsyncSession, actor: Actor, version_id: int, now: datetime) -> VersionDetail:
    agreement, version = await get_version(session, actor, version_id)
    parties = (
        await session.execute(
            select(AgreementParty, Tenant)
            .join(Tenant, Tenant.id == AgreementParty.tenant_id)
            .where(AgreementParty.version_id == version.id)
            .order_by(AgreementParty.id)
        )
    ).all()
    clauses = (
        await session.scalars(select(Clause).where(Clause.version_id == version.id).order_by(Clause.number))
    ).all()
    signatures = (
        await session.scalars(select(Signature).where(Signature.version_id == version.id).order_by(Signature.signed_at))
    ).all()
    comments = (
        await session.execute(
            select(AgreementComment, User.full_name)
            .join(User, User.id == AgreementComment.author_user_id)
            .where(AgreementComment.version_id == version.id)
            .order_by(AgreementComment.id)
        )
    ).all()
    return VersionDetail(
        agreement=agreement,
        version=version,
        status=effective_status(version, now),
        parties=[(p, t) for p, t in parties],
        clauses=list(clauses),
        signatures=list(signatures),
        comments=[(c, n) for c, n in comments],
        tenants={t.id: t for _p, t in parties},
    )


def _is_party(d: VersionDetail, tenant_id: int) -> bool:
    return any(p.tenant_id == tenant_id for p, _t in d.parties)


def may_edit(agreement: Agreement, version: AgreementVersion, actor: Actor) -> bool:
    return version.status == "draft" and agreement.tenant_id == actor.tenant_id


async def audit_version(
    session: AsyncSession,
    actor: Actor,
    action: str,
    version: AgreementVersion,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    agreement = await session.get(Agreement, version.agreement_id)
    await audit.record(
        session,
        action=action,
        object_type="agreement_version",
        object_id=version.id,
        actor_user_id=actor.user_id,
        actor_tenant_id=actor.tenant_id,
        owner_tenant_id=agreement.tenant_id if agreement else None,
        detail={"agreement_id": version.agreement_id, "number": version.number, **(detail or {})},
        now=now,
    )
