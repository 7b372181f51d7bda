"""The Casbin enforcer of roles inside a tenant: built once per process, reloaded whenever the stored
policy revision moves. Cross-tenant grants are not held here: they are rows of access_grants, read by
the query that reads the data (see sharing.py), so an agreement's activation or end needs no reload.

Every worker compares the revision row with the one it loaded before it decides; a policy change
bumps the row in the same transaction as the change. Unlike a pub/sub watcher this cannot miss an
update: a worker that was restarting, or lost a notification, still reads the new revision on the
next request. The price is one primary-key read per protected request.

A membership change also leaves a `policy_changes` row numbered by the revision it made. A worker
that finds every revision since its own in that table replays them: it re-reads the role lines of
those members in those tenants and swaps them in place, in milliseconds however many lines the
country holds. Anything else (the role grants rewritten, a migration, changes pruned away) makes it
load the whole policy, as before. The revision row's lock orders the changes: a writer holds it from
its bump to its commit, so revisions are committed in their order and none is seen before the ones
below it.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import casbin
from casbin.model.policy import DEFAULT_SEP
from casbin_async_sqlalchemy_adapter import Adapter
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import aliased

from portal.access.models import CasbinRule, PolicyChange, PolicyRevision
from portal.access.vocabulary import CATEGORIES

# What each role may do inside its own tenant: (role, object, action). The rows live in casbin_rule
# (written by the seed and by `portal sync-roles`); this table is their source.
_READ_CLIENTS = [("client", "list"), ("client", "read"), ("case_note", "read")]
_SHARING = [("sharing", "view")]
# Cases, their referrals and placements: reading them, and running them.
_READ_CASES = [("case", "list"), ("case", "read"), ("referral", "list"), ("referral", "read"), ("placement", "read")]
_RUN_CASES = [
    ("case", "create"),
    ("case", "update"),
    ("referral", "send"),
    ("referral", "answer"),
    ("placement", "manage"),
    ("outreach", "list"),
    ("outreach", "import"),
    ("outreach", "visit"),
]
# Answering referrals addressed to the tenant (an employer's HR, a monocentre, an NGO).
_ANSWER_REFERRALS = [("referral", "list"), ("referral", "read"), ("referral", "answer")]
ROLE_GRANTS: dict[str, list[tuple[str, str]]] = {
    "tenant_admin": [
        ("dashboard", "view"),
        ("user", "list"),
        ("user", "manage"),
        ("tenant", "view"),
        ("agreement", "list"),
        ("agreement", "draft"),
        ("agreement", "comment"),
        ("agreement", "terminate"),
        *_READ_CLIENTS,
        # No cases: an administrator needs to know who the clients are, not their assessment (ROLE_CATEGORIES).
        ("audit", "view"),
        *_SHARING,
    ],
    "case_manager": [
        ("dashboard", "view"),
        ("tenant", "view"),
        ("agreement", "list"),
        *_READ_CLIENTS,
        ("client", "create"),
        ("client", "update"),
        ("case_note", "create"),
        ("consent", "manage"),
        ("engagement", "manage"),
        *_READ_CASES,
        *_RUN_CASES,
        *_SHARING,
    ],
    "signatory": [
        ("dashboard", "view"),
        ("tenant", "view"),
        ("agreement", "list"),
        ("agreement", "comment"),
        ("agreement", "sign"),
        ("agreement", "terminate"),
        *_SHARING,
    ],
    # Coordination-body members read the clients their organisation may see, for case conferences.
    "coordinator": [
        ("dashboard", "view"),
        ("tenant", "view"),
        ("agreement", "list"),
        ("agreement", "draft"),
        ("agreement", "comment"),
        *_READ_CLIENTS,
        *_READ_CASES,
        *_SHARING,
    ],
    "employer_hr": [
        ("dashboard", "view"),
        ("tenant", "view"),
        ("agreement", "list"),
        *_READ_CLIENTS,
        *_ANSWER_REFERRALS,
        ("placement", "read"),
    ],
    # The labour inspection's inspectors: the review queue of employers' refusals and silences.
    "inspector": [
        ("dashboard", "view"),
        ("tenant", "view"),
        ("agreement", "list"),
        *_READ_CLIENTS,
        ("referral", "list"),
        ("referral", "read"),
        ("referral", "review"),
    ],
    # Read-only staff, e.g. the labour inspection's monitoring officers.
    "viewer": [("dashboard", "view"), ("tenant", "view"), ("agreement", "list"), *_READ_CLIENTS, *_READ_CASES],
}


# Need to know inside the own tenant: which data categories of its own tenant's clients (and of every
# record declared about them) each role may read. Across tenants a clause decides; inside, the union
# over the actor's roles in that tenant does. A role missing here reads no category at all.
ROLE_CATEGORIES: dict[str, tuple[str, ...]] = {
    # Administrators run the organisation's accounts and audit: who the clients are, no more.
    "tenant_admin": ("identity", "contact"),
    "case_manager": CATEGORIES,
    "signatory": (),
    # Case conferences: everything but the national number.
    "coordinator": tuple(c for c in CATEGORIES if c != "pinfl"),
    # An employer's HR: the person, the work recommendation, skills and work history to hire and adapt.
    "employer_hr": ("identity", "pinfl", "contact", "disability", "education", "employment"),
    # The labour inspection reviews refused referrals: who, the recommendation, the work history.
    "inspector": ("identity", "disability", "employment"),
    # Read-only staff: the facts of a case load, never assessments, notes, benefits or the PINFL.
    "viewer": ("identity", "disability", "education", "employment"),
}


def categories_of(roles: list[str] | tuple[str, ...]) -> frozenset[str]:
    """The categories of the own tenant's clients that these roles may read, together."""
    return frozenset(c for role in roles for c in ROLE_CATEGORIES.get(role, ()))


