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
from portal.partnership.models import (
    OPEN_STATUSES,
    Agreement,
    AgreementComment,
    AgreementEvent,
    AgreementParty,
    AgreementVersion,
    Clause,
    Signature,
)
from portal.partnership.states import Standing, effective_status
from portal.tenants.models import Tenant, User

# Ids beyond what an integer column holds on every database (PostgreSQL's INTEGER) name nothing.
MAX_ID = 2**31 - 1


# --- reading ----------------------------------------------------------------------------------


def _visible_to(tenant_id: int):  # type: ignore[no-untyped-def]
    party = select(AgreementParty.id).where(
        AgreementParty.version_id == AgreementVersion.id, AgreementParty.tenant_id == tenant_id
    )
    return or_(Agreement.tenant_id == tenant_id, party.exists())


async def get_version(session: AsyncSession, actor: Actor, version_id: int) -> tuple[Agreement, AgreementVersion]:
    """A version the actor's tenant drafted or is a party to; NotFound for anything else."""
    if not 0 < version_id <= MAX_ID:
        raise NotFound(version_id)
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


PAGE = 50  # agreements per page of the list


@dataclass(frozen=True)
class AgreementPage:
    rows: list[AgreementRow]
    after: int | None  # the key of the next page (the last agreement shown), None on the last page


async def list_agreements(
    session: AsyncSession, actor: Actor, now: datetime, after: int | None = None, page: int = PAGE
) -> AgreementPage:
    """The versions the actor's tenant drafted or is a party to, newest agreement first, one page of
    agreements at a time (keyset: the agreements below `after`). Only the columns the list shows are
    read, never a version's terms."""
    tenant_id = actor.tenant_id
    party = (
        select(AgreementParty.id)
        .join(AgreementVersion, AgreementVersion.id == AgreementParty.version_id)
        .where(AgreementVersion.agreement_id == Agreement.id, AgreementParty.tenant_id == tenant_id)
    )
    ids = select(Agreement.id).where(or_(Agreement.tenant_id == tenant_id, party.exists()))
    if after is not None:
        ids = ids.where(Agreement.id < after)
    chosen = list(await session.scalars(ids.order_by(Agreement.id.desc()).limit(page + 1)))
    more = len(chosen) > page
    chosen = chosen[:page]
    if not chosen:
        return AgreementPage([], None)
    versions = await session.execute(
        select(
            AgreementVersion.agreement_id,
            AgreementVersion.id,
            AgreementVersion.number,
            AgreementVersion.title,
            AgreementVersion.status,
            AgreementVersion.valid_from,
            AgreementVersion.valid_until,
            AgreementVersion.notice_ends_on,
        )
        .join(Agreement, Agreement.id == AgreementVersion.agreement_id)
        .where(AgreementVersion.agreement_id.in_(chosen), _visible_to(tenant_id))
        .order_by(AgreementVersion.agreement_id.desc(), AgreementVersion.number.desc())
    )
    rows = [
        AgreementRow(v.agreement_id, v.id, v.number, v.title, effective_status(v, now), v.valid_from, v.valid_until)
        for v in versions
    ]
    return AgreementPage(rows, chosen[-1] if more else None)


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
    comments: list[tuple[AgreementComment, str]]  # only those the reader's tenant may read
    tenants: dict[int, Tenant] = field(default_factory=dict)  # every tenant named on the page
    events: list[AgreementEvent] = field(default_factory=list)
    standing: Standing | None = None

    @property
    def signed_tenants(self) -> set[int]:
        return {s.tenant_id for s in self.signatures}

    @property
    def unsigned_parties(self) -> list[Tenant]:
        return [t for _p, t in self.parties if t.id not in self.signed_tenants]


async def _open_amendment(session: AsyncSession, version: AgreementVersion) -> bool:
    other = await session.scalar(
        select(AgreementVersion.id).where(
            AgreementVersion.agreement_id == version.agreement_id,
            AgreementVersion.id != version.id,
            AgreementVersion.status.in_(OPEN_STATUSES),
        )
    )
    return other is not None


def _standing(
    agreement: Agreement,
    version: AgreementVersion,
    parties: list[int],
    signed: list[int],
    clauses: list[Clause],
    open_amendment: bool,
    now: datetime,
) -> Standing:
    today = local_date(now)
    return Standing(
        version=version,
        drafting_tenant_id=agreement.tenant_id,
        party_tenant_ids=frozenset(parties),
        signed_tenant_ids=frozenset(signed),
        sharing_owner_ids=frozenset(c.owner_tenant_id for c in clauses if c.ends_on is None or c.ends_on >= today),
        open_amendment=open_amendment,
    )


async def standing(session: AsyncSession, actor: Actor, version_id: int, now: datetime) -> Standing:
    """The version with the facts `allowed_actions` reads; NotFound when the actor may not see it."""
    agreement, version = await get_version(session, actor, version_id)
    parties = (
        await session.scalars(select(AgreementParty.tenant_id).where(AgreementParty.version_id == version.id))
    ).all()
    signed = (await session.scalars(select(Signature.tenant_id).where(Signature.version_id == version.id))).all()
    clauses = (await session.scalars(select(Clause).where(Clause.version_id == version.id))).all()
    return _standing(
        agreement, version, list(parties), list(signed), list(clauses), await _open_amendment(session, version), now
    )


def comment_visible(comment: AgreementComment, reader_tenant_id: int, drafting_tenant_id: int, joined: Any) -> bool:
    """A party added later reads a comment written before it joined only when its author allowed it."""
    if reader_tenant_id in (comment.tenant_id, drafting_tenant_id) or comment.later_parties_may_read:
        return True
    return joined is None or comment.created_at >= joined


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
    events = (
        await session.scalars(
            select(AgreementEvent).where(AgreementEvent.version_id == version.id).order_by(AgreementEvent.id)
        )
    ).all()
    tenants = {t.id: t for _p, t in parties}
    others = {e.subject_tenant_id for e in events} | {e.tenant_id for e in events} | {agreement.tenant_id}
    missing = {i for i in others if i is not None and i not in tenants}
    if missing:
        tenants.update({t.id: t for t in (await session.scalars(select(Tenant).where(Tenant.id.in_(missing)))).all()})
    joined = next((p.joined_at for p, _t in parties if p.tenant_id == actor.tenant_id), None)
    return VersionDetail(
        agreement=agreement,
        version=version,
        status=effective_status(version, now),
        parties=[(p, t) for p, t in parties],
        clauses=list(clauses),
        signatures=list(signatures),
        comments=[(c, n) for c, n in comments if comment_visible(c, actor.tenant_id, agreement.tenant_id, joined)],
        tenants=tenants,
        events=list(events),
        standing=_standing(
            agreement,
            version,
            [p.tenant_id for p, _t in parties],
            [s.tenant_id for s in signatures],
            list(clauses),
            await _open_amendment(session, version),
            now,
        ),
    )


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


async def record_event(
    session: AsyncSession,
    actor: Actor,
    version: AgreementVersion,
    kind: str,
    now: datetime,
    reason: str = "",
    subject_tenant_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Tell every party of the version: an entry in its events list, shown on the version page."""
    session.add(
        AgreementEvent(
            version_id=version.id,
            kind=kind,
            at=now,
            tenant_id=actor.tenant_id,
            user_id=actor.user_id,
            user_name=actor.full_name,
            subject_tenant_id=subject_tenant_id,
            reason=reason,
            detail=detail or {},
        )
    )
    await session.flush()
