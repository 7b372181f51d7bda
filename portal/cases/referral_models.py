"""Referrals between partner tenants (the online referral), the labour inspection's review of an
employer's refusal, placements and the six months of monitoring after them, and the working-day
calendar the 5-working-day answer is counted on.

A referral is a record of two parties, the sender (tenant_id, who owns the case and the client)
and the recipient; the labour inspection becomes a third when an employer refuses or stays silent.
The referral's own fields (kind, state, dates, the reasons given) are the parties' common record;
what the recipient may see of the client is decided by the kernel from the clauses, like any
other cross-tenant read.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, column, func, literal_column
from sqlalchemy.orm import Mapped, mapped_column

from portal.access.declare import share
from portal.db import Base, Model, TenantOwned, UTCDateTime

# What a referral sends the client to; the kinds are open to later areas (social orders, carved
# job offers) that add theirs.
REFERRAL_KINDS = ("pes_vacancy", "training", "ngo_service", "employer_job", "social_service")
# Kinds whose recipient must answer within ANSWER_WORKING_DAYS (the ministry's mechanism).
ANSWER_DUE_KINDS = ("employer_job",)
ANSWER_WORKING_DAYS = 5
# The due day a referral without one sorts at, also written as an SQL literal so that a list's order and
# the index that serves it are the same expression on both databases (a bound date would not match it).
NO_DUE_DAY = date(9999, 12, 31)
NO_DUE_DAY_SQL = f"'{NO_DUE_DAY.isoformat()}'"
REFERRAL_STATES = ("draft", "sent", "accepted", "declined", "in_progress", "completed", "failed", "withdrawn")
# The states in which the recipient's engagement with the client is open.
ENGAGED_STATES = ("accepted", "in_progress")
ENDED_STATES = ("declined", "completed", "failed", "withdrawn")
# What the labour inspection records after reviewing a refusal or a silence.
REVIEW_OUTCOMES = ("refusal_upheld", "hire_agreed", "re_referred")
# Retention is read at these points after the start date (days, months, months).
RETENTION_POINTS = ("28_days", "3_months", "6_months")
CHECK_IN_MONTHS = 6
CHECK_IN_STATUSES = ("in_work", "at_risk", "left_job")


class Referral(TenantOwned, Model):
    """tenant_id is the sender: the tenant that owns the case and the client."""

    __tablename__ = "referrals"
    __table_args__ = (
        # A recipient's referrals in one state, newest first: its list of answered referrals reads each
        # answered state from it a page at a time.
        Index("ix_referrals_recipient_state_id", "recipient_tenant_id", "state", "id"),
        Index("ix_referrals_inspection_state", "inspection_tenant_id", "state"),
        # A recipient's referrals in one state in the order of their due day (no due day last), then id:
        # the order its inbox card and its "awaiting answer" list read them in, one page at a time
        # (portal/cases/due_order.py writes the same expression).
        Index(
            "ix_referrals_recipient_due",
            "recipient_tenant_id",
            "state",
            func.coalesce(column("answer_due_on"), literal_column(NO_DUE_DAY_SQL)),
            "id",
        ),
    )

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    recipient_tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    kind: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(20), default="draft")
    # What the client is referred to: a vacancy, a course, a service, a job (free text or an offer's title).
    subject: Mapped[str] = mapped_column(String(300), default="")
    message: Mapped[str] = mapped_column(Text, default="")  # the sender's note to the recipient
    sent_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The last day of the answer (inclusive), fixed when sent from the working-day calendar.
    answer_due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    outcome_note: Mapped[str] = mapped_column(Text, default="")  # on completion or failure
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The labour inspection that reviews an employer's refusal or silence (set when sent for employer kinds).
    inspection_tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), nullable=True)
    # The engagement the acceptance opened (closed when the referral ends).
    engagement_id: Mapped[int | None] = mapped_column(ForeignKey("engagements.id"), nullable=True)
    # The referral this one re-refers (the inspection's "re-referred" outcome).
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"), nullable=True)


class ReferralReview(TenantOwned, Model):
    """The labour inspection's outcome on a refused or unanswered employer referral; tenant_id is the inspection.

    The referral's sender and recipient are its parties (copied from the referral, so the kernel reads
    who they are from the row itself)."""

    __tablename__ = "referral_reviews"

    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    sender_tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    recipient_tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    outcome: Mapped[str] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Placement(TenantOwned, Model):
    """A client placed in a job; tenant_id owns the case. Monitored monthly for six months."""

    __tablename__ = "placements"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"), nullable=True)
    employer_tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), nullable=True)
    employer_name: Mapped[str] = mapped_column(String(300), default="")
    job_title: Mapped[str] = mapped_column(String(300))
    start_date: Mapped[date] = mapped_column(Date)
    contract_registered: Mapped[bool] = mapped_column(Boolean, default=False)
    ended_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class CheckIn(TenantOwned, Model):
    """One monthly check-in of a placement (month 1..6)."""

    __tablename__ = "check_ins"
    __table_args__ = (Index("ix_check_ins_placement_month", "placement_id", "month", unique=True),)

    placement_id: Mapped[int] = mapped_column(ForeignKey("placements.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    month: Mapped[int] = mapped_column(Integer)
    checked_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class WorkingDayOverride(Base):
    """A day the government moved: a weekend made a working day, or a working day made a rest day.

    Public holidays come from the `holidays` package; these rows are what it cannot know in advance."""

    __tablename__ = "working_day_overrides"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(300), default="")
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime())


# The referral's own record is its parties' common record (category "referral"): the sender owns it,
# the recipient and the reviewing inspection see it because they take part. What they may see of the
# client stays the clauses' answer, read from the client's table (access.find(Client, ...)).
REFERRALS = share(
    "referral",
    Referral,
    owner=Referral.tenant_id,
    client=Referral.client_id,
    parties=(Referral.recipient_tenant_id, Referral.inspection_tenant_id),
    party_since=Referral.sent_at,  # a draft is the sender's alone
    fields=dict.fromkeys(
        (
            "case_id",
            "client_id",
            "recipient_tenant_id",
            "inspection_tenant_id",
            "kind",
            "state",
            "subject",
            "message",
            "sent_by",
            "sent_at",
            "answer_due_on",
            "answered_at",
            "answered_by",
            "decline_reason",
            "outcome_note",
            "ended_at",
            "previous_id",
        ),
        "referral",
    ),
)
REFERRAL_REVIEWS = share(
    "referral",
    ReferralReview,
    owner=ReferralReview.tenant_id,
    client=ReferralReview.client_id,
    parties=(ReferralReview.sender_tenant_id, ReferralReview.recipient_tenant_id),
    fields=dict.fromkeys(
        ("referral_id", "sender_tenant_id", "recipient_tenant_id", "outcome", "note", "recorded_by", "recorded_at"),
        "referral",
    ),
)
PLACEMENTS = share(
    "placement",
    Placement,
    owner=Placement.tenant_id,
    client=Placement.client_id,
    fields={
        "case_id": "employment",
        "employer_name": "employment",
        "job_title": "employment",
        "start_date": "employment",
        "contract_registered": "employment",
        "ended_on": "employment",
    },
)
CHECK_INS = share(
    "placement",
    CheckIn,
    owner=CheckIn.tenant_id,
    client=CheckIn.client_id,
    fields={
        "placement_id": "employment",
        "month": "employment",
        "checked_on": "employment",
        "status": "employment",
        "note": "employment",
    },
)
