"""Outreach and consent evidence: a social worker's list of persons with a disability and a TIEK work
recommendation in their mahallas, the imports that fill it, the home visits and their outcomes; and
the signed consent forms behind recorded consents.

The list is the owner's working list, not yet anyone's client: it is declared to the kernel as read
by its own tenant only (no clause opens it to a partner), under the same categories as a client's
fields, so need to know inside the tenant holds for it too. A person becomes a client when a visit
ends in wanting work or training and a case is opened; the row then links both.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.access.declare import share
from portal.db import Model, TenantOwned, UTCDateTime

# What a home visit found. The first three may open a case (DOMAIN.md: "Opens a CASE for each PwD
# who wants training or work"); self-employment is work too.
VISIT_OUTCOMES = (
    "not_at_home",
    "not_interested",
    "wants_training",
    "wants_work",
    "wants_self_employment",
    "already_working",
    "health_barrier",
    "moved",
    "deceased",
)
CASE_OUTCOMES = ("wants_training", "wants_work", "wants_self_employment")
# An import's life: read the file, check every row, save them all in one transaction (or none).
IMPORT_STATES = ("queued", "reading", "checking", "saving", "done", "failed")


class OutreachImport(TenantOwned, Model):
    """One uploaded file and its progress; the error table names lines and columns, never values."""

    __tablename__ = "outreach_imports"
    __table_args__ = (Index("ix_outreach_imports_tenant", "tenant_id", "id"),)

    filename: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))  # "csv" or "xlsx"
    size: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="queued")
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    rows_checked: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    # [[line, column, msgid, params], ...]: the first errors, translated when shown.
    errors: Mapped[list] = mapped_column(JSON, default=list)
    started_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OutreachPerson(TenantOwned, Model):
    """A person on the outreach list of the tenant (an INSON centre); one row per PINFL per tenant."""

    __tablename__ = "outreach_persons"
    __table_args__ = (
        Index("ix_outreach_persons_tenant_pinfl", "tenant_id", "pinfl", unique=True),
        Index("ix_outreach_persons_tenant_mahalla", "tenant_id", "mahalla", "id"),
        Index("ix_outreach_persons_tenant_outcome", "tenant_id", "outcome", "id"),
    )

    import_id: Mapped[int | None] = mapped_column(ForeignKey("outreach_imports.id", ondelete="SET NULL"))
    # identity
    full_name: Mapped[str] = mapped_column(String(200))
    full_name_cyrl: Mapped[str] = mapped_column(String(200), default="")
    pinfl: Mapped[str] = mapped_column(String(14))
    birth_date: Mapped[date] = mapped_column(Date)
    gender: Mapped[str] = mapped_column(String(10), default="")
    # contact
    mahalla: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    # disability & work recommendation (TIEK)
    disability_group: Mapped[str] = mapped_column(String(5))
    disability_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    work_recommendation: Mapped[str] = mapped_column(Text)
    # the outreach work: the last visit's outcome ("" = not visited yet), the client and case it led to
    outcome: Mapped[str] = mapped_column(String(30), default="")
    visited_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="SET NULL"), nullable=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), nullable=True)


class OutreachVisit(TenantOwned, Model):
    """One home visit (or attempt) and what it found."""

    __tablename__ = "outreach_visits"

    person_id: Mapped[int] = mapped_column(ForeignKey("outreach_persons.id", ondelete="CASCADE"), index=True)
    visited_on: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    recorded_by_name: Mapped[str] = mapped_column(String(200), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConsentEvidence(TenantOwned, Model):
    """The signed consent form (PDF, JPEG or PNG) behind one consent; tenant_id is the owner's."""

    __tablename__ = "consent_evidence"

    consent_id: Mapped[int] = mapped_column(ForeignKey("consents.id", ondelete="CASCADE"), unique=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


_CONTACT = ("mahalla", "address", "phone", "outcome", "visited_on", "client_id", "case_id")
PERSON_FIELDS: dict[str, str] = {
    **dict.fromkeys(("full_name", "full_name_cyrl", "birth_date", "gender"), "identity"),
    "pinfl": "pinfl",
    **dict.fromkeys(_CONTACT, "contact"),
    **dict.fromkeys(("disability_group", "disability_until", "work_recommendation"), "disability"),
}

OUTREACH_PERSONS = share(
    "outreach",
    OutreachPerson,
    owner=OutreachPerson.tenant_id,
    client=OutreachPerson.client_id,
    fields=PERSON_FIELDS,
    own_only=True,
)
OUTREACH_VISITS = share(
    "outreach",
    OutreachVisit,
    owner=OutreachVisit.tenant_id,
    client=OutreachVisit.person_id,
    fields=dict.fromkeys(("person_id", "visited_on", "outcome", "note", "recorded_by_name"), "contact"),
    own_only=True,
)

__all__ = [
    "CASE_OUTCOMES",
    "IMPORT_STATES",
    "OUTREACH_PERSONS",
    "OUTREACH_VISITS",
    "PERSON_FIELDS",
    "VISIT_OUTCOMES",
    "ConsentEvidence",
    "OutreachImport",
    "OutreachPerson",
    "OutreachVisit",
]
