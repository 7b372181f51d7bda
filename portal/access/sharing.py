"""The one enforcement point for shared rows: the predicate that scopes a select, and the decision
that says which categories of one row the actor may see, and why.

Inside its own tenant a user sees the tenant's rows when a role grants (obj, act) (Casbin RBAC with
domains). Across tenants a row is visible when a live grant row ties the actor's tenant to the row's
owner for one of the table's categories and the action, and the row's client meets the grant's
conditions at `now`: engaged with the recipient when the grant's scope says so, and a consent for the
grant's purpose given and not withdrawn when it requires one. Grant rows are written and removed in
the same transaction as the agreement's activation, termination or supersession, and carry their
window, so the database has the last word: nothing held in a worker's memory can keep a terminated,
expired or withdrawn grant alive.

The list filter is one semi-join against the grant rows, whatever the number of clauses; the
decision for the rows of a page (or for one row) joins the same conditions to return each row's
matching grants. Both come from `conditions`, so a row is in a list exactly when `decide` allows it;
a property test holds them to that.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import ColumnElement, Select, and_, exists, false, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access import grants
from portal.access.declare import Shared
from portal.access.models import AccessGrant, Consent, Engagement
from portal.access.vocabulary import PURPOSES

# Agreement windows are calendar dates in Uzbekistan (UTC+5, no daylight saving).
TASHKENT = timezone(timedelta(hours=5), "Asia/Tashkent")


def local_date(now: datetime) -> date:
    if now.tzinfo is None:
        raise ValueError("naive datetime: pass a timezone-aware now")
    return now.astimezone(TASHKENT).date()


@dataclass(frozen=True)
class Reason:
    """Why a shared field is visible: one clause of one signed agreement version."""

    source: str
    owner_tenant_id: int
    agreement_id: int
    agreement_title: str
    version_number: int
    clause_number: int
    signed_on: date | None
    purpose: str
    scope: str
    consent_required: bool


@dataclass(frozen=True)
class Decision:
    """What the actor may see of one row, and why."""

    allowed: bool
    row: object | None = None
    own: bool = False
    categories: frozenset[str] = frozenset()
    reasons: dict[str, tuple[Reason, ...]] = field(default_factory=dict)  # category -> reasons

    @property
    def cross_tenant(self) -> bool:
        return self.allowed and not self.own

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(sorted({r.source for rs in self.reasons.values() for r in rs}))


DENIED = Decision(allowed=False)


def conditions(
    shared: Shared, tenant_id: int, action: str, now: datetime, categories: frozenset[str]
) -> list[ColumnElement[bool]]:
    """SQL that is true for a (row of `shared`, AccessGrant) pair exactly when the grant shares the row."""
    today = local_date(now)
    engaged = exists(
        select(literal(1))
        .where(
            Engagement.client_id == shared.client,
            Engagement.owner_tenant_id == shared.owner,
            Engagement.recipient_tenant_id == tenant_id,
            Engagement.opened_on <= today,
            or_(Engagement.closed_on.is_(None), Engagement.closed_on > today),
        )
        .correlate_except(Engagement)  # the row and the grant come from the enclosing query, at any depth
    )
    consented = exists(
        select(literal(1))
        .where(
            Consent.client_id == shared.client,
            Consent.owner_tenant_id == shared.owner,
            Consent.recipient_tenant_id == tenant_id,
            Consent.purpose == AccessGrant.purpose,
            Consent.given_at <= now,
            or_(Consent.withdrawn_at.is_(None), Consent.withdrawn_at > now),
        )
        .correlate_except(Consent)
    )
    return [
        AccessGrant.recipient_tenant_id == tenant_id,
        AccessGrant.owner_tenant_id == shared.owner,
        AccessGrant.owner_tenant_id != tenant_id,
        AccessGrant.category.in_(sorted(categories)),
        AccessGrant.action == action,
        AccessGrant.purpose.in_(PURPOSES),  # a malformed row grants nothing
        AccessGrant.valid_from <= today,
        AccessGrant.valid_until >= today,
        or_(AccessGrant.scope == "all", and_(AccessGrant.scope == "engaged", engaged)),
        or_(AccessGrant.consent_required.is_(False), consented),
    ]


@dataclass(frozen=True)
class Plan:
    """Everything one actor may see of one declared table for one action."""

    shared: Shared
    tenant_id: int
    action: str
    role_allows: bool  # the actor's roles allow (obj, action) at all
    now: datetime
    rejected: dict[int, AccessGrant] = field(default_factory=dict)  # grant rows whose seal failed

    def categories(self, category: str | None) -> frozenset[str]:
        if category is None:
            return self.shared.categories
        return self.shared.categories & {category}

    def predicate(self, category: str | None = None) -> ColumnElement[bool]:
        cats = self.categories(category)
        if not self.role_allows or not cats:
            return false()
        shared_with_us = exists(
            select(literal(1))
            .select_from(AccessGrant)
            .where(*conditions(self.shared, self.tenant_id, self.action, self.now, cats))
        )
        return or_(self.shared.owner == self.tenant_id, shared_with_us)

    async def decide(
        self, session: AsyncSession, rows: Iterable[object], category: str | None = None
    ) -> list[Decision]:
        """One decision per row, in order, from one query for the matching grants of all of them."""
        rows = list(rows)
        cats = self.categories(category)
        if not self.role_allows or not cats:
            return [DENIED for _ in rows]
        pk = self.shared.model.id  # type: ignore[attr-defined]
        foreign = [r.id for r in rows if self._owner_of(r) != self.tenant_id]  # type: ignore[attr-defined]
        matches: dict[int, dict[str, list[Reason]]] = {}
        if foreign:
            pairs = await session.execute(
                select(pk, AccessGrant)
                .select_from(self.shared.model)
                .join(AccessGrant, and_(*conditions(self.shared, self.tenant_id, self.action, self.now, cats)))
                .where(pk.in_(foreign))
                .order_by(AccessGrant.source, AccessGrant.category)
            )
            for row_id, grant in pairs.all():
                if not grants.authentic(grant):
                    self.rejected[grant.id] = grant
                    continue
                matches.setdefault(row_id, {}).setdefault(grant.category, []).append(_reason(grant))
        decisions = []
        for row in rows:
            if self._owner_of(row) == self.tenant_id:
                decisions.append(Decision(allowed=True, row=row, own=True, categories=cats))
                continue
            found = matches.get(row.id)  # type: ignore[attr-defined]
            if not found:
                decisions.append(DENIED)
                continue
            reasons = {cat: tuple(_unique(rs)) for cat, rs in sorted(found.items())}
            decisions.append(Decision(allowed=True, row=row, categories=frozenset(reasons), reasons=reasons))
        return decisions

    def _owner_of(self, row: object) -> int:
        return getattr(row, self.shared.owner.key)


def _reason(grant: AccessGrant) -> Reason:
    return Reason(
        source=grant.source,
        owner_tenant_id=grant.owner_tenant_id,
        agreement_id=grant.agreement_id,
        agreement_title=grant.agreement_title,
        version_number=grant.version_number,
        clause_number=grant.clause_number,
        signed_on=grant.signed_on,
        purpose=grant.purpose,
        scope=grant.scope,
        consent_required=grant.consent_required,
    )


def _unique(reasons: list[Reason]) -> list[Reason]:
    seen: dict[str, Reason] = {}
    for reason in reasons:
        seen.setdefault(reason.source, reason)
    return list(seen.values())


def scoped(stmt: Select, plan: Plan, category: str | None = None) -> Select:
    return stmt.where(plan.predicate(category))


__all__ = ["DENIED", "TASHKENT", "Decision", "Plan", "Reason", "conditions", "local_date", "scoped"]
