"""The ICM case, distinct from the client record: its stages, timeline, needs assessment, individual
action plan, labour-integration agreement, closure and addenda.

A case belongs to the tenant that owns the client (tenant_id); every record here carries the
client it is about, so the kernel decides cross-tenant reads by the same clauses as the client's
own fields (category "assessment": the ICM assessment and plan). Timeline events name the tenant
that acted, which may be a partner (a referral's recipient, the labour inspection).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.access.declare import share
from portal.db import Model, TenantOwned, UTCDateTime

# The case-management cycle (DOMAIN.md); a case moves forward one stage at a time and may be
# closed from any stage. A closed case is read-only except for an addendum.
STAGES = ("intake", "assessment", "planning", "implementation", "monitoring", "closed")
# The needs-assessment domains, done with the client (DOMAIN.md, "The case-management cycle").
ASSESSMENT_DOMAINS = (
    "health",  # health and functioning
    "education",  # education and skills
    "work_history",
    "family",
    "income",  # income and benefits
    "housing",
    "transport",  # transport and accessibility
    "motivation",
)
# The outcome of the assessment.
WORK_READINESS = ("ready", "ready_with_support", "needs_preparation", "not_ready")
# Measures of the individual action plan.
MEASURE_KINDS = (
    "counselling",
    "vocational_training",
    "job_placement",
    "workplace_adaptation",
    "social_services",
    "benefits_advice",
    "entrepreneurship",
    "public_works",
)
MEASURE_STATUSES = ("planned", "in_progress", "done", "cancelled")
# The fixed list a case is closed with.
CLOSURE_REASONS = (
    "employed_sustained",  # employed and still in work after monitoring
    "employed_other",  # found work on their own
    "self_employed",
    "declined_services",
    "moved_away",
    "transferred",  # to another organisation
    "not_eligible",
    "deceased",
    "lost_contact",
)
INTEGRATION_STATES = ("active", "ended")


class Case(TenantOwned, Model):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_tenant_stage", "tenant_id", "stage"),
        # One open case per client at a time: the database holds the rule when two people open one at once.
        Index(
            "ix_cases_open_client",
            "client_id",
            unique=True,
            sqlite_where=text("stage <> 'closed'"),
            postgresql_where=text("stage <> 'closed'"),
        ),
    )

    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(20), default="intake")
    manager_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    opened_on: Mapped[date] = mapped_column(Date)
    # The outreach visit it was opened from, if any (portal/cases outreach).
    source: Mapped[str] = mapped_column(String(30), default="")
    work_readiness: Mapped[str] = mapped_column(String(30), default="")
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    closure_reason: Mapped[str] = mapped_column(String(30), default="")
    closure_summary: Mapped[str] = mapped_column(Text, default="")


class CaseEvent(TenantOwned, Model):
    """One line of a case's timeline: who did what, when, acting for which tenant."""

    __tablename__ = "case_events"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    actor_tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(40))  # e.g. "stage", "assessment", "referral.sent"
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class Assessment(TenantOwned, Model):
    """The needs assessment of a case: one finding per domain and the work-readiness decision."""

    __tablename__ = "assessments"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    findings: Mapped[dict] = mapped_column(JSON, default=dict)  # domain -> text
    readiness: Mapped[str] = mapped_column(String(30), default="")
    assessed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    assessed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class ActionPlan(TenantOwned, Model):
    """The individual action plan; its version column detects two managers saving it at once."""

    __tablename__ = "action_plans"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    goal: Mapped[str] = mapped_column(Text, default="")


class PlanMeasure(TenantOwned, Model):
    __tablename__ = "plan_measures"

    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plans.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text, default="")
    partner_tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), nullable=True)
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="planned")


class IntegrationAgreement(TenantOwned, Model):
    """The labour-integration agreement with the client; amended (number grows) or ended."""

    __tablename__ = "integration_agreements"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer, default=1)  # 1 = the agreement, 2.. = amendments
    terms: Mapped[str] = mapped_column(Text)
    signed_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20), default="active")
    ended_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    end_reason: Mapped[str] = mapped_column(Text, default="")


class CaseAddendum(TenantOwned, Model):
    """The only thing written to a closed case."""

    __tablename__ = "case_addenda"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime())
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    author_name: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)


def _assessment(*names: str) -> dict[str, str]:
    return {name: "assessment" for name in names}


CASES = share(
    "case",
    Case,
    owner=Case.tenant_id,
    client=Case.client_id,
    fields=_assessment(
        "stage",
        "manager_user_id",
        "opened_on",
        "source",
        "work_readiness",
        "closed_on",
        "closure_reason",
        "closure_summary",
    ),
)
CASE_EVENTS = share(
    "case",
    CaseEvent,
    owner=CaseEvent.tenant_id,
    client=CaseEvent.client_id,
    fields=_assessment("case_id", "at", "actor_tenant_id", "actor_name", "kind", "detail"),
)
ASSESSMENTS = share(
    "case",
    Assessment,
    owner=Assessment.tenant_id,
    client=Assessment.client_id,
    fields=_assessment("case_id", "findings", "readiness", "assessed_on"),
)
ACTION_PLANS = share(
    "case",
    ActionPlan,
    owner=ActionPlan.tenant_id,
    client=ActionPlan.client_id,
    fields=_assessment("case_id", "goal"),
)
PLAN_MEASURES = share(
    "case",
    PlanMeasure,
    owner=PlanMeasure.tenant_id,
    client=PlanMeasure.client_id,
    fields=_assessment("plan_id", "position", "kind", "description", "partner_tenant_id", "due_on", "status"),
)
INTEGRATION_AGREEMENTS = share(
    "case",
    IntegrationAgreement,
    owner=IntegrationAgreement.tenant_id,
    client=IntegrationAgreement.client_id,
    fields=_assessment("case_id", "number", "terms", "signed_on", "state", "ended_on", "end_reason"),
)
CASE_ADDENDA = share(
    "case",
    CaseAddendum,
    owner=CaseAddendum.tenant_id,
    client=CaseAddendum.client_id,
    fields=_assessment("case_id", "written_at", "author_name", "body"),
)
