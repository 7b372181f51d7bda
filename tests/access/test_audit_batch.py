"""record_reads: one entry per row of a list or per opened record, in a handful of statements."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from portal.access import audit, audit_check
from portal.access.models import AuditEntry
from portal.db import make_engine, make_sessionmaker, utcnow
from tests.conftest import run


def _count_statements(engine) -> list[str]:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    return seen


def test_a_list_page_of_two_hundred_rows_from_three_owners_costs_a_handful_of_statements(settings) -> None:  # type: ignore[no-untyped-def]
    owners = (910001, 910002, 910003)
    reads = [("client", 1000 + i, owners[i % 3], {"categories": ["identity"]}) for i in range(200)]

    async def go():  # type: ignore[no-untyped-def]
        engine = make_engine(settings.database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                await session.execute(select(1))  # the connection is open before counting
                statements = _count_statements(engine)
                written = await audit.record_reads(
                    session, actor_user_id=7, actor_tenant_id=5, reads=reads, kind="list", now=utcnow()
                )
                count = len(statements)
                await session.commit()
                rows = (await session.scalars(select(AuditEntry).where(AuditEntry.owner_tenant_id.in_(owners)))).all()
                report = await audit_check.verify_chain(session, seal=False)
                return written, count, rows, report
        finally:
            await engine.dispose()

    written, count, rows, report = run(go())
    assert written == 200 and len(rows) == 200
    assert count <= 3 * 3  # three per chain touched: lock the head, insert the rows, move the head
    assert {r.kind for r in rows} == {"list"} and {r.action for r in rows} == {"client.read"}
    assert {r.chain_key for r in rows} == {f"tenant:{o}" for o in owners}
    assert sorted(r.object_id for r in rows if r.owner_tenant_id == owners[0]) == sorted(
        str(1000 + i) for i in range(0, 200, 3)
    )
    assert {(r.actor_user_id, r.actor_tenant_id) for r in rows} == {(7, 5)}
    assert all(r.detail == {"categories": ["identity"]} for r in rows)
    assert report.intact, report.problems


def test_an_opened_record_is_recorded_as_opened_and_a_bad_kind_is_refused(settings) -> None:  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        engine = make_engine(settings.database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                with pytest.raises(ValueError):
                    await audit.record_reads(
                        session, actor_user_id=7, actor_tenant_id=5, reads=[], kind="peek", now=utcnow()
                    )
                none = await audit.record_reads(
                    session, actor_user_id=7, actor_tenant_id=5, reads=[], kind="open", now=utcnow()
                )
                await audit.record_reads(
                    session, actor_user_id=7, actor_tenant_id=5, reads=[("client", 3, 910009, None)], kind="open"
                )
                await session.commit()
                entry = await session.scalar(select(AuditEntry).where(AuditEntry.owner_tenant_id == 910009))
                return none, entry
        finally:
            await engine.dispose()

    none, entry = run(go())
    assert none == 0
    assert entry.kind == "open" and entry.object_id == "3" and entry.seq == 1 and entry.detail == {}
