"""The one enforcement point for shared rows: the predicate that scopes a select, and the decision
that says which categories of one row the actor may see, and why.

Inside its own tenant a user sees the tenant's rows when a role grants (obj, act) (Casbin RBAC with
domains), and of them only the categories its roles there need to know (policy.ROLE_CATEGORIES); a
row none of whose categories the roles may read is not seen at all. A table declared `own_only` is
never read across tenants, whatever a clause says.

Across tenants a row is visible when a live grant row ties the actor's tenant to the row's
owner for one of the table's categories and the action, and the row's client meets the grant's
conditions at `now`: engaged with the recipient when the grant's scope says so, and a consent for the
grant's purpose given and not withdrawn when it requires one. Grant rows are written and removed in
the same transaction as the agreement's activation, termination or supersession, and carry their
window, so the database has the last word: nothing held in a worker's memory can keep a terminated,
expired or withdrawn grant alive.

A record that is itself an exchange between tenants (a referral) names party columns in its
declaration: a tenant one of them names sees the record's party-category fields, as its owner's
partner in that exchange, with no clause behind it; the clauses still decide every other category.
A plan may also be narrowed to one purpose (a referral page shows what the clauses share for
referrals, not what a case-conference clause shares).

The list filter is a few semi-joins driven by the recipient's grant rows, whatever the number of
clauses; the decision for the rows of a page (or for one row) reads those rows' grants, engagements
and consents in three small indexed queries and matches them by the same rules. A property test
holds the two equal: a row is in a list exactly when `decide` allows it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import ColumnElement, and_, false, or_, select, tuple_, union
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access import grants
from portal.access.declare import Shared
from portal.access.models import AccessGrant, Consent, Engagement
from portal.access.vocabulary import PARTY_CATEGORIES, PURPOSES

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

    @property
    def version_id(self) -> int | None:
        """The agreement version a "version:V:clause:N" source names, for a link to it."""
        kind, _sep, rest = self.source.partition(":")
        number = rest.partition(":")[0]
        return int(number) if kind == "version" and number.isascii() and number.isdigit() else None


@dataclass(frozen=True)
class Decision:
    """What the actor may see of one row, and why."""

    allowed: bool
    row: object | None = None
    own: bool = False
    categories: frozenset[str] = frozenset()
    reasons: dict[str, tuple[Reason, ...]] = field(default_factory=dict)  # category -> reasons
    parties: tuple[str, ...] = ()  # the party columns naming the actor's tenant, when it sees the row as a party

    @property
    def cross_tenant(self) -> bool:
        return self.allowed and not self.own

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(sorted({r.source for rs in self.reasons.values() for r in rs}))


DENIED = Decision(allowed=False)


def _grants_in_force(
    tenant_id: int, action: str, today: date, categories: frozenset[str], purpose: str | None = None
) -> list[ColumnElement[bool]]:
    """The recipient's well-formed grant rows for one action and these categories (and purpose), live today."""
    narrowed = [] if purpose is None else [AccessGrant.purpose == purpose]
    return [
        *narrowed,
        AccessGrant.recipient_tenant_id == tenant_id,
        AccessGrant.owner_tenant_id != tenant_id,
        AccessGrant.category.in_(sorted(categories)),
        AccessGrant.action == action,
        AccessGrant.purpose.in_(PURPOSES),  # a malformed row grants nothing
        AccessGrant.valid_from <= today,
        AccessGrant.valid_until >= today,
    ]


def _open_engagements(tenant_id: int, today: date) -> list[ColumnElement[bool]]:
    return [
        Engagement.recipient_tenant_id == tenant_id,
        Engagement.opened_on <= today,
        or_(Engagement.closed_on.is_(None), Engagement.closed_on > today),
    ]


def _live_consents(tenant_id: int, now: datetime) -> list[ColumnElement[bool]]:
    return [
        Consent.recipient_tenant_id == tenant_id,
        Consent.given_at <= now,
        or_(Consent.withdrawn_at.is_(None), Consent.withdrawn_at > now),
    ]


def shared_with(  # type: ignore[no-untyped-def]
    shared: Shared, tenant_id: int, action: str, now: datetime, categories: frozenset[str], purpose: str | None = None
):
    """SQL true for a row of `shared` another tenant shares with `tenant_id` now (see `shared_branches`)."""
    return or_(*shared_branches(shared, tenant_id, action, now, categories, purpose))


