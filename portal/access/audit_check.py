"""Checking the audit log: every chain against its keyed hashes and signed checkpoints (`portal
verify-audit`), and sealing each intact chain's head. Appending is in `audit`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access import seal as signing
from portal.access.audit import GENESIS, checkpoint_record, checkpoint_row, entry_hash, mac_key
from portal.access.models import AuditChain, AuditCheckpoint, AuditEntry
from portal.db import utcnow


def checkpoint_is_genuine(c: AuditCheckpoint) -> bool:
    return signing.check(checkpoint_record(c.chain_key, c.count, c.head_hash, c.at), c.signature, c.key_id)


@dataclass(frozen=True)
class ChainReport:
    """What verification found: entries checked, the first changed entry, every problem in words."""

    entries: int
    first_broken_id: int | None = None
    problems: tuple[str, ...] = ()
    chains: int = 0
    sealed: int = 0

    @property
    def intact(self) -> bool:
        return not self.problems and self.first_broken_id is None


@dataclass
class _ChainCheck:
    chain_key: str
    count: int = 0
    head: str = GENESIS
    first_broken_id: int | None = None
    problem: str | None = None


def _when(c: AuditCheckpoint) -> str:
    return c.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


async def _walk(session: AsyncSession, key: bytes, chain_key: str, sealed: dict[int, AuditCheckpoint]) -> _ChainCheck:
    """Follow one chain from its first entry; stop at the first gap, changed entry or unsealed head."""
    check = _ChainCheck(chain_key)
    entries = await session.stream_scalars(
        select(AuditEntry).where(AuditEntry.chain_key == chain_key).order_by(AuditEntry.seq)
    )
    async for e in entries:
        if e.seq != check.count + 1:
            check.problem = f"entries {check.count + 1}-{e.seq - 1} of chain {chain_key} are missing"
            break
        row = {c.name: getattr(e, c.key) for c in AuditEntry.__table__.columns}
        if e.prev_hash != check.head or entry_hash(key, row) != e.hash:
            check.first_broken_id = e.id
            check.problem = f"entry {e.id} (no. {e.seq} of chain {chain_key}) was changed, or one before it removed"
            break
        if e.seq in sealed and sealed[e.seq].head_hash != e.hash:
            check.first_broken_id = e.id
            check.problem = (
                f"entry {e.id} (no. {e.seq} of chain {chain_key}) differs from the checkpoint sealed at "
                f"{_when(sealed[e.seq])}"
            )
            break
        check.count, check.head = e.seq, e.hash
    await entries.close()
    return check


async def _verify_one(
    session: AsyncSession, key: bytes, chain_key: str, head: AuditChain | None, checkpoints: list[AuditCheckpoint]
) -> tuple[_ChainCheck, list[str]]:
    problems = [
        f"checkpoint {c.id} of chain {chain_key} (entry {c.count}) does not carry the portal's signature"
        for c in checkpoints
        if not checkpoint_is_genuine(c)
    ]
    sealed = {c.count: c for c in checkpoints if checkpoint_is_genuine(c)}
    check = await _walk(session, key, chain_key, sealed)
    if check.problem:
        return check, [*problems, check.problem]
    last_sealed = sealed[max(sealed)] if sealed else None
    if last_sealed is not None and last_sealed.count > check.count:
        problems.append(
            f"entries {check.count + 1}-{last_sealed.count} of chain {chain_key} are missing after checkpoint "
            f"sealed at {_when(last_sealed)}"
        )
    elif head is not None and head.length > check.count:
        problems.append(
            f"entries {check.count + 1}-{head.length} of chain {chain_key} are missing (its head counts {head.length})"
        )
    elif head is not None and head.length == check.count and head.head_hash != check.head:
        problems.append(f"the head of chain {chain_key} does not match its entry {check.count}")
    return check, problems


async def verify_chain(session: AsyncSession, *, seal: bool = True, now: datetime | None = None) -> ChainReport:
    """Check every chain against its keyed hashes and signed checkpoints; with `seal`, sign each intact
    chain's head into a new checkpoint, so that removing entries later is detected."""
    key = mac_key()
    heads = {h.chain_key: h for h in (await session.scalars(select(AuditChain))).all()}
    checkpoints: dict[str, list[AuditCheckpoint]] = {}
    for c in (await session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.count))).all():
        checkpoints.setdefault(c.chain_key, []).append(c)
    keys = set(heads) | set(checkpoints) | set((await session.scalars(select(AuditEntry.chain_key).distinct())).all())
    entries, first_broken, problems, new_seals = 0, [], [], []
    for chain_key in sorted(keys):
        cps = checkpoints.get(chain_key, [])
        check, found = await _verify_one(session, key, chain_key, heads.get(chain_key), cps)
        entries += check.count
        problems += found
        if check.first_broken_id is not None:
            first_broken.append(check.first_broken_id)
        elif not found and seal and check.count > max((c.count for c in cps), default=0):
            new_seals.append(checkpoint_row(chain_key, check.count, check.head, now or utcnow()))
    if new_seals:
        await session.execute(insert(AuditCheckpoint), new_seals)
    return ChainReport(
        entries=entries,
        first_broken_id=min(first_broken, default=None),
        problems=tuple(problems),
        chains=len(keys),
        sealed=len(new_seals),
    )
