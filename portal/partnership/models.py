"""Agreements, their versions, parties, data-sharing clauses, signatures and comments.

A version's terms live in rows while it is a draft (so the editor can add and remove parties and
clauses) and are frozen as canonical JSON with its SHA-256 when it is proposed; from then on the
rows are read-only and the JSON is what parties sign and what verification checks.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.access.vocabulary import ACTIONS, CATEGORIES, PURPOSES, SCOPES  # noqa: F401 - the policy's words
from portal.db import Model, TenantOwned, UTCDateTime

# Version lifecycle. "expired" is never stored: an active version whose window has passed is
# expired by the clock (see services.effective_status) and enforcement checks the window itself.
VERSION_STATUSES = ("draft", "proposed", "signing", "active", "terminated", "superseded")


class Agreement(TenantOwned, Model):
    """tenant_id is the drafting tenant."""

    __tablename__ = "agreements"

    title: Mapped[str] = mapped_column(String(300))
    template_key: Mapped[str | None] = mapped_column(String(60), nullable=True)
    created_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class AgreementVersion(Model):
    __tablename__ = "agreement_versions"
    __table_args__ = (UniqueConstraint("agreement_id", "number"),)

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


class AgreementParty(Model):
    __tablename__ = "agreement_parties"
    __table_args__ = (UniqueConstraint("version_id", "tenant_id"),)

    version_id: Mapped[int] = mapped_column(ForeignKey("agreement_versions.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    role: Mapped[str] = mapped_column(Text, default="")  # role and functions in the partnership
    resources: Mapped[str] = mapped_column(Text, default="")  # resources and contributions


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