def shared_branches(
    shared: Shared, tenant_id: int, action: str, now: datetime, categories: frozenset[str], purpose: str | None = None
) -> list[ColumnElement[bool]]:
    """SQL true for a row of `shared` another tenant shares with `tenant_id` now, in one of the categories.

    Three indexable branches, each driven by the recipient's own grant rows: the owners that share all
    their clients without consent; the clients engaged with the recipient under an "engaged" grant
    (with their consent when it asks for one); the clients that consented under an "all" grant that
    asks for consent. A row's client is matched with its owner, so a fact recorded by one owner never
    opens another owner's rows.
    """
    today = local_date(now)
    live = _grants_in_force(tenant_id, action, today, categories, purpose)
    free_owners = select(AccessGrant.owner_tenant_id).where(
        *live, AccessGrant.scope == "all", AccessGrant.consent_required.is_(False)
    )
    engaged_owners = select(AccessGrant.owner_tenant_id).where(
        *live, AccessGrant.scope == "engaged", AccessGrant.consent_required.is_(False)
    )
    engaged_with_consent = select(AccessGrant.owner_tenant_id, AccessGrant.purpose).where(
        *live, AccessGrant.scope == "engaged", AccessGrant.consent_required
    )
    all_with_consent = select(AccessGrant.owner_tenant_id, AccessGrant.purpose).where(
        *live, AccessGrant.scope == "all", AccessGrant.consent_required
    )
    consent_matches = and_(
        Consent.client_id == Engagement.client_id, Consent.owner_tenant_id == Engagement.owner_tenant_id
    )
    engaged = union(
        select(Engagement.client_id, Engagement.owner_tenant_id).where(
            *_open_engagements(tenant_id, today), Engagement.owner_tenant_id.in_(engaged_owners)
        ),
        select(Engagement.client_id, Engagement.owner_tenant_id)
        .join(Consent, consent_matches)
        .where(
            *_open_engagements(tenant_id, today),
            *_live_consents(tenant_id, now),
            tuple_(Engagement.owner_tenant_id, Consent.purpose).in_(engaged_with_consent),
        ),
        select(Consent.client_id, Consent.owner_tenant_id).where(
            *_live_consents(tenant_id, now), tuple_(Consent.owner_tenant_id, Consent.purpose).in_(all_with_consent)
        ),
    )
    pair = tuple_(shared.client, shared.owner)
    return [shared.owner.in_(free_owners), pair.in_(engaged)]


