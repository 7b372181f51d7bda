"""The kernel's tables: role policy lines, grant rows, the facts clauses read (engagements,
consents), the policy revision counter and the hash-chained audit log."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, Model, UTCDateTime, utcnow


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


class PolicyChange(Base):
    """One member's role lines in one tenant were rewritten, numbered by the revision the change made.

    A worker holding the policy of an earlier revision replays the changes since (it re-reads those
    members' lines) instead of loading every line again. A revision with no row here (the role grants
    rewritten, a migration) or a gap left by pruning makes the worker load the whole policy."""

    __tablename__ = "policy_changes"

    revision: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(Integer)
    tenant_id: Mapped[int] = mapped_column(Integer)


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


class AccessGrant(Base):
    """One compiled cross-tenant grant ("p2" in policies.conf): the recipient tenant may `action` one data
    category of the owner tenant's clients, for a purpose, within a window of Tashkent calendar days.

    Written by the source's lifecycle in the same transaction as its change (an agreement version's
    activation installs its clauses' rows; termination or supersession removes them), so the rows
    are the policy in force; a list or a read joins them in the query that reads the data. The
    reason columns name the source for explanations without a join into the source's tables.
    """

    __tablename__ = "access_grants"
    __table_args__ = (
        Index("ix_access_grants_lookup", "recipient_tenant_id", "owner_tenant_id", "category", "action"),
        Index("ix_access_grants_owner_purpose", "owner_tenant_id", "purpose"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient_tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    owner_tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    category: Mapped[str] = mapped_column(String(30))
    action: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(30))
    scope: Mapped[str] = mapped_column(String(20))
    consent_required: Mapped[bool] = mapped_column(Boolean)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)  # the last day it holds
    source: Mapped[str] = mapped_column(String(60), index=True)  # "version:12:clause:34"
    # The reason shown beside shared data: agreement, version, clause, signed on.
    agreement_id: Mapped[int] = mapped_column(Integer)
    agreement_title: Mapped[str] = mapped_column(String(300))
    version_number: Mapped[int] = mapped_column(Integer)
    clause_number: Mapped[int] = mapped_column(Integer)
    signed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # HMAC over what the row grants (grants.authentic): a row not written by the compiler grants nothing.
    seal: Mapped[str] = mapped_column(String(64), default="")


class Engagement(Model):
    """A client engaged with a recipient partner; opened and closed by its source's lifecycle
    (a referral, a case conference), which is what a clause's "engaged" scope reads."""

    __tablename__ = "engagements"
    __table_args__ = (
        Index("ix_engagements_recipient_client", "recipient_tenant_id", "client_id"),
        # A recipient's engagements with one owner (what each "engaged" grant row of a list reads), and
        # one row's engagement, which a walked list asks of each row.
        Index("ix_engagements_recipient_owner_client", "recipient_tenant_id", "owner_tenant_id", "client_id"),
    )

    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    owner_tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    recipient_tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    kind: Mapped[str] = mapped_column(String(30))  # the source: one of vocabulary.ENGAGEMENT_SOURCES
    source_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the referral's or conference's id
    opened_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class Consent(Model):
    """A client's consent for one recipient and purpose (law ZRU-547: written or electronic)."""

    __tablename__ = "consents"
    __table_args__ = (
        Index("ix_consents_client_recipient", "client_id", "recipient_tenant_id", "purpose"),
        # A recipient's consents, for the list filter's consent branches.
        Index("ix_consents_recipient_client", "recipient_tenant_id", "client_id"),
        Index("ix_consents_recipient_owner_client", "recipient_tenant_id", "owner_tenant_id", "client_id"),
    )

    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    owner_tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    recipient_tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    purpose: Mapped[str] = mapped_column(String(30))
    evidence: Mapped[str] = mapped_column(Text, default="")  # e.g. "written form no. 14, signed"
    given_at: Mapped[datetime] = mapped_column(UTCDateTime())
    given_recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    withdrawn_recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
