"""Clients (persons served), their engagements with partners, and their consents.

Every client field belongs to one data category; agreements share categories, never single
fields, and the redactor drops whole categories a viewer may not see.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.access.declare import share
from portal.access.models import Consent, Engagement  # noqa: F401 - the facts clauses read, owned by the kernel
from portal.access.vocabulary import ENGAGEMENT_SOURCES
from portal.db import Model, TenantOwned, UTCDateTime

DISABILITY_GROUPS = ("I", "II", "III")
ENGAGEMENT_KINDS = ENGAGEMENT_SOURCES


class Client(TenantOwned, Model):
    """tenant_id is the owner: the partner that registered the person and answers for the data."""

    __tablename__ = "clients"
    __table_args__ = (Index("ix_clients_tenant_pinfl", "tenant_id", "pinfl", unique=True),)

    # identity
    full_name: Mapped[str] = mapped_column(String(200))
    full_name_cyrl: Mapped[str] = mapped_column(String(200), default="")
    # Both names folded to one script-free form (translit.search_key), so search finds either.
    name_key: Mapped[str] = mapped_column(String(400), default="", index=True)
    pinfl: Mapped[str] = mapped_column(String(14))
    birth_date: Mapped[date] = mapped_column(Date)
    gender: Mapped[str] = mapped_column(String(10), default="")
    # contact
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    district_code: Mapped[str | None] = mapped_column(ForeignKey("districts.code"), nullable=True)
    # disability & work recommendation
    disability_group: Mapped[str] = mapped_column(String(5), default="")
    disability_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    work_recommendation: Mapped[str] = mapped_column(Text, default="")
    # benefits
    benefits: Mapped[str] = mapped_column(Text, default="")
    # education & skills
    education: Mapped[str] = mapped_column(Text, default="")
    skills: Mapped[str] = mapped_column(Text, default="")
    # employment history
    employment_history: Mapped[str] = mapped_column(Text, default="")
    # assessment & plan
    assessment: Mapped[str] = mapped_column(Text, default="")
    action_plan: Mapped[str] = mapped_column(Text, default="")


# The category of every client field that carries personal data. A field missing here is a test
# failure, never a silent leak: the redactor copies only fields listed under a visible category.
FIELD_CATEGORIES: dict[str, str] = {
    "full_name": "identity",
    "full_name_cyrl": "identity",
    "name_key": "identity",
    "pinfl": "pinfl",
    "birth_date": "identity",
    "gender": "identity",
    "phone": "contact",
    "address": "contact",
    "district_code": "contact",
    "disability_group": "disability",
    "disability_until": "disability",
    "work_recommendation": "disability",
    "benefits": "benefits",
    "education": "education",
    "skills": "education",
    "employment_history": "employment",
    "assessment": "assessment",
    "action_plan": "assessment",
}


CLIENTS = share("client", Client, owner=Client.tenant_id, client=Client.id, fields=FIELD_CATEGORIES)


class CaseNote(TenantOwned, Model):
    """A dated note by a case worker about a client; tenant_id is the owner (the client's organisation).

    Notes are their own data category: a partner reads them only where a clause shares case notes."""

    __tablename__ = "case_notes"

    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    author_name: Mapped[str] = mapped_column(String(200), default="")
    written_at: Mapped[datetime] = mapped_column(UTCDateTime())
    body: Mapped[str] = mapped_column(Text)


CASE_NOTES = share(
    "case_note",
    CaseNote,
    owner=CaseNote.tenant_id,
    client=CaseNote.client_id,
    fields={"body": "case_notes", "author_name": "case_notes", "written_at": "case_notes"},
)


# The case cycle and the referral mechanism live in modules of their own; this module stays the
# area's one public face for its tables.
from portal.cases.case_models import (  # noqa: E402
    ASSESSMENT_DOMAINS,
    CLOSURE_REASONS,
    MEASURE_KINDS,
    MEASURE_STATUSES,
    STAGES,
    WORK_READINESS,
    ActionPlan,
    Assessment,
    Case,
    CaseAddendum,
    CaseEvent,
    IntegrationAgreement,
    PlanMeasure,
)
from portal.cases.outreach_models import (  # noqa: E402
    CASE_OUTCOMES,
    VISIT_OUTCOMES,
    ConsentEvidence,
    OutreachImport,
    OutreachPerson,
    OutreachVisit,
)
from portal.cases.referral_models import (  # noqa: E402
    REFERRAL_KINDS,
    REFERRAL_STATES,
    REVIEW_OUTCOMES,
    CheckIn,
    Placement,
    Referral,
    ReferralReview,
    WorkingDayOverride,
)

__all__ = [
    "ASSESSMENT_DOMAINS",
    "CASE_OUTCOMES",
    "CLOSURE_REASONS",
    "DISABILITY_GROUPS",
    "ENGAGEMENT_KINDS",
    "FIELD_CATEGORIES",
    "MEASURE_KINDS",
    "MEASURE_STATUSES",
    "REFERRAL_KINDS",
    "REFERRAL_STATES",
    "REVIEW_OUTCOMES",
    "STAGES",
    "VISIT_OUTCOMES",
    "WORK_READINESS",
    "ActionPlan",
    "Assessment",
    "Case",
    "CaseAddendum",
    "CaseEvent",
    "CaseNote",
    "CheckIn",
    "Client",
    "Consent",
    "ConsentEvidence",
    "Engagement",
    "IntegrationAgreement",
    "OutreachImport",
    "OutreachPerson",
    "OutreachVisit",
    "Placement",
    "PlanMeasure",
    "Referral",
    "ReferralReview",
    "WorkingDayOverride",
]
