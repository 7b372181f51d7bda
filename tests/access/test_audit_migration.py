"""Revision 0005 keeps the entries written before it as the chain "legacy", still verifiable, and its
downgrade relinks every entry into the one chain the earlier revisions expect."""

from __future__ import annotations

from sqlalchemy import func, select, text, update

from portal.access import audit, audit_check
from portal.access.models import AuditCheckpoint, AuditEntry
from portal.cli import downgrade_database, migrate_database
from tests.conftest import with_db


def test_entries_from_before_the_chains_stay_verifiable_and_are_sealed(settings) -> None:  # type: ignore[no-untyped-def]
    before = with_db(settings, lambda s: s.scalar(select(func.count()).select_from(AuditEntry)))
    assert before > 0  # the demo seed writes entries
    downgrade_database(settings, "0005-1")

    async def old_chain(session):  # type: ignore[no-untyped-def]
        rows = (await session.execute(text("SELECT prev_hash, hash FROM audit_entries ORDER BY id"))).all()
        return all(rows[i][0] == rows[i - 1][1] for i in range(1, len(rows))) and rows[0][0] == audit.GENESIS

    assert with_db(settings, old_chain)
    last_old = with_db(settings, lambda s: s.scalar(select(func.max(AuditEntry.id))))
    migrate_database(settings)

    async def after(session):  # type: ignore[no-untyped-def]
        # The entries written before the upgrade (`portal migrate` may append new ones after it).
        old = select(AuditEntry.chain_key).where(AuditEntry.id <= last_old).distinct()
        keys = set((await session.scalars(old)).all())
        await audit.record(session, action="tenant.viewed", object_type="tenant", object_id=1, actor_tenant_id=1)
        report = await audit_check.verify_chain(session)
        sealed = await session.scalar(select(AuditCheckpoint.count).where(AuditCheckpoint.chain_key == audit.LEGACY))
        return keys, report, sealed

    keys, report, sealed = with_db(settings, after)
    assert keys == {audit.LEGACY}
    assert report.intact, report.problems
    assert report.entries >= before + 1 and sealed == before

    async def tamper(session):  # type: ignore[no-untyped-def]
        first = await session.scalar(select(func.min(AuditEntry.id)))
        await session.execute(update(AuditEntry).where(AuditEntry.id == first).values(object_id="999"))
        return first, await audit_check.verify_chain(session)

    first, broken = with_db(settings, tamper)
    assert broken.first_broken_id == first