def role_subject(role: str) -> str:
    return f"role:{role}"


def user_subject(user_id: int) -> str:
    return f"user:{user_id}"


def domain(tenant_id: int) -> str:
    return f"tenant:{tenant_id}"


_DECIDING = threading.Lock()
_CHECKED = "policy revision read in"  # session.info: the transaction that last read the revision
MEMO_LIMIT = 100_000  # decisions kept per loaded policy before the memo starts again
REPLAY_LIMIT = 500  # members changed since the loaded revision above which a worker loads everything
KEEP_CHANGES = 10_000  # revisions of changes kept for workers that fell behind; older ones are pruned


class PolicyStore:
    """Holds this process's enforcer and keeps it in step with the database."""

    def __init__(self, engine: AsyncEngine, model_path: Path) -> None:
        self._adapter = Adapter(engine, db_class=CasbinRule)
        self._model_path = str(model_path)
        self.enforcer: casbin.AsyncEnforcer | None = None
        self.loaded_revision: int | None = None
        self._lock = asyncio.Lock()
        # The decisions made with `_memo_of`, the enforcer they were made with.
        self._memo_of: casbin.AsyncEnforcer | None = None
        self._memo: dict[tuple[object, ...], bool] = {}
        self._by_roles = False  # decisions are kept per set of roles (see `allows`)
        self.full_loads = 0  # how many times this store read every line

    @classmethod
    def holding(cls, enforcer: casbin.CoreEnforcer) -> PolicyStore:
        """A store that decides with an enforcer loaded elsewhere (the bench's, a test's); never refreshed."""
        store = cls.__new__(cls)
        store.enforcer, store.loaded_revision, store.full_loads = enforcer, None, 0  # type: ignore[assignment]
        store._memo_of, store._memo, store._by_roles = None, {}, False
        return store

    async def refresh(self, session: AsyncSession) -> None:
        """Reload the role policy if its revision moved since it was loaded; once per transaction.

        A request reads the revision once, in its one transaction (the guard's read; portal/web.py);
        later refreshes in that transaction keep that answer. Reading again would gain nothing: the
        lines are loaded on another connection, which cannot see a change this transaction made, and
        a change another one commits meanwhile is picked up by the next request, as before."""
        checked = (_CHECKED, id(self))
        transaction = session.sync_session.get_transaction()
        if transaction is not None and session.info.get(checked) is transaction and self.enforcer is not None:
            return
        current = await current_revision(session)
        session.info[checked] = session.sync_session.get_transaction()
        if current == self.loaded_revision and self.enforcer is not None:
            return
        async with self._lock:
            loaded = self.loaded_revision
            if self.enforcer is not None and loaded is not None:
                if current <= loaded or await self._replay(session, loaded, current):
                    return
            enforcer = casbin.AsyncEnforcer(self._model_path, self._adapter)
            compare_names_plainly(enforcer)
            await enforcer.load_policy()
            self.enforcer, self.loaded_revision = enforcer, current
            self.full_loads += 1

    async def _replay(self, session: AsyncSession, loaded: int, current: int) -> bool:
        """Bring the loaded policy from `loaded` to `current` by re-reading only the members that changed;
        False when the revisions between are not all membership changes (load everything then)."""
        changes = (
            await session.execute(
                select(PolicyChange.user_id, PolicyChange.tenant_id).where(
                    PolicyChange.revision > loaded, PolicyChange.revision <= current
                )
            )
        ).all()
        members = {(user_subject(user_id), domain(tenant_id)) for user_id, tenant_id in changes}
        if len(changes) != current - loaded or len(members) > REPLAY_LIMIT:
            return False
        rows = await session.execute(
            select(CasbinRule.v0, CasbinRule.v1, CasbinRule.v2).where(
                CasbinRule.ptype == "g",
                or_(*(and_(CasbinRule.v0 == subject, CasbinRule.v2 == dom) for subject, dom in sorted(members))),
            )
        )
        fresh = [[subject, role, dom] for subject, role, dom in rows]
        enforcer = self.enforcer
        assert enforcer is not None
        assertion = enforcer.model.model["g"]["g"]
        with _DECIDING:
            kept, gone = [], []
            for rule in assertion.policy:
                (gone if (rule[0], rule[2]) in members else kept).append(rule)
            for rule in gone:
                assertion.rm.delete_link(rule[0], rule[1], rule[2])
            assertion.policy = kept + fresh
            assertion.policy_map = {DEFAULT_SEP.join(rule): i for i, rule in enumerate(assertion.policy)}
            for rule in fresh:
                assertion.rm.add_link(rule[0], rule[1], rule[2])
            # The replayed lines keep the portal's shape or end it; the rest was checked at the load.
            self._memo, self._by_roles = {}, self._by_roles and _users_hold_roles(fresh)
            self.loaded_revision = current
        return True

    def roles(self, user_id: int, tenant_id: int) -> tuple[str, ...]:
        """The user's roles in one tenant, as the loaded policy holds them (none without a policy)."""
        if self.enforcer is None:
            return ()
        found = self.enforcer.model.model["g"]["g"].rm.get_roles(user_subject(user_id), domain(tenant_id))
        return tuple(sorted(r.removeprefix("role:") for r in found if r.startswith("role:")))

    def allows(self, user_id: int, tenant_id: int, obj: str, act: str) -> bool:
        """Fail closed: no enforcer, no policy, no grant.

        A decision is kept for the loaded enforcer (a new revision brings a new enforcer and a new
        memo): pycasbin parses its matcher with `ast.parse` on every call, which is slow and, when
        threads of one process decide at once, can fail in CPython 3.11's AST constructor; so a
        decision not yet known is made by one thread at a time.

        While the policy has the portal's shape (only roles are granted, with no domain, and only users
        hold roles) a decision depends on nothing but the user's roles in the tenant, so it is kept for
        that set of roles: a user's first question costs a look-up of its roles once any user with
        the same roles has asked it. Any other shape keeps decisions per user and tenant."""
        enforcer = self.enforcer
        if enforcer is None:
            return False
        if self._memo_of is not enforcer:
            self._memo_of, self._memo, self._by_roles = enforcer, {}, _portal_shaped(enforcer)
        memo = self._memo
        key = (user_id, tenant_id, obj, act)
        found = memo.get(key)
        if found is None:
            with _DECIDING:
                found = self._decide(enforcer, user_subject(user_id), domain(tenant_id), obj, act)
            if len(memo) >= MEMO_LIMIT:
                memo.clear()
            memo[key] = found
        return found

    def _decide(self, enforcer: casbin.AsyncEnforcer, subject: str, dom: str, obj: str, act: str) -> bool:
        """Casbin's decision, or the one it gave for the same roles (see `allows`); under _DECIDING."""
        if not self._by_roles:
            return bool(enforcer.enforce(subject, dom, obj, act))
        key = (tuple(sorted(enforcer.model.model["g"]["g"].rm.get_roles(subject, dom))), obj, act)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = bool(enforcer.enforce(subject, dom, obj, act))
        return found


