"""A membership change reaches every worker without any of them loading the whole policy again: each
replays the members that changed since its revision. Anything else still loads everything, and a
replayed policy decides exactly as a freshly loaded one."""

from __future__ import annotations

import asyncio
import random

from sqlalchemy import delete, select

from portal.access.models import PolicyChange
from portal.access.policy import ROLE_GRANTS, PolicyStore, write_memberships, write_role_grants
from portal.db import make_engine, make_sessionmaker
from portal.tenants.models import Membership, Tenant, User


def run(settings, steps):  # type: ignore[no-untyped-def]
    """Run `await steps(engine, session_of)` with one engine; session_of(work) runs work in its own
    committed transaction, as one request or one worker's refresh would."""

    async def go():  # type: ignore[no-untyped-def]
        engine = make_engine(settings.database_url)
        sessions = make_sessionmaker(engine)

        async def session_of(work):  # type: ignore[no-untyped-def]
            async with sessions() as session:
                result = await work(session)
                await session.commit()
                return result

        try:
            return await steps(engine, session_of)
        finally:
            await engine.dispose()

    return asyncio.run(go())


async def _someone(session):  # type: ignore[no-untyped-def]
    """A demo user and a tenant they are no member of."""
    user = await session.scalar(select(User).where(User.login == "ngo.worker"))
    member_of = set(await session.scalars(select(Membership.tenant_id).where(Membership.user_id == user.id)))
    tenant = await session.scalar(select(Tenant.id).where(Tenant.id.not_in(member_of)).order_by(Tenant.id).limit(1))
    return user.id, tenant


def test_a_membership_change_is_replayed_by_every_worker(settings) -> None:  # type: ignore[no-untyped-def]
    async def steps(engine, session_of):  # type: ignore[no-untyped-def]
        workers = [PolicyStore(engine, settings.policy_model) for _ in range(2)]
        user_id, tenant_id = await session_of(_someone)
        for worker in workers:
            await session_of(worker.refresh)
            assert not worker.allows(user_id, tenant_id, "case", "read")
        enforcers = [w.enforcer for w in workers]

        await session_of(lambda s: write_memberships(s, user_id, tenant_id, ["case_manager"]))
        for worker in workers:
            await session_of(worker.refresh)
            assert worker.allows(user_id, tenant_id, "case", "read")
            assert worker.roles(user_id, tenant_id) == ("case_manager",)

        await session_of(lambda s: write_memberships(s, user_id, tenant_id, ["viewer"]))
        await session_of(lambda s: write_memberships(s, user_id, tenant_id, []))
        for worker in workers:
            await session_of(worker.refresh)
            assert not worker.allows(user_id, tenant_id, "case", "read")
            assert worker.roles(user_id, tenant_id) == ()
        # Every step was replayed: each worker still holds the policy it loaded once.
        assert [w.enforcer for w in workers] == enforcers and [w.full_loads for w in workers] == [1, 1]

        # The role grants rewritten leave no change to replay: every worker loads the whole policy.
        await session_of(write_role_grants)
        for worker in workers:
            await session_of(worker.refresh)
        assert [w.full_loads for w in workers] == [2, 2]

        # A worker that fell behind the kept changes loads everything too.
        behind = workers[0]
        await session_of(lambda s: write_memberships(s, user_id, tenant_id, ["case_manager"]))
        await session_of(lambda s: s.execute(delete(PolicyChange)))
        await session_of(behind.refresh)
        assert behind.full_loads == 3 and behind.allows(user_id, tenant_id, "case", "read")
        await session_of(lambda s: write_memberships(s, user_id, tenant_id, []))

    run(settings, steps)


def test_a_replayed_policy_decides_as_a_freshly_loaded_one(settings) -> None:  # type: ignore[no-untyped-def]
    """Random membership changes across the demo's users and tenants, replayed step by step by one
    worker: its roles for every (user, tenant) equal those of a worker that loads the final policy."""
    rng = random.Random(20261206)
    roles = sorted(ROLE_GRANTS)

    async def steps(engine, session_of):  # type: ignore[no-untyped-def]
        users = list(await session_of(lambda s: s.scalars(select(User.id).order_by(User.id))))
        tenants = list(await session_of(lambda s: s.scalars(select(Tenant.id).order_by(Tenant.id))))
        worker = PolicyStore(engine, settings.policy_model)
        await session_of(worker.refresh)
        for _ in range(30):
            changes = [
                (rng.choice(users), rng.choice(tenants), rng.sample(roles, rng.randint(0, 2)))
                for _ in range(rng.randint(1, 4))
            ]

            async def write(session, changes=changes):  # type: ignore[no-untyped-def]
                for user_id, tenant_id, chosen in changes:
                    await write_memberships(session, user_id, tenant_id, chosen)

            await session_of(write)
            if rng.random() < 0.5:
                await session_of(worker.refresh)
                # A decision between replays: the worker keeps deciding with the policy it replayed.
                worker.allows(rng.choice(users), rng.choice(tenants), "client", "list")
        await session_of(worker.refresh)
        fresh = PolicyStore(engine, settings.policy_model)
        await session_of(fresh.refresh)
        assert worker.full_loads == 1
        for user_id in users:
            for tenant_id in tenants:
                assert worker.roles(user_id, tenant_id) == fresh.roles(user_id, tenant_id), (user_id, tenant_id)
                for obj, act in (("case", "read"), ("user", "manage"), ("client", "list")):
                    assert worker.allows(user_id, tenant_id, obj, act) == fresh.allows(user_id, tenant_id, obj, act)

    run(settings, steps)
