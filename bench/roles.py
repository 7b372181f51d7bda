"""Role decisions and role changes at national scale: a user's first question to the policy store, and
what a change of the role policy costs the running workers."""

# ruff: noqa: S603

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass

from bench.common import HOST, ROOT, admin, database_url, workers_of
from bench.load import LoadResult, Request, cpu_by_process, load
from bench.pages import User, get
from bench.verdict import DECISION_LINES


@dataclass
class PolicyChange:
    steady: LoadResult  # before any change
    bulk: LoadResult  # right after the role lines grew to DECISION_LINES
    one: LoadResult  # right after one more role line, at DECISION_LINES


def policy_change(port: int, pid: int, user: User, lines: int = DECISION_LINES) -> PolicyChange:
    """What a change of the role policy costs the running workers at `lines` role lines: the policy
    grows to that many lines (users in 1,000 tenants), then one member is added to one tenant; each
    change bumps the policy's revision as the portal does, and 8 connections read the owner's client
    list right after it, so every worker meets the change with its next request."""
    request = get("/clients/", user)
    options = {"connections": 8, "max_requests": 80, "max_seconds": 15.0, "server_pid": pid}
    steady = load(HOST, port, request, **options)
    bump = "UPDATE policy_revision SET revision = revision + 1 WHERE id = 1"
    admin(
        "INSERT INTO casbin_rule (ptype, v0, v1, v2) SELECT 'g', 'user:' || (900000 + g), 'role:case_manager',"
        " 'tenant:' || (g % 1000 + 1) FROM generate_series(1, $1::int) g",
        lines,
        url=database_url(),
    )
    before = cpu_by_process(workers_of(pid))
    admin(bump, url=database_url())
    bulk = load(HOST, port, request, **options)
    settle(port, pid, request, before, options)
    add_member(database_url(), 899_999, 1, ["viewer"])
    return PolicyChange(steady, bulk, load(HOST, port, request, **options))


def settle(port: int, pid: int, request: Request, before: dict[int, float], options: dict[str, object]) -> None:
    """Load until every worker has served a request since the policy grew (an idle worker's CPU does not
    move; a request costs tens of milliseconds, and meeting the grown policy a second). Connections are
    kept alive and the kernel gives them to whichever worker accepts, so one worker may see none of a
    round; it would then meet the grown policy and the next change together, and the next figure
    would be a full load's, not a change's (bounded: 10 rounds)."""
    for _round in range(10):
        load(HOST, port, request, **options)  # type: ignore[arg-type]
        now = cpu_by_process(workers_of(pid))
        if all(now.get(worker, 0.0) - used >= 100.0 for worker, used in before.items()):
            return
    print("  (a worker never met the grown policy within 10 rounds)", flush=True)


def add_member(url: str, user_id: int, tenant_id: int, roles: list[str]) -> None:
    """One member's roles written as the portal writes them (portal.access.policy.write_memberships: the
    lines, the revision and the change the workers replay), in one transaction."""
    from portal.access.policy import write_memberships
    from portal.db import make_engine, make_sessionmaker
    from portal.settings import normalise_database_url

    async def go() -> None:
        engine = make_engine(normalise_database_url(url))
        try:
            async with make_sessionmaker(engine)() as session, session.begin():
                await write_memberships(session, user_id, tenant_id, roles)
        finally:
            await engine.dispose()

    asyncio.run(go())


def decision_us(lines: int) -> tuple[float, float, float, float]:
    """(median µs of a first decision, its p99 µs, median µs of a decision the worker already made,
    seconds to load the policy) for the portal's policy store (portal.access.policy.PolicyStore) holding
    a Casbin enforcer of the portal's model with its role grants and `lines` role lines (users in 1,000
    tenants), loaded from memory through an adapter the way a worker loads its policy (without the
    database's read). The store keeps a decision for the loaded policy and the set of roles asked about,
    so a user's first question runs Casbin's matcher only when no user with the same roles asked it
    before, and the same question again is a look-up."""
    import casbin
    from casbin.persist.adapter import Adapter, load_policy_line

    from portal.access.policy import (
        ROLE_GRANTS,
        PolicyStore,
        compare_names_plainly,
        domain,
        role_subject,
        user_subject,
    )

    roles = sorted(ROLE_GRANTS)
    text = [f"p, {role_subject(r)}, {obj}, {act}" for r, pairs in ROLE_GRANTS.items() for obj, act in pairs]
    text += [f"g, {user_subject(n + 1)}, {role_subject(roles[n % len(roles)])}, {domain(n % 1000 + 1)}"
             for n in range(lines)]  # fmt: skip

    class Lines(Adapter):  # type: ignore[misc]
        def load_policy(self, model):  # type: ignore[no-untyped-def]
            for line in text:
                load_policy_line(line, model)

    started = time.perf_counter()
    enforcer = casbin.Enforcer(str(ROOT / "policies.conf"), Lines())
    compare_names_plainly(enforcer)
    loaded = time.perf_counter() - started
    store = PolicyStore.holding(enforcer)
    questions = [(k * lines // 2000 + 1, (k * lines // 2000) % 1000 + 1) for k in range(2000)]
    first, again = [], []
    for samples in (first, again):
        for user, tenant in questions:
            start = time.perf_counter()
            store.allows(user, tenant, "client", "list")
            samples.append((time.perf_counter() - start) * 1e6)
    first.sort()
    return statistics.median(first), first[max(0, int(len(first) * 0.99) - 1)], statistics.median(again), loaded
