"""The one enforcement point for client data: single clients (`authorize`) and lists (`scope`).

Inside its own tenant a user sees the tenant's clients when a role grants ("client", act) (Casbin
RBAC with domains). Across tenants, the candidate grants are this process's "p2" lines for the
actor's tenant, matched by plain equality; each candidate then becomes an SQL predicate evaluated in
the very query that reads the client: the clause's version is active, today (in Tashkent) lies in
its valid_from..valid_until window and on or before the clause's ends_on (its last day, like valid_until),
the client is engaged with the recipient when the clause says so, and the client's consent for the
clause's purpose is given and not withdrawn when the clause requires it.
So a stale in-memory line (a lost notification, a worker that has not reloaded yet) can never keep
a terminated, expired or withdrawn grant alive: the database has the last word.

`authorize` and `scope` build their answer from the same `_Plan`, so an object is in a list exactly
when `authorize` allows reading it; a property test holds them to that.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import ColumnElement, Select, and_, exists, false, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access.guard import Actor
from portal.access.policy import PolicyStore
from portal.cases.models import Client, Consent, Engagement
from portal.partnership.compiler import clause_ref
from portal.partnership.models import ACTIONS, CATEGORIES, AgreementVersion, Clause

# Agreement windows are calendar dates in Uzbekistan (UTC+5, no daylight saving).
TASHKENT = timezone(timedelta(hours=5), "Asia/Tashkent")


def local_date(now: datetime) -> date:
    if now.tzinfo is None:
        raise ValueError("naive datetime: pass a timezone-aware now")
    return now.astimezone(TASHKENT).date()


@dataclass(frozen=True)
class Grant:
    """One clause as the policy lines present it to one recipient (all its categories together)."""

    ref: str
    version_id: int
    clause_id: int
    owner_tenant_id: int
    recipient_tenant_id: int
    scope: str
    consent_required: bool
    purpose: str
    categories: frozenset[str]


@dataclass(frozen=True)
class Decision:
    """What the actor may see of one client, and why."""

    allowed: bool
    client: Client | None = None
    own: bool = False
    categories: frozenset[str] = frozenset()
    # category -> refs of the clauses that share it ("version:V:clause:C"); empty for own clients
    refs: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def cross_tenant(self) -> bool:
        return self.allowed and not self.own

    @property
    def clause_refs(self) -> tuple[str, ...]:
        return tuple(sorted({ref for refs in self.refs.values() for ref in refs}))


DENIED = Decision(allowed=False)


def candidate_grants(policy: PolicyStore, actor: Actor, action: str) -> list[Grant]:
    """The actor's tenant's p2 lines for one action, grouped per clause.

    Fail closed: no enforcer, no lines. The lines come from the policy store's index, which parsed
    every field strictly and compares tenant ids as integers, so "tenant:1" never matches
    "tenant:10" and a "*" anywhere grants nothing.
    """
    if policy.enforcer is None or action not in ACTIONS:
        return []
    grouped: dict[str, Grant] = {}
    for line in policy.grants.for_recipient(actor.tenant_id):
        if line.action != action or line.owner_tenant_id == actor.tenant_id:
            continue
        ref = clause_ref(line.version_id, line.clause_id)
        known = grouped.get(ref)
        if known is not None:
            if (known.owner_tenant_id, known.scope, known.consent_required, known.purpose) != (
                line.owner_tenant_id,
                line.scope,
                line.consent_required,
                line.purpose,
            ):
                continue  # one clause cannot say two things; ignore the contradicting line
            grouped[ref] = Grant(**{**known.__dict__, "categories": known.categories | {line.category}})
            continue
        grouped[ref] = Grant(
            ref=ref,
            version_id=line.version_id,
            clause_id=line.clause_id,
            owner_tenant_id=line.owner_tenant_id,
            recipient_tenant_id=actor.tenant_id,
            scope=line.scope,
            consent_required=line.consent_required,
            purpose=line.purpose,
            categories=frozenset({line.category}),
        )
    return [grouped[ref] for ref in sorted(grouped)]


def grant_predicate(grant: Grant, now: datetime) -> ColumnElement[bool]:
    """SQL that is true for a Client row exactly when this clause still shares it at `now`."""
    today = local_date(now)
    clause_alive = exists(
        select(literal(1))
        .select_from(Clause)
        .join(AgreementVersion, AgreementVersion.id == Clause.version_id)
        .where(
            Clause.id == grant.clause_id,
            Clause.version_id == grant.version_id,
            Clause.owner_tenant_id == grant.owner_tenant_id,
            Clause.recipient_tenant_id == grant.recipient_tenant_id,
            Clause.scope == grant.scope,
            Clause.consent_required == grant.consent_required,
            Clause.purpose == grant.purpose,
            or_(Clause.ends_on.is_(None), Clause.ends_on >= today),
            AgreementVersion.status == "active",
            AgreementVersion.valid_from <= today,
            AgreementVersion.valid_until >= today,
        )
    )
    parts: list[ColumnElement[bool]] = [Client.tenant_id == grant.owner_tenant_id, clause_alive]
    if grant.scope == "engaged":
        parts.append(
            exists(
                select(literal(1)).where(
                    Engagement.client_id == Client.id,
                    Engagement.owner_tenant_id == Client.tenant_id,
                    Engagement.recipient_tenant_id == grant.recipient_tenant_id,
                    Engagement.opened_on <= today,
                    or_(Engagement.closed_on.is_(None), Engagement.closed_on > today),
                )
            )
        )
    if grant.consent_required:
        parts.append(
            exists(
                select(literal(1)).where(
                    Consent.client_id == Client.id,
                    Consent.owner_tenant_id == Client.tenant_id,
                    Consent.recipient_tenant_id == grant.recipient_tenant_id,
                    Consent.purpose == grant.purpose,
                    Consent.given_at <= now,
                    or_(Consent.withdrawn_at.is_(None), Consent.withdrawn_at > now),
                )
            )
        )
    return and_(*parts)


@dataclass(frozen=True)
class _Plan:
    """Everything one actor may see for one action: own clients and the candidate clauses."""

    actor: Actor
    role_allows: bool  # the actor's roles allow the action on clients at all
    grants: tuple[Grant, ...]
    now: datetime

    def relevant(self, category: str | None) -> tuple[Grant, ...]:
        return tuple(g for g in self.grants if category is None or category in g.categories)

    def predicate(self, category: str | None) -> ColumnElement[bool]:
        if category is not None and category not in CATEGORIES:
            return false()
        own = Client.tenant_id == self.actor.tenant_id if self.role_allows else false()
        return or_(own, *(grant_predicate(g, self.now) for g in self.relevant(category)))

    def columns(self, category: str | None) -> list[ColumnElement[bool]]:
        return [grant_predicate(g, self.now).label(f"g{i}") for i, g in enumerate(self.relevant(category))]

    def decide(self, client: Client, flags: Iterable[object], category: str | None) -> Decision:
        if self.role_allows and client.tenant_id == self.actor.tenant_id:
            mine = frozenset(CATEGORIES) if category is None else frozenset({category}) & frozenset(CATEGORIES)
            return Decision(allowed=True, client=client, own=True, categories=mine) if mine else DENIED
        refs: dict[str, list[str]] = {}
        for grant, flag in zip(self.relevant(category), flags, strict=True):
            if not flag:
                continue
            for cat in grant.categories:
                if category is None or cat == category:
                    refs.setdefault(cat, []).append(grant.ref)
        if not refs:
            return DENIED
        return Decision(
            allowed=True,
            client=client,
            categories=frozenset(refs),
            refs={cat: tuple(sorted(r)) for cat, r in sorted(refs.items())},
        )


async def _plan(session: AsyncSession, policy: PolicyStore, actor: Actor, action: str, now: datetime) -> _Plan:
    await policy.refresh(session)
    # The actor's own role must allow the action on clients, for its own clients and for shared ones.
    if not policy.allows(actor.user_id, actor.tenant_id, "client", action):
        return _Plan(actor=actor, role_allows=False, grants=(), now=now)
    return _Plan(actor=actor, role_allows=True, grants=tuple(candidate_grants(policy, actor, action)), now=now)


async def authorize(
    session: AsyncSession,
    actor: Actor,
    action: str,
    client_id: int,
    category: str | None = None,
    *,
    now: datetime,
    policy: PolicyStore,
) -> Decision:
    """Load one client and decide what the actor may `action` of it (one category, or any)."""
    plan = await _plan(session, policy, actor, action, now)
    stmt = select(Client, *plan.columns(category)).where(Client.id == client_id, plan.predicate(category))
    row = (await session.execute(stmt)).first()
    if row is None:
        return DENIED
    return plan.decide(row[0], row[1:], category)


async def scope(
    stmt: Select,
    session: AsyncSession,
    actor: Actor,
    action: str,
    *,
    now: datetime,
    policy: PolicyStore,
    category: str | None = None,
) -> Select:
    """Restrict a `select(Client)` to the clients the actor may `action` (in `category`, or any)."""
    plan = await _plan(session, policy, actor, action, now)
    return stmt.where(plan.predicate(category))


async def visible_clients(
    session: AsyncSession,
    stmt: Select,
    actor: Actor,
    action: str,
    *,
    now: datetime,
    policy: PolicyStore,
    category: str | None = None,
) -> list[Decision]:
    """Run a scoped `select(Client)` and return each row with its decision, from the same query."""
    plan = await _plan(session, policy, actor, action, now)
    scoped = stmt.add_columns(*plan.columns(category)).where(plan.predicate(category))
    return [plan.decide(row[0], row[1:], category) for row in (await session.execute(scoped)).all()]


__all__ = [
    "DENIED",
    "Decision",
    "Grant",
    "TASHKENT",
    "authorize",
    "candidate_grants",
    "grant_predicate",
    "local_date",
    "scope",
    "visible_clients",
]
