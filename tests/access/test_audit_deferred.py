"""Reads held back until the transaction commits: a page whose parts each read through the kernel
writes one batch; nothing is written before the commit, and nothing of a transaction rolled back; the
session sees its own reads when it reads the log; an entry written at once comes after the reads made
before it; and a page answered over HTTP has its reads in the log."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from portal.access import audit, audit_check
from portal.access.models import AuditEntry
from portal.db import make_engine, make_sessionmaker, utcnow
from tests.access.test_kernel import reads_by
from tests.cases.test_client_routes import seeded, share_with_ngo
from tests.conftest import login, run, with_db
from tests.factories import english, set_aside_demo_agreements

OWNERS = (920001, 920002)


def _reads(first: int, count: int) -> list[audit.Read]:
    return [("client", first + i, OWNERS[i % 2], {"categories": ["identity"]}) for i in range(count)]


def _inserts(engine) -> list[str]:  # type: ignore[no-untyped-def]
    """The statements that write audit entries, from now on."""
    seen: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_ENTRIES"):
            seen.append(statement)

    return seen


def _in_sessions(settings, work):  # type: ignore[no-untyped-def]
    """Run `work(engine, factory)` against the test database's own engine, disposed afterwards."""

    async def go():  # type: ignore[no-untyped-def]
        engine = make_engine(settings.database_url)
        try:
            return await work(engine, make_sessionmaker(engine))
        finally:
            await engine.dispose()

    return run(go())


async def _hold(session, first: int, count: int, kind: str = "open") -> None:  # type: ignore[no-untyped-def]
    await audit.record_reads(
        session, actor_user_id=7, actor_tenant_id=5, reads=_reads(first, count), kind=kind, now=utcnow(), held=True
    )


def _mine(session):  # type: ignore[no-untyped-def]
    return session.scalars(select(AuditEntry).where(AuditEntry.owner_tenant_id.in_(OWNERS)).order_by(AuditEntry.id))


def test_reads_held_back_are_written_in_one_batch_when_the_transaction_commits(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(engine, factory):  # type: ignore[no-untyped-def]
        async with factory() as session:
            await session.execute(select(1))
            inserts = _inserts(engine)
            for first in (100, 200, 300):  # three parts of a page, each its own read
                await _hold(session, first, 4, kind="list")
            before_commit = len(inserts)
            await session.commit()
            after_commit = len(inserts)
        async with factory() as session:
            return (
                before_commit,
                after_commit,
                (await _mine(session)).all(),
                await audit_check.verify_chain(session, seal=False),
            )

    before_commit, after_commit, rows, report = _in_sessions(settings, work)
    assert (before_commit, after_commit) == (0, 1)
    assert sorted(int(r.object_id) for r in rows) == sorted(f + i for f in (100, 200, 300) for i in range(4))
    assert {r.kind for r in rows} == {"list"} and {r.chain_key for r in rows} == {f"tenant:{o}" for o in OWNERS}
    assert report.intact, report.problems


def test_the_session_sees_its_own_reads_and_a_rollback_forgets_them(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(engine, factory):  # type: ignore[no-untyped-def]
        async with factory() as session:
            with pytest.raises(RuntimeError):  # a read is made in a transaction: none is under way yet
                await _hold(session, 300, 1)
            await session.execute(select(1))
            await _hold(session, 400, 2)
            seen_in_session = [r.object_id for r in (await _mine(session)).all()]
            await session.rollback()
            await session.execute(select(1))
            await _hold(session, 500, 2)
            await session.rollback()
            await session.execute(select(1))
            await session.commit()  # a later commit writes nothing of what was rolled back
        async with factory() as session:
            return seen_in_session, [r.object_id for r in (await _mine(session)).all()]

    seen_in_session, kept = _in_sessions(settings, work)
    assert seen_in_session == ["400", "401"]
    assert kept == []


def test_an_entry_written_at_once_follows_the_reads_made_before_it(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(engine, factory):  # type: ignore[no-untyped-def]
        async with factory() as session:
            await session.execute(select(1))
            await _hold(session, 600, 1)
            await audit.record(
                session, action="client.updated", object_type="client", object_id=600, actor_user_id=7,
                actor_tenant_id=5, owner_tenant_id=OWNERS[0],
            )  # fmt: skip
            await session.commit()
        async with factory() as session:
            return [(r.action, r.seq) for r in (await _mine(session)).all()]

    (read, read_seq), (written, written_seq) = _in_sessions(settings, work)
    assert (read, written) == ("client.read", "client.updated") and written_seq == read_seq + 1


def test_a_shared_clients_page_writes_its_reads_in_one_batch(client, settings, app) -> None:  # type: ignore[no-untyped-def]
    with_db(settings, set_aside_demo_agreements)
    client_id, _p, _c = seeded(settings)
    share_with_ngo(settings)
    share_with_ngo(settings, categories=["case_notes"])
    english(client)
    login(client, "ngo.worker")
    inserts = _inserts(app.state.engine)
    page = client.get(f"/clients/{client_id}")
    assert page.status_code == 200
    written = reads_by(settings, "ngo.worker")
    kinds = {action for action, _o, _k in written}
    assert {"client.read", "case_note.read"} <= kinds  # the client and its notes, two reads of the kernel
    assert len(inserts) == 1
