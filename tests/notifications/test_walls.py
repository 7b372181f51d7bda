"""The second wall and the audience's one answer: row-level security on the notifications' tables
(PostgreSQL), and the SQL that finds an audience's people agreeing with Casbin's `allows`."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from portal.access.policy import PolicyStore, granted_pairs, holders
from portal.db import make_engine, utcnow
from portal.notifications import services as notifications
from portal.notifications.models import Notification, NotificationRead
from portal.tenants.models import Membership
from tests.conftest import with_db
from tests.notifications.conftest import as_tenant, lookup

TENANTS = ["pes-yunusobod", "employer-toqimachi", "ngo-sharoit-plus"]


def _tell(session, tenant: int):  # type: ignore[no-untyped-def]
    return notifications.notify(
        session,
        tenant,
        audience=("dashboard", "view"),
        kind="test",
        link=("dashboard", {}),
        text="Client no. %(id)s",
        params={"id": 1},
        email=False,
        now=utcnow(),
    )


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_tenant_writes_into_anothers_inbox_but_reads_only_its_own_and_what_it_wrote(settings) -> None:  # type: ignore[no-untyped-def]
    ids = lookup(settings, tenants=TENANTS, users=["pes.case"])
    pes, toqimachi, ngo = (ids[t] for t in TENANTS)

    async def told(session):  # type: ignore[no-untyped-def]
        return (await _tell(session, toqimachi)).id

    nid = as_tenant(settings, pes, told)
    own = as_tenant(settings, toqimachi, lambda s: _tell_id(s, toqimachi))

    def visible(tenant: int) -> set[int]:
        async def work(session):  # type: ignore[no-untyped-def]
            return set((await session.scalars(select(Notification.id))).all())  # no tenant filter on purpose

        return as_tenant(settings, tenant, work)

    assert visible(toqimachi) == {nid, own}
    assert visible(pes) == {nid}, "the writer reads back what it wrote, nothing else of the employer's"
    assert visible(ngo) == set()
    assert as_tenant(settings, None, lambda s: _ids(s)) == set(), "no tenant named: no rows"

    # A read mark is the reader's tenant's own: it cannot be planted in another's.
    async def plant(session):  # type: ignore[no-untyped-def]
        session.add(
            NotificationRead(notification_id=nid, user_id=ids["pes.case"], tenant_id=toqimachi, read_at=utcnow())
        )
        await session.flush()

    with pytest.raises(DBAPIError):
        as_tenant(settings, pes, plant)


async def _tell_id(session, tenant: int) -> int:  # type: ignore[no-untyped-def]
    return (await _tell(session, tenant)).id


async def _ids(session) -> set[int]:  # type: ignore[no-untyped-def]
    return set((await session.scalars(select(Notification.id))).all())


@pytest.mark.parametrize("backend", ["sqlite"])  # the policy is the same rows on both backends
def test_the_people_of_an_audience_are_exactly_those_casbin_allows(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        engine = make_engine(settings.database_url)
        policy = PolicyStore(engine, settings.policy_model)
        await policy.refresh(session)
        members = (await session.execute(select(Membership.tenant_id, Membership.user_id))).all()
        checked = 0
        for tenant in sorted({t for t, _u in members}):
            people = sorted({u for t, u in members if t == tenant})
            for obj, act in sorted(granted_pairs()):
                expected = [u for u in people if policy.allows(u, tenant, obj, act)]
                assert await holders(session, tenant, obj, act) == expected, (tenant, obj, act)
                checked += len(people)
        await engine.dispose()
        assert checked > 300

    with_db(settings, work)
