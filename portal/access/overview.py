"""What a tenant shares and is shared, and who read its clients' data: pages for the data owner."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from sqlalchemy import or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access.audit import READ_KINDS
from portal.access.grants import live_on
from portal.access.models import AccessGrant, AuditEntry
from portal.access.sharing import TASHKENT, local_date
from portal.access.vocabulary import CATEGORIES
from portal.i18n import gettext as _
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


READS_PAGE = 50
_MAX_ID = 2**31 - 1
_DATE_RE = re.compile(r"[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}")


@dataclass(frozen=True)
class ReadEntry:
    id: int
    at: datetime
    kind: str
    reader_name: str
    reader_tenant: dict[str, str]
    object_type: str
    client_id: str | None
    categories: list[str]
    clauses: list[str]
    parties: list[str] = field(default_factory=list)  # read as a party of the record (a referral's recipient)


@dataclass
class ReadsFilter:
    """The filters of the "who read our data" page as typed (query string), and what they mean once checked."""

    partner: str = ""
    client: str = ""
    date_from: str = ""
    date_to: str = ""
    kind: str = ""
    before: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    partner_id: int | None = None
    client_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None

    @classmethod
    def of(cls, query: Mapping[str, str]) -> ReadsFilter:
        typed = {name: str(query.get(name, "")).strip()[:40] for name in ("partner", "client", "date_from", "date_to")}
        return cls(**typed, kind=str(query.get("kind", "")).strip()[:10], before=str(query.get("before", ""))[:20])

    def query(self, **changes: str) -> str:
        """The query string of these filters (with `changes`), for links that keep them."""
        values = {"partner": self.partner, "client": self.client, "date_from": self.date_from}
        values.update(date_to=self.date_to, kind=self.kind, **changes)
        return urlencode({k: v for k, v in values.items() if v})


def _number(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) <= _MAX_ID else None


def _day(text: str) -> date | None:
    if not _DATE_RE.fullmatch(text):
        return None
    day, month, year = (int(part) for part in text.split("."))
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, TASHKENT).astimezone(UTC)


def check_filter(f: ReadsFilter, partners: Sequence[tuple[int, dict[str, str]]]) -> None:
    """Fill the meanings of `f`, or `f.errors` beside the fields (messages in the reader's language)."""
    if f.partner:
        f.partner_id = _number(f.partner)
        if f.partner_id not in {p for p, _n in partners}:
            f.errors["partner"] = _("Choose a partner organisation from the list.")
    if f.client:
        f.client_id = _number(f.client)
        if f.client_id is None:
            f.errors["client"] = _("Enter a client number in digits, e.g. 12.")
    for name, text in (("date_from", f.date_from), ("date_to", f.date_to)):
        if text and _day(text) is None:
            f.errors[name] = _("Enter a date as day.month.year, e.g. 25.11.2026.")
    start, end = _day(f.date_from), _day(f.date_to)
    if start and end and end < start:
        f.errors["date_to"] = _("The period ends before it starts.")
    f.since = _start_of(start) if start else None
    f.until = _start_of(end + timedelta(days=1)) if end else None
    if f.kind and f.kind not in READ_KINDS:
        f.errors["kind"] = _("Choose a kind of read from the list.")
    f.before_id = _number(f.before)


async def reading_partners(session: AsyncSession, tenant_id: int) -> list[tuple[int, dict[str, str]]]:
    """Every organisation a grant lets read our clients' data, and every one that has read it (the log
    keeps readers after their clauses end)."""
    readers = select(AuditEntry.actor_tenant_id).where(
        AuditEntry.owner_tenant_id == tenant_id,
        AuditEntry.kind.in_(READ_KINDS),
        AuditEntry.actor_tenant_id != tenant_id,
    )
    ids = union(select(AccessGrant.recipient_tenant_id).where(AccessGrant.owner_tenant_id == tenant_id), readers)
    tenants = (await session.scalars(select(Tenant).where(Tenant.id.in_(ids)).order_by(Tenant.name_uz))).all()
    return [(t.id, _names(t)) for t in tenants]


async def reads_of_our_clients(
    session: AsyncSession, tenant_id: int, f: ReadsFilter | None = None, limit: int = READS_PAGE
) -> tuple[list[ReadEntry], int | None]:
    """Reads of this tenant's clients' data by other organisations, newest first, filtered by `f` (checked);
    returns one page and the id to pass as `before` for the older page (None on the last page)."""
    f = f or ReadsFilter()
    query = select(AuditEntry).where(
        AuditEntry.owner_tenant_id == tenant_id,
        AuditEntry.kind.in_([f.kind] if f.kind else READ_KINDS),
        AuditEntry.actor_tenant_id != tenant_id,
    )
    if f.partner_id is not None:
        query = query.where(AuditEntry.actor_tenant_id == f.partner_id)
    if f.client_id is not None:
        query = query.where(AuditEntry.object_type == "client", AuditEntry.object_id == str(f.client_id))
    if f.since is not None:
        query = query.where(AuditEntry.at >= f.since)
    if f.until is not None:
        query = query.where(AuditEntry.at < f.until)
    if f.before_id is not None:
        query = query.where(AuditEntry.id < f.before_id)
    entries = (await session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit + 1))).all()
    older = entries[limit - 1].id if len(entries) > limit else None
    entries = entries[:limit]
    if not entries:
        return [], None
    user_ids = {e.actor_user_id for e in entries if e.actor_user_id}
    tenant_ids = {e.actor_tenant_id for e in entries if e.actor_tenant_id}
    users = dict((await session.execute(select(User.id, User.full_name).where(User.id.in_(user_ids)))).all())
    tenants = {t.id: _names(t) for t in (await session.scalars(select(Tenant).where(Tenant.id.in_(tenant_ids)))).all()}
    return [
        ReadEntry(
            id=e.id,
            at=e.at.astimezone(TASHKENT),
            kind=e.kind or "open",
            reader_name=users.get(e.actor_user_id, "?"),
            reader_tenant=tenants.get(e.actor_tenant_id, {}),
            object_type=e.object_type,
            client_id=e.object_id,
            categories=list(e.detail.get("categories", [])),
            clauses=list(e.detail.get("clauses", [])),
            parties=list(e.detail.get("parties", [])),
        )
        for e in entries
    ], older