def compare_names_plainly(enforcer: casbin.CoreEnforcer) -> None:
    """Casbin's role manager with domains matches role names through an equality "pattern" function by
    default, so building one tenant's roles (on its first question after a load) compared every name
    it met with every role of the tenant: 5 ms for a tenant of 100 members. The portal's policy has no
    patterns (policies.conf), and plain look-ups give the same answers."""
    for manager in enforcer.rm_map.values():
        manager.add_matching_func(None)


def _portal_shaped(enforcer: casbin.AsyncEnforcer) -> bool:
    """The policy has the shape the portal writes: every "p" line grants a role (three fields, no
    domain) and every "g" line puts a user into a role in a tenant, so no role holds another role."""
    model = enforcer.model.model
    granted = model["p"]["p"].policy
    return all(len(rule) == 3 and rule[0].startswith("role:") for rule in granted) and _users_hold_roles(
        model["g"]["g"].policy
    )


def _users_hold_roles(held: list[list[str]]) -> bool:
    return all(len(rule) == 3 and rule[0].startswith("user:") and rule[1].startswith("role:") for rule in held)


def granted_pairs() -> frozenset[tuple[str, str]]:
    """Every (object, action) some role is granted: what an audience of a notification may name."""
    return frozenset(pair for grants in ROLE_GRANTS.values() for pair in grants)


