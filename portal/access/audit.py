"""Append-only audit log: one keyed hash chain per owner tenant, sealed by signed checkpoints.

Why this shape (see also DESIGN.md, "Audit log"):

- One chain per owner tenant (``tenant:<id>``; entries without a tenant go to ``portal``). Appends to
  different chains never wait for each other on PostgreSQL, so reads across the country are not queued
  behind one lock. Entries written before chains existed form the ``legacy`` chain.
- An append first *writes* the chain's head row (``audit_chains``: an upsert that returns the head), so
  the head is read under the chain's lock: a row lock on PostgreSQL, the database's write lock on
  SQLite (whose driver begins a transaction only at the first write). Two appenders therefore never
  read the same head, and the unique (chain_key, seq) pair is a last guard, never hit in practice.
- A request's reads are held in its session and appended once, as its transaction commits
  (``record_reads(..., held=True)``): the heads are locked only while it commits. When each part of a
  page appended its own reads, the first append held the heads until the commit, and the readers of
  one owner's clients queued behind each other.
- Each entry's hash is an HMAC-SHA256, keyed by a key derived from the portal's Ed25519 key, over the
  previous hash, the entry's place (chain, number) and its content. Someone who can write to the
  database but does not hold the key cannot recompute a chain after changing or removing an entry.
- Every ``CHECKPOINT_EVERY`` entries, and whenever the log is verified, the chain's head (count, last
  hash, time) is signed with the portal's Ed25519 key into ``audit_checkpoints``. Removing entries at the
  end of a chain (truncation) then leaves a checkpoint that names entries that no longer exist.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, event, insert, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from portal.access import seal as signing
from portal.access.models import AuditChain, AuditCheckpoint, AuditEntry
from portal.db import utcnow

GENESIS = "0" * 64
LEGACY = "legacy"
CHECKPOINT_EVERY = 100
READ_KINDS = ("open", "list")


@functools.cache
def _lock_heads(dialect: str) -> Any:
    """The statement that creates each chain's head row if needed, locks them in the order given and
    returns them (INSERT ... ON CONFLICT DO UPDATE ... RETURNING, on PostgreSQL and SQLite alike). Run
    with one parameter set per chain, it is sent as one statement of as many rows, built from a form
    compiled once: with the rows written into the statement, every append compiled it anew (1.5 ms
    of CPU for the forty owners of a page of the recipient's clients). Built once per dialect."""
    table = AuditChain.__table__
    insert_ = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert_(table)
    return statement.on_conflict_do_update(
        index_elements=[table.c.chain_key], set_={"length": table.c.length}
    ).returning(table.c.chain_key, table.c.length, table.c.head_hash)


_MOVE_HEAD = (
    update(AuditChain.__table__)
    .where(AuditChain.__table__.c.chain_key == bindparam("chain"))
    .values(length=bindparam("new_length"), head_hash=bindparam("new_head"))
)

Read = tuple[str, Any, int | None, dict[str, Any] | None]


def chain_of(owner_tenant_id: int | None, actor_tenant_id: int | None) -> str:
    """The chain an entry belongs to: its owner tenant's, else the acting tenant's, else the portal's."""
    tenant = owner_tenant_id if owner_tenant_id is not None else actor_tenant_id
    return "portal" if tenant is None else f"tenant:{tenant}"


def mac_key() -> bytes:
    """The HMAC key of the chains, derived from (and as long-lived as) the portal's Ed25519 key, once
    per key in a process."""
    return signing.derived_key(b"icm-portal audit chain v1")


def _content(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "at": row["at"].astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_user_id": row["actor_user_id"],
        "actor_tenant_id": row["actor_tenant_id"],
        "owner_tenant_id": row["owner_tenant_id"],
        "action": row["action"],
        "object_type": row["object_type"],
        "object_id": row["object_id"],
        "detail": row["detail"],
    }


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(key: bytes, row: dict[str, Any]) -> str:
    """The keyed hash of one entry (a dict of its columns), linked to ``row["prev_hash"]``."""
    if row["chain_key"] == LEGACY:
        # Written before chains existed: plain SHA-256 over the content, as it was then.
        body = _json(_content(row))
        return hashlib.sha256(row["prev_hash"].encode() + b"\n" + body).hexdigest()
    body = _json({**_content(row), "chain": row["chain_key"], "seq": row["seq"], "kind": row["kind"]})
    return hmac.new(key, row["prev_hash"].encode() + b"\n" + body, hashlib.sha256).hexdigest()


def checkpoint_record(chain_key: str, count: int, head_hash: str, at: datetime) -> dict[str, Any]:
    return {"chain": chain_key, "count": count, "head": head_hash, "at": at.astimezone(UTC).isoformat()}


def checkpoint_row(chain_key: str, count: int, head_hash: str, at: datetime) -> dict[str, Any]:
    signature, key_id = signing.seal(checkpoint_record(chain_key, count, head_hash, at))
    return {
        "chain_key": chain_key,
        "count": count,
        "head_hash": head_hash,
        "at": at,
        "signature": signature,
        "key_id": key_id,
    }


def _append(session: Session, key: bytes, chains: dict[str, list[dict[str, Any]]]) -> None:
    """Number, link and hash each chain's rows onto it under the chains' locks; insert them; move the
    heads. Three statements whatever the number of chains and rows (and a fourth when a chain reaches a
    checkpoint). The heads are locked in one order everywhere, so two appends never wait on each other
    in a cycle. On the synchronous session, so that a commit can run it (see `_write_before_commit`);
    async callers go through `run_sync`."""
    keys = sorted(chains)
    heads_wanted = [{"chain_key": k, "length": 0, "head_hash": GENESIS} for k in keys]
    locked = session.execute(_lock_heads(session.get_bind().dialect.name), heads_wanted)
    heads = {k: (n, h) for k, n, h in locked.all()}
    entries: list[dict[str, Any]] = []
    moves: list[dict[str, Any]] = []
    checkpoints: list[dict[str, Any]] = []
    for chain_key in keys:
        length, head = heads[chain_key]
        rows = chains[chain_key]
        for row in rows:
            length += 1
            row.update(chain_key=chain_key, seq=length, prev_hash=head)
            head = row["hash"] = entry_hash(key, row)
        entries += rows
        moves.append({"chain": chain_key, "new_length": length, "new_head": head})
        if (length - len(rows)) // CHECKPOINT_EVERY != length // CHECKPOINT_EVERY:
            checkpoints.append(checkpoint_row(chain_key, length, head, utcnow()))
    # The table's own insert: the mapped class's bulk insert went through the ORM for each row (a
    # fifth of a list page's auditing) to send the same statement.
    session.execute(insert(AuditEntry.__table__), entries)
    session.execute(_MOVE_HEAD, moves)
    if checkpoints:
        session.execute(insert(AuditCheckpoint.__table__), checkpoints)


def _write(session: Session, rows: list[dict[str, Any]]) -> None:
    """Write whatever reads the session holds back (see `record_reads`, held), then `rows` (each with its
    chain in "chain_key"), in one append: the log keeps the order things happened in."""
    rows = [*session.info.pop(PENDING, ()), *rows]
    if not rows:
        return
    chains: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        chains.setdefault(row.pop("chain_key"), []).append(row)
    session.flush()
    _append(session, mac_key(), chains)


def _row(
    at: datetime,
    action: str,
    object_type: str,
    object_id: Any,
    actor_user_id: int | None,
    actor_tenant_id: int | None,
    owner_tenant_id: int | None,
    detail: dict[str, Any] | None,
    kind: str | None,
) -> dict[str, Any]:
    return {
        "at": at,
        "actor_user_id": actor_user_id,
        "actor_tenant_id": actor_tenant_id,
        "owner_tenant_id": owner_tenant_id,
        "action": action,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "kind": kind,
        "detail": dict(detail or {}),
    }


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
    """Append one entry in the caller's transaction. An action ending in ".read" is a record opened."""
    kind = "open" if action.endswith(".read") else None
    row = _row(
        now or utcnow(), action, object_type, object_id, actor_user_id, actor_tenant_id, owner_tenant_id, detail, kind
    )
    row["chain_key"] = chain_of(owner_tenant_id, actor_tenant_id)
    await session.run_sync(_write, [row])
    return AuditEntry(**row)


def _read_rows(
    actor_user_id: int | None, actor_tenant_id: int | None, reads: list[Read], kind: str, at: datetime
) -> list[dict[str, Any]]:
    if kind not in READ_KINDS:
        raise ValueError(f"kind must be one of {READ_KINDS}, not {kind!r}")
    rows = []
    for object_type, object_id, owner_tenant_id, detail in reads:
        row = _row(
            at, f"{object_type}.read", object_type, object_id, actor_user_id, actor_tenant_id, owner_tenant_id,
            detail, kind,
        )  # fmt: skip
        row["chain_key"] = chain_of(owner_tenant_id, actor_tenant_id)
        rows.append(row)
    return rows


# The reads a session holds back until it commits, or until it reads or writes the log itself.
PENDING = "audit_reads_pending"
_LOG = (AuditEntry, AuditChain, AuditCheckpoint)


async def record_reads(
    session: AsyncSession,
    *,
    actor_user_id: int | None,
    actor_tenant_id: int | None,
    reads: list[Read],
    kind: str,
    now: datetime | None = None,
    held: bool = False,
) -> int:
    """One entry per read, as action "<object_type>.read": `kind` "open" (a record opened) or "list" (rows
    shown in a list). `reads` holds (object_type, object_id, owner_tenant_id, detail). Written now, with
    any the session holds back: three statements (lock the heads, insert the entries, move the heads),
    whatever the number of chains and rows. Returns the number of entries.

    With `held`, written when the session commits, with every other read held back by then: a page
    whose parts each read through the kernel (the home page's cards) writes one batch of three
    statements where it wrote three per part. The entries are in the transaction that commits the
    request, as before, so no page is answered unless its reads are in the log; a transaction rolled
    back forgets them, as it forgot the rows written at once. Reading the log in the session first
    writes them, so the session sees its own reads. Only in a transaction under way: the one that read
    the rows, which the entries commit or roll back with."""
    if held and not session.in_transaction():
        raise RuntimeError("reads are held back in the transaction that made them, and none is under way")
    rows = _read_rows(actor_user_id, actor_tenant_id, reads, kind, now or utcnow())
    if held:
        session.info.setdefault(PENDING, []).extend(rows)
    else:
        await session.run_sync(_write, rows)
    return len(rows)


@event.listens_for(Session, "before_commit")
def _write_before_commit(session: Session) -> None:
    if session.info.get(PENDING):
        _write(session, [])


@event.listens_for(Session, "do_orm_execute")
def _write_before_reading_the_log(state: ORMExecuteState) -> None:
    if state.session.info.get(PENDING) and any(m.class_ in _LOG for m in state.all_mappers):
        _write(state.session, [])


@event.listens_for(Session, "after_transaction_end")
def _forget_on_rollback(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ends with reads still held back was rolled back: they go with it."""
    if transaction.parent is None:
        session.info.pop(PENDING, None)
