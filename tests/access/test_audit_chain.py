"""The audit log proves it is complete: truncation, a recomputed tail, a forged checkpoint or head are
reported by `portal verify-audit`, which names the first bad entry or the missing range."""

from __future__ import annotations

import hashlib
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, func, select, update

from portal.access import audit, audit_check
from portal.access.models import AuditChain, AuditCheckpoint, AuditEntry
from portal.cli import main
from portal.db import utcnow
from tests.conftest import SECRET, with_db

OWNER = 424242  # a tenant id of its own, so the demo's entries stay out of this chain
CHAIN = f"tenant:{OWNER}"


@pytest.fixture
def runner(settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SECRET_KEY", SECRET)
    return CliRunner()


def _reads(settings, n: int) -> None:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        for i in range(n):
            await audit.record(
                session,
                action="client.read",
                object_type="client",
                object_id=i,
                actor_user_id=1,
                actor_tenant_id=1,
                owner_tenant_id=OWNER,
                detail={"categories": ["identity"]},
            )

    with_db(settings, work)


def _ids(settings) -> list[int]:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        return list(await session.scalars(select(AuditEntry.id).where(AuditEntry.chain_key == CHAIN).order_by("seq")))

    return with_db(settings, work)


def _verify(runner: CliRunner, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(main, ["verify-audit", *args])


def test_appends_are_numbered_linked_and_sealed_every_hundred_entries(settings) -> None:  # type: ignore[no-untyped-def]
    _reads(settings, 250)

    async def work(session):  # type: ignore[no-untyped-def]
        head = await session.get(AuditChain, CHAIN)
        seqs = list(await session.scalars(select(AuditEntry.seq).where(AuditEntry.chain_key == CHAIN)))
        sealed = list(await session.scalars(select(AuditCheckpoint.count).where(AuditCheckpoint.chain_key == CHAIN)))
        return head.length, sorted(seqs), sorted(sealed), await audit_check.verify_chain(session, seal=False)

    length, seqs, sealed, report = with_db(settings, work)
    assert length == 250 and seqs == list(range(1, 251))
    assert sealed == [100, 200]
    assert report.intact, report.problems


def test_removing_the_last_entries_is_reported_as_a_missing_range(runner: CliRunner, settings) -> None:  # type: ignore[no-untyped-def]
    _reads(settings, 120)
    first = _verify(runner)
    assert first.exit_code == 0, first.output
    assert "intact" in first.output
    ids = _ids(settings)

    async def truncate(session):  # type: ignore[no-untyped-def]
        # What someone with write access would do: remove the entries and make the head agree.
        await session.execute(delete(AuditEntry).where(AuditEntry.id.in_(ids[-50:])))
        last = await session.scalar(select(AuditEntry.hash).where(AuditEntry.id == ids[-51]))
        await session.execute(update(AuditChain).where(AuditChain.chain_key == CHAIN).values(length=70, head_hash=last))

    with_db(settings, truncate)
    broken = _verify(runner)
    assert broken.exit_code == 1
    assert f"entries 71-120 of chain {CHAIN} are missing after checkpoint sealed at" in broken.output


def test_removing_the_last_entries_without_any_checkpoint_is_caught_by_the_head(runner: CliRunner, settings) -> None:  # type: ignore[no-untyped-def]
    _reads(settings, 30)
    ids = _ids(settings)
    with_db(settings, lambda s: s.execute(delete(AuditEntry).where(AuditEntry.id.in_(ids[-5:]))))
    broken = _verify(runner, "--no-seal")
    assert broken.exit_code == 1
    assert f"entries 26-30 of chain {CHAIN} are missing" in broken.output


def _unkeyed(prev: str, e: AuditEntry) -> str:
    body = {
        "at": e.at.isoformat(timespec="microseconds"),
        "actor_user_id": e.actor_user_id,
        "actor_tenant_id": e.actor_tenant_id,
        "owner_tenant_id": e.owner_tenant_id,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "detail": e.detail,
        "chain": e.chain_key,
        "seq": e.seq,
        "kind": e.kind,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(prev.encode() + b"\n" + canonical).hexdigest()


def test_removing_one_entry_and_recomputing_the_tail_is_reported(runner: CliRunner, settings) -> None:  # type: ignore[no-untyped-def]
    _reads(settings, 40)
    assert _verify(runner, "--no-seal").exit_code == 0
    ids = _ids(settings)
    victim = ids[19]

    async def rewrite(session):  # type: ignore[no-untyped-def]
        # Remove entry no. 20, renumber and relink everything after it, and move the head: all that can be
        # done without the portal's key.
        await session.execute(delete(AuditEntry).where(AuditEntry.id == victim))
        prev = await session.scalar(select(AuditEntry.hash).where(AuditEntry.id == ids[18]))
        for seq, entry_id in enumerate(ids[20:], start=20):
            entry = await session.get(AuditEntry, entry_id)
            entry.seq, entry.prev_hash = seq, prev
            entry.hash = prev = _unkeyed(prev, entry)
            await session.flush()
        await session.execute(update(AuditChain).where(AuditChain.chain_key == CHAIN).values(length=39, head_hash=prev))

    with_db(settings, rewrite)
    broken = _verify(runner)
    assert broken.exit_code == 1
    assert f"BROKEN at entry {ids[20]}" in broken.output
    assert f"no. 20 of chain {CHAIN}" in broken.output


def test_a_forged_checkpoint_is_reported(runner: CliRunner, settings) -> None:  # type: ignore[no-untyped-def]
    _reads(settings, 5)
    assert _verify(runner).exit_code == 0

    async def forge(session):  # type: ignore[no-untyped-def]
        await session.execute(update(AuditCheckpoint).where(AuditCheckpoint.chain_key == CHAIN).values(count=3))

    with_db(settings, forge)
    broken = _verify(runner)
    assert broken.exit_code == 1
    assert f"of chain {CHAIN} (entry 3) does not carry the portal's signature" in broken.output


def test_verifying_seals_each_intact_chain_once(settings) -> None:  # type: ignore[no-untyped-def]
    _reads(settings, 3)

    async def work(session):  # type: ignore[no-untyped-def]
        first = await audit_check.verify_chain(session, now=utcnow())
        second = await audit_check.verify_chain(session, now=utcnow())
        count = await session.scalar(
            select(func.count()).select_from(AuditCheckpoint).where(AuditCheckpoint.chain_key == CHAIN)
        )
        return first, second, count

    first, second, count = with_db(settings, work)
    assert first.intact and second.intact and first.sealed >= 1 and second.sealed == 0
    assert count == 1
