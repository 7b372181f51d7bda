"""The request's `Access`: the only way handlers and services read shared rows.

One object per request (a Litestar dependency), holding the session, the actor, the clock and the
process's policy. It answers every "may I" (`allows`, the same answer the route guard and the
templates get), reads one row or a list through the declared table's plan, and returns redacted
views, never rows, writing the audit entry of every cross-tenant read inside the same call, so no
area can forget either. A read may be narrowed to the clauses of one purpose (`purpose=`), and a
party of a shared exchange (a referral's recipient) gets the row it takes part in for writing with
`held`, as the owner gets its own with `own`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from litestar import Request
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from sqlalchemy import ColumnElement, CompoundSelect, Select, false, func, or_, select, text, union
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access import audit, grants
from portal.access.declare import Shared, declared
from portal.access.guard import Actor
from portal.access.models import Engagement
from portal.access.policy import PolicyStore, categories_of
from portal.access.redact import View, redact
from portal.access.sharing import Decision, Plan, local_date
from portal.access.vocabulary import PARTY_CATEGORIES
from portal.access.ways import rows_by_ids

T = TypeVar("T")
log = logging.getLogger("portal.access")
# A page of a list walks at most WALK rows in the list's own order, asking each whether the actor may
# see it, when the actor's tenant holds at least WIDELY engagements (see Access._walk).
WALK = 1000
WIDELY = 5000
# Whether a tenant holds WIDELY engagements is a hint that only chooses a plan, and it moves slowly: a
# worker keeps each tenant's answer this long (counting them cost 1.8 ms of each of the tenant's pages).
HINT_SECONDS = 300.0
_widely: dict[tuple[int, int], tuple[bool, float]] = {}  # (tenant, WIDELY) -> (answer, good until)
_hint_clock = time.monotonic


class Access:
    def __init__(self, session: AsyncSession, policy: PolicyStore, actor: Actor, now: datetime) -> None:
        self.session = session
        self.policy = policy
        self.actor = actor
        self.now = now
        self._fresh = False
        # The rows `find` has opened, held for the request: the session keeps rows only while something
        # refers to them, and a page reading its row again by key (`own`, a link column) then needs no
        # statement.
        self._opened: list[object] = []

    async def _refresh(self) -> None:
        if not self._fresh:
            await self._write_lock_first()
            await self.policy.refresh(self.session)
            self._fresh = True

    async def _write_lock_first(self) -> None:
        """On SQLite, take the database's write lock before reading anything shared.

        A read of another tenant's row ends with an audit append. SQLite cannot upgrade a read
        snapshot to a write once another writer has committed after it began ("database is locked",
        at once, without waiting), so the transaction takes the lock first, with a write that
        changes nothing, and waits for it like any writer. PostgreSQL needs none of this."""
        bind = self.session.bind
        if bind is not None and bind.dialect.name == "sqlite":
            await self.session.execute(text("UPDATE audit_chains SET length = length WHERE 1 = 0"))

    def allows(self, obj: str, act: str) -> bool:
        """May the actor `act` on `obj` in its own tenant (Casbin); fail closed."""
        return self.policy.allows(self.actor.user_id, self.actor.tenant_id, obj, act)

    def own_categories(self) -> frozenset[str]:
        """The categories of its own tenant's clients the actor's roles there may read (need to know),
        and the own fields of its tenant's exchanges (a referral it sent): whoever may act on an exchange
        at all needs to see it."""
        return categories_of(self.policy.roles(self.actor.user_id, self.actor.tenant_id)) | frozenset(PARTY_CATEGORIES)

    async def plan(self, model: type, act: str = "read", purpose: str | None = None) -> Plan:
        shared = declared(model)
        await self._refresh()
        return Plan(
            shared=shared,
            tenant_id=self.actor.tenant_id,
            action=act,
            role_allows=self.allows(shared.obj, act),
            now=self.now,
            purpose=purpose,
            own_categories=self.own_categories(),
        )

    async def find(self, model: type, row_id: int, act: str = "read", purpose: str | None = None) -> View | None:
        """One row as the actor may see it (redacted, audited), or None; `purpose` counts only its clauses."""
        plan = await self.plan(model, act, purpose)
        # One row is decided straight from its grants, engagements and consents (a few indexed reads);
        # the list filter says the same of it (the property test holds the two equal).
        row = await self.session.get(model, row_id) if 0 < row_id < 2**31 else None
        if row is None:
            return None
        (decision,) = await plan.decide(self.session, [row])
        if not decision.allowed:
            return None
        self._opened.append(row)
        await self._audit(plan, [decision], "open")
        return redact(plan.shared, decision)

    async def get(self, model: type, row_id: int, act: str = "read", purpose: str | None = None) -> View:
        """Like `find`, but a row the actor may not see is a 404: the answer never confirms it exists."""
        view = await self.find(model, row_id, act, purpose)
        if view is None:
            raise NotFoundException
        return view

    async def own(self, model: type[T], row_id: int, act: str = "update") -> T:
        """The owner's own row, for writing; 404 for anyone else's or without the permission."""
        shared, row = await self._by_key(model, row_id, act)
        if getattr(row, shared.owner.key) != self.actor.tenant_id:
            raise NotFoundException
        return row

    async def held(self, model: type[T], row_id: int, act: str) -> tuple[T, tuple[str, ...]]:
        """A row of an exchange the actor's tenant owns or takes part in, for writing, with the party
        columns that name the tenant ("own" for the owner); 404 for anyone else or without `act`."""
        shared, row = await self._by_key(model, row_id, act)
        if getattr(row, shared.owner.key) == self.actor.tenant_id:
            return row, ("own",)
        parties = shared.parties_of(row, self.actor.tenant_id)
        if not parties:
            raise NotFoundException
        return row, parties

    async def _by_key(self, model: type[T], row_id: int, act: str) -> tuple[Shared, T]:
        """The row of `model` with this key, for the writers above to judge; 404 without the permission to
        `act` or without the row. By key: a row the request has read already is taken from the session,
        with no statement."""
        shared = declared(model)
        await self._refresh()
        if not self.allows(shared.obj, act) or not 0 < row_id < 2**31:
            raise NotFoundException
        row = await self.session.get(model, row_id)
        if row is None:
            raise NotFoundException
        return shared, row

    async def scope(
        self,
        stmt: Select,
        model: type,
        act: str = "read",
        category: str | None = None,
        purpose: str | None = None,
        own_tenant_only: bool = False,
    ) -> Select:
        """Restrict a select of `model` to the rows the actor may `act` on (in `category`, or any); with
        `own_tenant_only`, to those of the actor's own tenant (see `Plan.bound`)."""
        plan = await self.plan(model, act, purpose)
        # The kept expression, with this request's values set on the statement: they travel with it into
        # any statement that embeds it, and its compiled SQL stays cached per shape (SQLAlchemy 2.1).
        return stmt.where(_any(plan.bound(category, own_tenant_only=own_tenant_only))).params(plan.values)

    async def count(
        self, model: type, category: str | None = None, foreign_only: bool = False, at_most: int | None = None
    ) -> int:
        """How many rows of `model` the actor may read (in `category`, or any); with `foreign_only`, only
        other tenants' rows. The same rows `scope` lets a list show, counted as the union of the ways a row
        is visible, each read by its own index: the predicate's OR over them makes PostgreSQL read every
        row of the table (and test row-level security on each). A count shows no one's data: not audited.

        With `at_most`, each way stops after `at_most + 1` rows, and an answer above `at_most` means only
        "more than that": a recipient of a hundred owners has some 19,000 shared clients, and counting
        them exactly read each one (250-300 ms of PostgreSQL on its home page, about 150 bounded). Up to
        `at_most` the answer is exact, since no way was cut short."""
        plan = await self.plan(model, "read")
        if not plan.bound(category, foreign_only):
            return 0
        union_of_ways = _union_of_ways(plan, category, foreign_only, at_most).subquery()
        counted = int(await self.session.scalar(select(func.count()).select_from(union_of_ways), plan.values) or 0)
        return counted if at_most is None else min(counted, at_most + 1)

    async def visible(
        self,
        model: type,
        stmt: Select,
        act: str = "read",
        category: str | None = None,
        purpose: str | None = None,
        few: bool = False,
        own_tenant_only: bool = False,
    ) -> list[View]:
        """Run a select of `model` scoped to what the actor may see; redacted views, audited as a list.
        With `own_tenant_only`, only the actor's own tenant's rows (see `Plan.bound`).

        With `few`, the caller says the select reads a handful of rows (those of one case, client or
        referral): for an organisation engaged with thousands of clients each row is then asked whether
        it is visible, rather than filtered through the set of every client engaged with it, built first
        (19 of the 25 ms of PostgreSQL a shared client's page took for the recipient of a hundred
        owners). Either way the same rows are shown; `few` on a long select only costs time."""
        plan = await self.plan(model, act, purpose)
        probed = few and not own_tenant_only and await self._asks_each_row(plan)
        where = _any(plan.bound(category, probed=probed, own_tenant_only=own_tenant_only))
        rows = (await self.session.scalars(stmt.where(where), plan.values)).all()
        decisions = [d for d in await plan.decide(self.session, rows, category) if d.allowed]
        await self._audit(plan, decisions, "list")
        return [redact(plan.shared, d) for d in decisions]

    async def among(self, model: type, ids: Iterable[int], category: str | None = None) -> list[View]:
        """The rows of `model` with these ids that the actor may read, redacted and audited as a list,
        in id order: the clients of a page of cases, say. Each row is decided straight from its grants,
        engagements and consents, as `find` decides one. The list filter would say the same of them
        (the property test holds the two equal) but builds the actor's whole visible set first: for the
        recipient of a hundred owners, the 19,000 clients engaged with it, 40-100 ms of PostgreSQL to
        keep a page's fifty."""
        wanted = sorted({i for i in ids if 0 < i < 2**31})
        if not wanted:
            return []
        plan = await self.plan(model, "read")
        rows = (await self.session.scalars(rows_by_ids(model), {"ids": wanted})).all()
        decisions = [d for d in await plan.decide(self.session, rows, category) if d.allowed]
        await self._audit(plan, decisions, "list")
        return [redact(plan.shared, d) for d in decisions]

    async def page(
        self,
        model: type,
        stmt: Select,
        size: int,
        category: str | None = None,
        listed_by: str | None = None,
        own_tenant_only: bool = False,
    ) -> tuple[list[View], bool]:
        """One page of a list: at most `size` redacted views of the rows `stmt` selects in its order, and
        whether more follow. One query asks for one row more than it shows; that row is neither shown
        nor audited (a second query asking "is there more?" read the whole scope again). With
        `listed_by`, a row is listed only when the actor may see that category of it (the fields a
        search matched), and shown with every category it may see (or `category`). With `own_tenant_only`,
        only the actor's own tenant's rows (see `Plan.bound`): no clause's way is read, or walked."""
        plan = await self.plan(model, "read")
        listed = category if listed_by is None else listed_by
        walked = not own_tenant_only and await self._asks_each_row(plan)
        rows = await self._walk(plan, stmt, size, listed) if walked else None
        if rows is None:
            if own_tenant_only:
                where = _any(plan.bound(listed, own_tenant_only=True))
            elif listed_by is not None and not walked:
                where = self._searched(plan, listed)
            else:
                where = _any(plan.bound(listed))
            rows = (await self.session.scalars(stmt.where(where).limit(size + 1), plan.values)).all()
        decisions = [d for d in await plan.decide(self.session, rows, category) if d.allowed]
        if listed_by is not None:
            decisions = [d for d in decisions if listed_by in d.categories]
        shown = decisions[:size]
        await self._audit(plan, shown, "list")
        return [redact(plan.shared, d) for d in shown], len(rows) > size

    def _searched(self, plan: Plan, category: str | None) -> ColumnElement[bool]:
        """The scope of a searched list: its rows among the union of the ways a row is visible, each read
        by its own index. Under row-level security PostgreSQL tests a row's policy before a search's
        LIKE (which could tell what the policy hides), so no index serves the search: a name few
        clients bear was looked for through the whole table, each row's policy tested on the way (250
        ms for an owner among 200,000 clients). The rows an organisation may see are far fewer, and are
        read first. Not for a tenant whose pages are walked: the union holds every client engaged with
        it (270 ms for the recipient of a hundred owners)."""
        pk = plan.shared.model.id  # type: ignore[attr-defined]
        return pk.in_(_union_of_ways(plan, category))

    async def _asks_each_row(self, plan: Plan) -> bool:
        """Whether rows are better asked one by one whether they are visible than filtered through the set
        of every client engaged with the actor's tenant: when that set is large, and the table is not
        one of exchanges between named parties (a referral), whose lists are the parties' own rows, seen
        without the set ever being built (its ways are tried last)."""
        return not plan.shared.parties and await self._engaged_widely()

    async def _engaged_widely(self) -> bool:
        """Whether the actor's tenant holds so many engagements (open or closed: a hint, read by index
        alone) that a page is cheaper walked than filtered: the list filter builds the set of every
        engaged client first. Either answer shows the same rows, so a worker keeps it HINT_SECONDS."""
        key, clock = (self.actor.tenant_id, WIDELY), _hint_clock()
        known = _widely.get(key)
        if known is not None and known[1] > clock:
            return known[0]
        some = select(Engagement.id).where(Engagement.recipient_tenant_id == self.actor.tenant_id)
        counted = await self.session.scalar(select(func.count()).select_from(some.limit(WIDELY).subquery()))
        if len(_widely) >= 4096:  # a worker serves some 1,000 tenants: this bound is never reached in use
            _widely.clear()
        _widely[key] = (int(counted or 0) >= WIDELY, clock + HINT_SECONDS)
        return _widely[key][0]

    async def _walk(self, plan: Plan, stmt: Select, size: int, category: str | None) -> Sequence[Any] | None:
        """The first `size + 1` rows the actor may see among the first WALK rows of `stmt` in its order,
        each asked whether it is visible (the probed ways), or None when fewer turned up: then the rest
        may lie further on, and the caller filters the whole list instead.

        For the recipient of a hundred owners about one client in ten is visible, so a page of fifty
        walks some 500 rows; the list filter built its 19,000 engaged clients first (30-40 ms). The walk
        is the list itself, kept to the ids of its first WALK rows: PostgreSQL reads it in its order,
        rejects a row outside them at the cost of a hash look-up, and stops at the page's last row. (A
        select over the walked rows as a subquery would need the kept predicate rewritten onto it on
        every request: 3-4 ms of CPU per list.)"""
        pk = plan.shared.model.id  # type: ignore[attr-defined]
        walked = select(stmt.with_only_columns(pk).limit(WALK).subquery().c[0])
        picked = stmt.where(pk.in_(walked), _any(plan.bound(category, probed=True))).limit(size + 1)
        rows = (await self.session.scalars(picked, plan.values)).all()
        return rows if len(rows) > size else None

    async def partners(self, purpose: str) -> list[int]:
        """Tenants a live clause lets see the actor's tenant's data for `purpose`."""
        return await grants.partners(self.session, self.actor.tenant_id, purpose, local_date(self.now))

    async def record(
        self, action: str, object_type: str, object_id: Any, *, owner: int | None = None, **detail: Any
    ) -> None:
        """Write the actor's change to the audit log, in the request's transaction; the owner is the actor's
        tenant, or `owner` when a party changes another tenant's record (a recipient answering a referral)."""
        await audit.record(
            self.session,
            action=action,
            object_type=object_type,
            object_id=object_id,
            actor_user_id=self.actor.user_id,
            actor_tenant_id=self.actor.tenant_id,
            owner_tenant_id=self.actor.tenant_id if owner is None else owner,
            detail=detail,
            now=self.now,
        )

    async def _audit(self, plan: Plan, decisions: list[Decision], kind: str) -> None:
        """One entry per cross-tenant row read (kind: "open" or "list"), written with the request's other
        reads when its transaction commits (audit.record_reads, held), and one alert for the data owner per
        grant row refused because its seal does not hold."""
        for grant in plan.rejected.values():
            log.warning("grant row %s (%s) refused: its seal does not hold", grant.id, grant.source)
            await audit.record(
                self.session,
                action="access.grant_refused",
                object_type="access_grant",
                object_id=grant.id,
                actor_user_id=self.actor.user_id,
                actor_tenant_id=self.actor.tenant_id,
                owner_tenant_id=grant.owner_tenant_id,
                detail={"source": grant.source, "category": grant.category, "recipient": grant.recipient_tenant_id},
                now=self.now,
            )
        plan.rejected.clear()
        reads = []
        for decision in decisions:
            if decision.cross_tenant:
                row: Any = decision.row
                detail: dict[str, Any] = {"categories": sorted(decision.categories), "clauses": list(decision.sources)}
                if decision.parties:
                    detail["parties"] = list(decision.parties)
                reads.append((plan.shared.obj, row.id, getattr(row, plan.shared.owner.key), detail))
        if reads:
            await audit.record_reads(
                self.session,
                actor_user_id=self.actor.user_id,
                actor_tenant_id=self.actor.tenant_id,
                reads=reads,
                kind=kind,
                now=self.now,
                held=True,
            )


def _any(branches: tuple[ColumnElement[bool], ...]) -> ColumnElement[bool]:
    return or_(*branches) if branches else false()


def _union_of_ways(
    plan: Plan, category: str | None, foreign_only: bool = False, at_most: int | None = None
) -> CompoundSelect:
    """The ids of the rows visible in `category`, as the union of the ways a row is visible (none: no id);
    with `at_most`, each way stops after `at_most + 1` rows."""
    pk = plan.shared.model.id  # type: ignore[attr-defined]
    ways = [select(pk).where(branch) for branch in plan.bound(category, foreign_only)] or [select(pk).where(false())]
    if at_most is not None:
        # Each as its own subquery: SQLite allows no LIMIT on the members of a UNION.
        ways = [select(way.c.id) for way in (w.limit(at_most + 1).subquery() for w in ways)]
    return union(*ways)


def provide_access(request: Request, db: NamedDependency[AsyncSession]) -> Access:
    """The request's Access (the `access` dependency); only for signed-in routes."""
    actor = request.scope.get("state", {}).get("actor")
    if actor is None:
        raise NotFoundException
    return Access(db, request.app.state.policy, actor, request.app.state.clock())
