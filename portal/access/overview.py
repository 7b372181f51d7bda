"""What a tenant shares and is shared, and who read its clients' data: pages for the data owner."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access.grants import live_on
from portal.access.models import AccessGrant, AuditEntry
from portal.access.sharing import local_date
from portal.access.vocabulary import CATEGORIES
from portal.tenants.models import Tenant, User


@dataclass(frozen=True)
class ClauseLabel:
    agreement_id: int
    title: str
    version_number: int
    clause_number: int
    purpose: str
    scope: str
    consent_required: bool
    valid_until: object


@dataclass
class Matrix:
    """Rows: partners; columns: categories; cells: the clauses that share that category."""

    partners: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    cells: dict[tuple[int, str], list[ClauseLabel]] = field(default_factory=dict)
    categories: tuple[str, ...] = CATEGORIES


def _names(t: Tenant) -> dict[str, str]:
    return {"uz": t.name_uz, "uz_Cyrl": t.name_uz_cyrl, "ru": t.name_ru, "en": t.name_en}


async def sharing_matrix(session: AsyncSession, tenant_id: int, now: datetime) -> tuple[Matrix, Matrix]:
    """(data we share, data shared with us) from the grant rows in force today."""
    today = local_date(now)
    rows = (
        await session.scalars(
            select(AccessGrant)
            .where(
                or_(AccessGrant.owner_tenant_id == tenant_id, AccessGrant.recipient_tenant_id == tenant_id),
                AccessGrant.action == "read",
                live_on(today),
            )
            .order_by(AccessGrant.agreement_id, AccessGrant.clause_number)
        )
    ).all()
    partner_ids = {g.recipient_tenant_id if g.owner_tenant_id == tenant_id else g.owner_tenant_id for g in rows}
    tenants = {t.id: t for t in (await session.scalars(select(Tenant).where(Tenant.id.in_(partner_ids)))).all()}
    ours, theirs = Matrix(), Matrix()
    for grant in rows:
        label = ClauseLabel(
            agreement_id=grant.agreement_id,
            title=grant.agreement_title,
            version_number=grant.version_number,
            clause_number=grant.clause_number,
            purpose=grant.purpose,
            scope=grant.scope,
            consent_required=grant.consent_required,
            valid_until=grant.valid_until,
        )
        if grant.owner_tenant_id == tenant_id:
            matrix, partner = ours, grant.recipient_tenant_id
        else:
            matrix, partner = theirs, grant.owner_tenant_id
        matrix.cells.setdefault((partner, grant.category), []).append(label)
    for matrix in (ours, theirs):
        seen = sorted({p for p, _c in matrix.cells}, key=lambda p: tenants[p].name_uz)
        matrix.partners = [(p, _names(tenants[p])) for p in seen]
    return ours, theirs


@dataclass(frozen=True)
class ReadEntry:
    at: datetime
    reader_name: str
    reader_tenant: dict[str, str]
    client_id: str | None
    categories: list[str]
    clauses: list[str]


async def reads_of_our_clients(session: AsyncSession, tenant_id: int, limit: int = 200) -> list[ReadEntry]:
    """Who in other organisations read this tenant's clients' data, newest first."""
    entries = (
        await session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.owner_tenant_id == tenant_id,
                AuditEntry.action == "client.read",
                AuditEntry.actor_tenant_id != tenant_id,
            )
            .order_by(AuditEntry.id.desc())
            .limit(limit)
        )
    ).all()
    user_ids = {e.actor_user_id for e in entries if e.actor_user_id}
    tenant_ids = {e.actor_tenant_id for e in entries if e.actor_tenant_id}
    users = dict((await session.execute(select(User.id, User.full_name).where(User.id.in_(user_ids)))).all())
    tenants = {t.id: _names(t) for t in (await session.scalars(select(Tenant).where(Tenant.id.in_(tenant_ids)))).all()}
    return [
        ReadEntry(
            at=e.at,
            reader_name=users.get(e.actor_user_id, "?"),
            reader_tenant=tenants.get(e.actor_tenant_id, {}),
            client_id=e.object_id,
            categories=list(e.detail.get("categories", [])),
            clauses=list(e.detail.get("clauses", [])),
        )
        for e in entries
    ]
