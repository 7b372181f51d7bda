"""Policy lines, the policy revision counter and the hash-chained audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime, utcnow


class CasbinRule(Base):
    """The table shape the Casbin SQLAlchemy adapters read."""

    __tablename__ = "casbin_rule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ptype: Mapped[str] = mapped_column(String(255))
    v0: Mapped[str | None] = mapped_column(String(255), nullable=True)
    v1: Mapped[str | None] = mapped_column(String(255), nullable=True)
    v2: Mapped[str | None] = mapped_column(String(255), nullable=True)
    v3: Mapped[str | None] = mapped_column(String(255), nullable=True)
    v4: Mapped[str | None] = mapped_column(String(255), nullable=True)
    v5: Mapped[str | None] = mapped_column(String(255), nullable=True)

    def __str__(self) -> str:
        """The CSV line the adapter hands to Casbin."""
        values = [self.v0, self.v1, self.v2, self.v3, self.v4, self.v5]
        while values and values[-1] is None:
            values.pop()
        return ", ".join([self.ptype, *(v or "" for v in values)])


class PolicyRevision(Base):
    """One row; bumped in the same transaction as any policy change so every worker notices."""

    __tablename__ = "policy_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, default=0)


class AuditEntry(Base):
    """Append-only; each entry's keyed hash covers its content, its place in its chain and the previous hash.

    Entries form one chain per owner tenant (``chain_key``, see portal/access/audit.py), numbered
    1, 2, 3... by ``seq``; the unique (chain_key, seq) pair means a chain can never fork.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        UniqueConstraint("chain_key", "seq"),
        # The owner's "who read our data" page: newest first within one owner and kind of read.
        Index("ix_audit_entries_reads", "owner_tenant_id", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor_tenant_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    owner_tenant_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str | None] = mapped_column(String(60), nullable=True)
    # "open" (one record opened), "list" (a row shown in a list) or None (not a read).
    kind: Mapped[str | None] = mapped_column(String(10), nullable=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    chain_key: Mapped[str] = mapped_column(String(80))
    seq: Mapped[int] = mapped_column(BigInteger)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChain(Base):
    """The head of one audit chain: its length and last hash. Appending locks this row first."""

    __tablename__ = "audit_chains"

    chain_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    length: Mapped[int] = mapped_column(BigInteger, default=0)
    head_hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """A chain's head sealed with the portal's Ed25519 key: entries 1..count existed, ending in head_hash."""

    __tablename__ = "audit_checkpoints"
    __table_args__ = (UniqueConstraint("chain_key", "count"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain_key: Mapped[str] = mapped_column(String(80))
    count: Mapped[int] = mapped_column(BigInteger)
    head_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    signature: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[str] = mapped_column(String(64))