@dataclass(frozen=True)
class Plan:
    """Everything one actor may see of one declared table for one action."""

    shared: Shared
    tenant_id: int
    action: str
    role_allows: bool  # the actor's roles allow (obj, action) at all
    now: datetime
    purpose: str | None = None  # only clauses of this purpose count (None: any)
    # Need to know inside the own tenant: the categories the actor's roles there may read (policy.py
    # ROLE_CATEGORIES). Empty unless given, so a plan built without them shows nothing of its own.
    own_categories: frozenset[str] = frozenset()
    rejected: dict[int, AccessGrant] = field(default_factory=dict)  # grant rows whose seal failed

    def categories(self, category: str | None) -> frozenset[str]:
        if category is None:
            return self.shared.categories
        return self.shared.categories & {category}

    def predicate(self, category: str | None = None) -> ColumnElement[bool]:
        branches = self.branches(category)
        return or_(*branches) if branches else false()

    def branches(self, category: str | None = None, foreign_only: bool = False) -> list[ColumnElement[bool]]:
        """The ways a row may be visible (the own tenant's, a party's, shared by clause), each indexable on
        its own; the predicate is their OR. `foreign_only` leaves out the own tenant's rows."""
        cats = self.categories(category)
        if not self.role_allows or not cats:
            return []
        branches: list[ColumnElement[bool]] = []
        if cats & self.own_categories and not foreign_only:
            branches.append(self.shared.owner == self.tenant_id)
        if cats & set(PARTY_CATEGORIES):
            branches.append(self.shared.party_predicate(self.tenant_id))
        clause_cats = cats - set(PARTY_CATEGORIES)
        if clause_cats and not self.shared.own_only:
            branches += shared_branches(self.shared, self.tenant_id, self.action, self.now, clause_cats, self.purpose)
        return branches

    async def decide(
        self, session: AsyncSession, rows: Iterable[object], category: str | None = None
    ) -> list[Decision]:
        """One decision per row, in order. A grant row whose seal does not hold grants nothing; it is
        kept in `self.rejected` for the caller to report."""
        rows = list(rows)
        cats = self.categories(category)
        if not self.role_allows or not cats:
            return [DENIED for _ in rows]
        foreign = [r for r in rows if self._owner_of(r) != self.tenant_id]
        if self.shared.own_only:
            foreign = []
        clause_cats = cats - set(PARTY_CATEGORIES)
        party_cats = cats & set(PARTY_CATEGORIES)
        matches = await self._matches(session, foreign, clause_cats) if foreign and clause_cats else {}
        own_cats = cats & self.own_categories
        decisions = []
        for row in rows:
            if self._owner_of(row) == self.tenant_id:
                own = Decision(allowed=True, row=row, own=True, categories=own_cats) if own_cats else DENIED
                decisions.append(own)
                continue
            parties = self.shared.parties_of(row, self.tenant_id) if party_cats else ()
            found = matches.get(row.id, {})  # type: ignore[attr-defined]
            if not found and not parties:
                decisions.append(DENIED)
                continue
            reasons = {cat: tuple(_unique(rs)) for cat, rs in sorted(found.items())}
            seen = frozenset(reasons) | (party_cats if parties else frozenset())
            decisions.append(Decision(allowed=True, row=row, categories=seen, reasons=reasons, parties=parties))
        return decisions

    def _owner_of(self, row: object) -> int:
        return getattr(row, self.shared.owner.key)

    def _client_of(self, row: object) -> int:
        return getattr(row, self.shared.client.key)

    async def _matches(
        self, session: AsyncSession, rows: list[object], cats: frozenset[str]
    ) -> dict[int, dict[str, list[Reason]]]:
        """Which grant shares which category of each row, read in three small indexed queries and
        matched here by the same rules as `shared_with` (a property test holds the two equal)."""
        today = local_date(self.now)
        owners = {self._owner_of(r) for r in rows}
        clients = sorted({self._client_of(r) for r in rows})
        found = (
            await session.scalars(
                select(AccessGrant)
                .where(
                    *_grants_in_force(self.tenant_id, self.action, today, cats, self.purpose),
                    AccessGrant.owner_tenant_id.in_(owners),
                    AccessGrant.scope.in_(("all", "engaged")),
                )
                .order_by(AccessGrant.source, AccessGrant.category)
            )
        ).all()
        by_owner: dict[int, list[AccessGrant]] = {}
        for grant in found:
            if grants.authentic(grant):
                by_owner.setdefault(grant.owner_tenant_id, []).append(grant)
            else:
                self.rejected[grant.id] = grant
        engaged: set[tuple[int, int]] = set()
        if any(g.scope == "engaged" for g in found):
            engaged = set(
                (
                    await session.execute(
                        select(Engagement.client_id, Engagement.owner_tenant_id).where(
                            Engagement.client_id.in_(clients), *_open_engagements(self.tenant_id, today)
                        )
                    )
                ).all()
            )
        consented: set[tuple[int, int, str]] = set()
        if any(g.consent_required for g in found):
            consented = set(
                (
                    await session.execute(
                        select(Consent.client_id, Consent.owner_tenant_id, Consent.purpose).where(
                            Consent.client_id.in_(clients), *_live_consents(self.tenant_id, self.now)
                        )
                    )
                ).all()
            )
        matches: dict[int, dict[str, list[Reason]]] = {}
        for row in rows:
            client, owner = self._client_of(row), self._owner_of(row)
            for grant in by_owner.get(owner, ()):
                if grant.scope == "engaged" and (client, owner) not in engaged:
                    continue
                if grant.consent_required and (client, owner, grant.purpose) not in consented:
                    continue
                matches.setdefault(row.id, {}).setdefault(grant.category, []).append(_reason(grant))  # type: ignore[attr-defined]
        return matches


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


__all__ = ["DENIED", "TASHKENT", "Decision", "Plan", "Reason", "local_date", "shared_with"]
