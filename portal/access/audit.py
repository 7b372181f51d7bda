"""Append-only, hash-chained audit log.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's canonical JSON, so
changing, removing or reordering any entry breaks every hash after it. ``prev_hash`` is unique:
two writers that read the same tail cannot both append (one fails and its transaction rolls back).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access.models import AuditEntry
from portal.db import utcnow

GENESIS = "0" * 64


def _canonical(entry: AuditEntry) -> bytes:
    body = {
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor_user_id": entry.actor_user_id,
        "actor_tenant_id": entry.actor_tenant_id,
        "owner_tenant_id": entry.owner_tenant_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "detail": entry.detail,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + _canonical(entry)).hexdigest()


async def record(
    session: AsyncSession,
    *,
    action: str,
    object_type: str,
    object_id: Any = None,
    actor_user_id: int | None = None,
    actor_tenant_id: int | None = None,
    owner_tenant_id: int | None = None,
    detail: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        # Serialise appenders so the chain never forks; released at commit.
        await session.execute(text("SELECT pg_advisory_xact_lock(7301)"))
    tail = await session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    at = now or utcnow()
    entry = AuditEntry(
        at=at,
        actor_user_id=actor_user_id,
        actor_tenant_id=actor_tenant_id,
        owner_tenant_id=owner_tenant_id,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        detail=detail or {},
        prev_hash=tail or GENESIS,
    )
    entry.hash = entry_hash(entry.prev_hash, entry)
    session.add(entry)
    await session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    entries: int
    first_broken_id: int | None

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None


async def verify_chain(session: AsyncSession) -> ChainReport:
    prev = GENESIS
    count = 0
    result = await session.stream_scalars(select(AuditEntry).order_by(AuditEntry.id))
    async for entry in result:
        count += 1
        if entry.prev_hash != prev or entry_hash(prev, entry) != entry.hash:
            return ChainReport(entries=count, first_broken_id=entry.id)
        prev = entry.hash
    return ChainReport(entries=count, first_broken_id=None)
