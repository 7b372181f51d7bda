"""The notifications' tables: what was said to whom, who has read it, and the e-mails still to send.

A notification belongs to the tenant it is addressed to and names either an audience — a Casbin
permission (object, action) the reader must hold in that tenant, so it reaches whoever does that
work now, not a list of people fixed when it was written — or one user. It stores its words as a
msgid and parameters, never as translated text, and its link as a route name and parameters, so each
reader gets it in their own language and the link follows the routes. It carries no client data:
the link leads to the record, which the reader opens through the access kernel like any other.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, UTCDateTime

# An outbox message's life: waiting to be sent (again), sent, or given up on.
PENDING, SENT, FAILED = "pending", "sent", "failed"


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        # The inbox and the header's count: one tenant's notifications, newest first, bounded by date.
        Index("ix_notifications_inbox", "tenant_id", "created_at", "id"),
        CheckConstraint("(audience IS NULL) <> (user_id IS NULL)", name="one_addressee"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"))
    # The tenant whose transaction wrote it (a referral's sender telling the recipient); row-level
    # security lets a tenant write into another's inbox, never read it.
    sender_tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"), nullable=True)
    audience: Mapped[str | None] = mapped_column(String(81), nullable=True)  # "referral:answer"
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(40))  # e.g. "referral_received"
    route: Mapped[str] = mapped_column(String(80))
    route_params: Mapped[dict] = mapped_column(JSON, default=dict)
    text: Mapped[str] = mapped_column(String(300))  # the msgid
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    email: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class NotificationRead(Base):
    """One user's mark that they have read one notification."""

    __tablename__ = "notification_reads"

    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"))
    read_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxMessage(Base):
    """An e-mail to one person about one notification, written in the notification's transaction and
    sent after it committed by `portal worker` (see portal/notifications/outbox.py). It holds the
    address and the delivery's state only; the words are the notification's, rendered when sent."""

    __tablename__ = "email_outbox"
    __table_args__ = (
        UniqueConstraint("notification_id", "user_id"),
        Index("ix_email_outbox_due", "status", "next_attempt_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
