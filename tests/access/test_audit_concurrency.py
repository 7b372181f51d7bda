"""Sixteen people of three partner organisations read shared clients at the same moment, each through
their own app instance on one database: every read succeeds and is audited exactly once."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from portal.access.audit_check import verify_chain
from portal.access.models import AuditEntry
from tests.conftest import login, with_db

# Demo personas and a client of another organisation that the demo pilot shares with each.
READERS = (("ngo.worker", 2), ("mono.case", 3), ("toqimachi.hr", 4))
PEOPLE = 16
READS_EACH = 8


def _reads(settings) -> list[tuple[int | None, int | None]]:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        rows = await session.execute(
            select(AuditEntry.actor_tenant_id, AuditEntry.owner_tenant_id).where(AuditEntry.action == "client.read")
        )
        return [tuple(r) for r in rows.all()]

    return with_db(settings, work)


def test_sixteen_concurrent_cross_tenant_readers_get_no_error_and_one_entry_per_read(make_client, settings) -> None:  # type: ignore[no-untyped-def]
    browsers = []
    for i in range(PEOPLE):
        who, client_id = READERS[i % len(READERS)]
        browser = make_client()
        login(browser, who)
        browsers.append((browser, client_id))
    before = len(_reads(settings))
    start = threading.Barrier(PEOPLE)
    statuses: list[int] = []
    lock = threading.Lock()

    def read(browser, client_id: int) -> None:  # type: ignore[no-untyped-def]
        start.wait()
        for _ in range(READS_EACH):
            status = browser.get(f"/clients/{client_id}").status_code
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=read, args=pair) for pair in browsers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)

    assert len(statuses) == PEOPLE * READS_EACH
    assert [s for s in statuses if s != 200] == []
    reads = _reads(settings)
    assert len(reads) - before == PEOPLE * READS_EACH
    assert all(actor != owner for actor, owner in reads[before:])

    async def check(session):  # type: ignore[no-untyped-def]
        return await verify_chain(session), await session.scalar(select(func.count()).select_from(AuditEntry))

    report, total = with_db(settings, check)
    assert report.intact, report.problems
    assert report.entries == total