async def holders(session: AsyncSession, tenant_id: int, obj: str, act: str) -> list[int]:
    """The users whose roles in the tenant grant (obj, act): the lines `allows` reads, joined in SQL
    (a user's role lines "g" in the tenant, the role's grant lines "p"), to tell a whole audience."""
    member, grant = aliased(CasbinRule), aliased(CasbinRule)
    subjects = await session.scalars(
        select(member.v0)
        .join(grant, (grant.ptype == "p") & (grant.v0 == member.v1) & (grant.v1 == obj) & (grant.v2 == act))
        .where(member.ptype == "g", member.v2 == domain(tenant_id))
        .distinct()
    )
    prefix = user_subject(0)[:-1]
    return sorted(int(s.removeprefix(prefix)) for s in subjects if s and s.startswith(prefix))


# Built once: every request asks it (see PolicyStore.refresh).
_REVISION = select(PolicyRevision.revision).where(PolicyRevision.id == 1)


async def current_revision(session: AsyncSession) -> int:
    value = await session.scalar(_REVISION)
    return int(value or 0)


async def bump_revision(session: AsyncSession) -> int:
    """Move the revision on by one (locking its row until the transaction ends) and return it."""
    revision = await session.scalar(
        update(PolicyRevision)
        .where(PolicyRevision.id == 1)
        .values(revision=PolicyRevision.revision + 1)
        .returning(PolicyRevision.revision)
    )
    if revision is None:
        session.add(PolicyRevision(id=1, revision=1))
        await session.flush()
        revision = 1
    return int(revision)


async def write_memberships(session: AsyncSession, user_id: int, tenant_id: int, roles: list[str]) -> None:
    """Replace the user's role lines in one tenant; call inside the transaction that changes the roles."""
    await session.execute(
        delete(CasbinRule).where(
            CasbinRule.ptype == "g",
            CasbinRule.v0 == user_subject(user_id),
            CasbinRule.v2 == domain(tenant_id),
        )
    )
    for role in sorted(set(roles)):
        session.add(CasbinRule(ptype="g", v0=user_subject(user_id), v1=role_subject(role), v2=domain(tenant_id)))
    revision = await bump_revision(session)
    session.add(PolicyChange(revision=revision, user_id=user_id, tenant_id=tenant_id))
    if revision % 1000 == 0:
        await session.execute(delete(PolicyChange).where(PolicyChange.revision <= revision - KEEP_CHANGES))


async def write_role_grants(session: AsyncSession) -> None:
    """Make the stored role grants equal ROLE_GRANTS."""
    await session.execute(delete(CasbinRule).where(CasbinRule.ptype == "p", CasbinRule.v0.like("role:%")))
    for role, grants in ROLE_GRANTS.items():
        for obj, act in grants:
            session.add(CasbinRule(ptype="p", v0=role_subject(role), v1=obj, v2=act))
    await bump_revision(session)
