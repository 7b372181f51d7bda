"""The kernel's answers in the shape the sharing tests ask them: one decision, a scoped select, a list."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access.guard import Actor
from portal.access.kernel import Access
from portal.access.policy import PolicyStore
from portal.access.sharing import DENIED, Decision, local_date  # noqa: F401 - the oracle counts days as the kernel does
from portal.cases.models import Client


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
    plan = await Access(session, policy, actor, now).plan(Client, action)
    row = await session.scalar(select(Client).where(Client.id == client_id, plan.predicate(category)))
    if row is None:
        return DENIED
    (decision,) = await plan.decide(session, [row], category)
    return decision


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
    return await Access(session, policy, actor, now).scope(stmt, Client, action, category)


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
    plan = await Access(session, policy, actor, now).plan(Client, action)
    rows = (await session.scalars(stmt.where(plan.predicate(category)))).all()
    return await plan.decide(session, rows, category)
