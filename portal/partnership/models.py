"""Agreements, their versions, parties, data-sharing clauses, signatures and comments.

A version's terms live in rows while it is a draft (so the editor can add and remove parties and
clauses) and are frozen as canonical JSON with its SHA-256 when it is proposed; from then on the
rows are read-only and the JSON is what parties sign and what verification checks.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.access.vocabulary import ACTIONS, CATEGORIES, PURPOSES, SCOPES  # noqa: F401 - the policy's words
from portal.db import Model, TenantOwned, UTCDateTime


class VersionStatus(StrEnum):
    """A version's lifecycle. EXPIRED is never stored: an active version whose window has passed is
    expired by the clock (see reading.effective_status), and enforcement checks the window itself."""

    DRAFT = "draft"
    PROPOSED = "proposed"
    SIGNING = "signing"
    ACTIVE = "active"
    EXPIRED = "expired"
    TERMINATED = "terminated"
    SUPERSEDED = "superseded"


VERSION_STATUSES = tuple(s.value for s in VersionStatus if s is not VersionStatus.EXPIRED)  # what is stored
OPEN_STATUSES = ("draft", "proposed", "signing")  # at most one such version per agreement
DEFAULT_NOTICE_DAYS = 30


class Agreement(TenantOwned, Model):
    """tenant_id is the drafting tenant."""

    __tablename__ = "agreements"

    title: Mapped[str] = mapped_column(String(300))
    template_key: Mapped[str | None] = mapped_column(String(60), nullable=True)
    created_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


_OPEN = text("status IN ('draft', 'proposed', 'signing')")


class AgreementVersion(Model):
    __tablename__ = "agreement_versions"
    __table_args__ = (
        UniqueConstraint("agreement_id", "number"),
        # Two amendments drafted at once: the second insert fails here instead of leaving two drafts.
        Index(
            "uq_agreement_versions_one_open", "agreement_id", unique=True, sqlite_where=_OPEN, postgresql_where=_OPEN
        ),
    )

    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    title: Mapped[str] = mapped_column(String(300))
    common_goals: Mapped[str] = mapped_column(Text, default="")
    joint_tools: Mapped[str] = mapped_column(Text, default="")  # tools used jointly or separately
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    # Frozen at proposal: the canonical JSON of the terms and its SHA-256 (hex).
    terms_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    terms_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    end_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    ended_by_tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), nullable=True)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("agreement_versions.id"), nullable=True)
    # Days of notice a party must give to end the agreement; part of the terms. NULL on versions
    # frozen before the field existed (their terms do not state it; the default applies).
    notice_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # A party's notice: the version stays in force until notice_ends_on (valid_until is set to it,
    # so every read's window check ends it by the clock); who, when and why is in its events too.
    notice_given_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    notice_by_tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), nullable=True)
    notice_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    notice_ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class AgreementParty(Model):
    __tablename__ = "agreement_parties"
    __table_args__ = (UniqueConstraint("version_id", "tenant_id"),)

    version_id: Mapped[int] = mapped_column(ForeignKey("agreement_versions.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    role: Mapped[str] = mapped_column(Text, default="")  # role and functions in the partnership
    resources: Mapped[str] = mapped_column(Text, default="")  # resources and contributions
    # When this tenant became a party of this version: comments written before are shown to it only
    # when their authors allowed parties added later to read them. NULL: a party from the start.
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Clause(Model):
    """One data-sharing clause: owner party -> recipient party."""

    __tablename__ = "agreement_clauses"
    __table_args__ = (UniqueConstraint("version_id", "number"),)

    version_id: Mapped[int] = mapped_column(ForeignKey("agreement_versions.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    owner_tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    recipient_tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    actions: Mapped[list[str]] = mapped_column(JSON, default=list)
    purpose: Mapped[str] = mapped_column(String(30))
    scope: Mapped[str] = mapped_column(String(20))
    consent_required: Mapped[bool] = mapped_column(Boolean, default=True)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # earlier than the agreement's end


class Signature(Model):
    """A party's signatory signed a version's terms hash; the record itself is signed by the portal."""

    __tablename__ = "agreement_signatures"
    __table_args__ = (UniqueConstraint("version_id", "tenant_id"),)

    version_id: Mapped[int] = mapped_column(ForeignKey("agreement_versions.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    signer_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signer_name: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    terms_hash: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(30), default="portal")  # later: "e-imzo"
    # Ed25519 signature (base64) by the portal key over the canonical JSON of the fields above.
    portal_signature: Mapped[str] = mapped_column(String(200))
    portal_key_id: Mapped[str] = mapped_column(String(64))


class AgreementComment(TenantOwned, Model):
    """A party's comment on a draft or proposed version; tenant_id is the commenting party."""

    __tablename__ = "agreement_comments"

    version_id: Mapped[int] = mapped_column(ForeignKey("agreement_versions.id", ondelete="CASCADE"), index=True)
    author_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    # The author agreed that parties added to the version later may read this comment.
    later_parties_may_read: Mapped[bool] = mapped_column(Boolean, default=False)


class AgreementEvent(Model):
    """Something every party of a version is told: a party added, notice given, sharing stopped...

    Shown on the version page to all its parties (there is no inbox yet). `detail` keeps what a change
    after signing replaced (an earlier valid_until, a clause's earlier ends_on), so verification can
    tell recorded ends apart from tampering."""

    __tablename__ = "agreement_events"

    version_id: Mapped[int] = mapped_column(ForeignKey("agreement_versions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))  # the party that acted
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    user_name: Mapped[str] = mapped_column(String(200))
    subject_tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), nullable=True)  # added party
    reason: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
