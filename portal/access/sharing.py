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
holds the two equal: a row is in a list exactly when `decide` allows it. The same ways can also be
asked of each row at hand (`probed`), which a page walked in its list's order runs: the property test
holds that form equal too.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, false, or_
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access import grants
from portal.access.declare import Shared
from portal.access.vocabulary import PARTY_CATEGORIES
from portal.access.ways import (
    CLIENTS,
    OWNERS,
    TASHKENT,
    bound_ways,
    local_date,
    matching_reads,
    parameters,
    shared_with,
    ways_of,
)


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
    rejected: dict[int, Any] = field(default_factory=dict)  # grant rows (their columns) whose seal failed

    def categories(self, category: str | None) -> frozenset[str]:
        if category is None:
            return self.shared.categories
        return self.shared.categories & {category}

    def predicate(self, category: str | None = None, probed: bool = False) -> ColumnElement[bool]:
        """SQL true for the rows the plan lets the actor see, built anew with its values in place: the
        tests' reference for what `bound` with `values` must select (the kernel runs `bound`)."""
        key = self._shape_key(category, False)
        if not key:
            return false()
        branches = ways_of(*key, probed, tenant=self.tenant_id, today=local_date(self.now), now=self.now)
        return or_(*branches) if branches else false()

    @property
    def values(self) -> dict[str, object]:
        """The parameters of `bound`: the actor's tenant, today in Tashkent, and now."""
        return parameters(self.tenant_id, self.now)

    def bound(
        self,
        category: str | None = None,
        foreign_only: bool = False,
        probed: bool = False,
        own_tenant_only: bool = False,
    ) -> tuple[ColumnElement[bool], ...]:
        """The ways a row may be visible (the own tenant's, a party's, shared by clause), each indexable on
        its own, with `values` as their parameters; the predicate is their OR. `foreign_only` leaves out
        the own tenant's rows; `probed` asks each clause's way of the row at hand (ways.probed_branches).
        Built once per shape and kept (see `bound_ways`).

        `own_tenant_only` keeps the own tenant's rows alone, and then the own way is the only one: `decide`
        lets the actor see a row of its own tenant by that way or not at all (a party or a clause never
        opens it), and no clause names the recipient's own rows. The other ways add no row to a list of
        its own rows, only planning: 4-8 ms of PostgreSQL for each such list of the owner's home page at
        national scale."""
        key = self._shape_key(category, foreign_only)
        if not key:
            return ()
        if own_tenant_only:
            model, action, _clause_cats, purpose, own, _party, _clauses = key
            return bound_ways(model, action, frozenset(), purpose, own, False, False, False) if own else ()
        return bound_ways(*key, probed)

    def _shape_key(self, category: str | None, foreign_only: bool) -> tuple[Any, ...]:
        cats = self.categories(category)
        if not self.role_allows or not cats:
            return ()
        clause_cats = frozenset(cats - set(PARTY_CATEGORIES))
        return (
            self.shared.model,
            self.action,
            clause_cats,
            self.purpose,
            bool(cats & self.own_categories) and not foreign_only,
            bool(cats & set(PARTY_CATEGORIES)),
            bool(clause_cats) and not self.shared.own_only,
        )

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
        owners = sorted({self._owner_of(r) for r in rows})
        clients = sorted({self._client_of(r) for r in rows})
        bind = session.get_bind()
        grant_rows, engaged_rows, consented_rows = matching_reads(bind.dialect.name, self.action, cats, self.purpose)
        values = {**self.values, OWNERS: owners, CLIENTS: clients}
        # The grant rows as plain rows of their columns, not mapped objects: the recipient of a hundred
        # owners reads a few hundred for a page, and mapping each cost 25 µs.
        found = (await session.execute(grant_rows, values)).all()
        by_owner: dict[int, list[tuple[Any, Reason]]] = {}
        key = grants.seal_key()
        for grant in found:
            reason = _judged(key, grant)
            if reason is not None:
                by_owner.setdefault(grant.owner_tenant_id, []).append((grant, reason))
            else:
                self.rejected[grant.id] = grant
        engaged: set[tuple[int, int]] = set()
        if any(g.scope == "engaged" for g in found):
            engaged = set((await session.execute(engaged_rows, values)).all())
        consented: set[tuple[int, int, str]] = set()
        if any(g.consent_required for g in found):
            consented = set((await session.execute(consented_rows, values)).all())
        matches: dict[int, dict[str, list[Reason]]] = {}
        for row in rows:
            client, owner = self._client_of(row), self._owner_of(row)
            for grant, reason in by_owner.get(owner, ()):
                if grant.scope == "engaged" and (client, owner) not in engaged:
                    continue
                if grant.consent_required and (client, owner, grant.purpose) not in consented:
                    continue
                matches.setdefault(row.id, {}).setdefault(grant.category, []).append(reason)  # type: ignore[attr-defined]
        return matches


@functools.lru_cache(maxsize=4096)  # the busiest recipient reads some 550 grant rows a page
def _judged(key: bytes, grant: Any) -> Reason | None:
    """A grant row's reason when its seal holds under `key`, None when it does not: remembered per key
    and row. The row (of the grant table's columns) is its own cache key, every column's value in it, so
    a row changed in the database is a new question. Checking the seal and building the reason anew
    cost a quarter of the handler's CPU on the list of the recipient of a hundred owners, where the same
    rows come back on every request."""
    return _reason(grant) if grants.authentic(grant, key) else None


def _reason(grant: Any) -> Reason:
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
