"""One place for the words people read instead of stored codes: roles, kinds, statuses, categories...

Templates call `label(kind, value)`; nothing prints a raw enum value, district code or tenant kind.
District names come from the District table (loaded once at start-up, `load_places`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from babel.dates import format_date
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.i18n import current_language, gettext, lazy
from portal.tenants.models import District, Region

LABELS: dict[str, dict[str, str]] = {
    "role": {
        "tenant_admin": lazy("Administrator"),
        "case_manager": lazy("Case manager"),
        "signatory": lazy("Signatory"),
        "coordinator": lazy("Coordinator"),
        "employer_hr": lazy("Employer HR"),
        "inspector": lazy("Labour inspector"),
        "viewer": lazy("Viewer"),
    },
    "tenant_kind": {
        "pes": lazy("Public employment service"),
        "nasp": lazy("National Agency for Social Protection"),
        "inson": lazy("«INSON» social-service centre"),
        "monocentre": lazy("«Ishga marhamat» monocentre"),
        "ngo": lazy("Non-governmental organisation"),
        "employer": lazy("Employer"),
        "job_carving_unit": lazy("Job-carving unit"),
        "labour_inspection": lazy("Labour inspection"),
    },
    "status": {
        "draft": lazy("Draft"),
        "proposed": lazy("Proposed for signing"),
        "signing": lazy("Being signed"),
        "active": lazy("In force"),
        "expired": lazy("Expired"),
        "terminated": lazy("Terminated"),
        "superseded": lazy("Superseded"),
    },
    "category": {
        "identity": lazy("Identity"),
        "pinfl": lazy("PINFL (personal identification number)"),
        "contact": lazy("Contact details"),
        "disability": lazy("Disability and work recommendation"),
        "benefits": lazy("Benefits"),
        "education": lazy("Education and skills"),
        "employment": lazy("Employment history"),
        "assessment": lazy("Assessment and action plan"),
        "case_notes": lazy("Case notes"),
        "referral": lazy("The referral itself"),
    },
    "purpose": {
        "referral": lazy("Referral"),
        "case_conference": lazy("Case conference"),
        "job_matching": lazy("Job matching"),
        "monitoring": lazy("Monitoring"),
    },
    "scope": {
        "all": lazy("All clients of the data owner"),
        "engaged": lazy("Only clients engaged with the recipient (referral or case conference)"),
    },
    "access": {"read": lazy("Read"), "comment": lazy("Read and comment"), "read_comment": lazy("Read and comment")},
    "gender": {"female": lazy("Female"), "male": lazy("Male")},
    # The kinds of shared record a partner's reading is about (the audit's object types).
    "record": {
        "client": lazy("Client"),
        "case_note": lazy("Case note"),
        "referral": lazy("Referral"),
        "placement": lazy("Placement"),
    },
    # Why a tenant reads a record it takes part in (a referral's party columns), on the reads page.
    "party": {
        "recipient_tenant_id": lazy("As the referral's recipient"),
        "inspection_tenant_id": lazy("As the labour inspection reviewing the referral"),
        "sender_tenant_id": lazy("As the referral's sender"),
    },
    # A client's fields, as the client pages and the data-sharing explanation name them.
    "field": {
        "full_name": lazy("Full name (Latin)"),
        "full_name_cyrl": lazy("Full name (Cyrillic)"),
        "pinfl": lazy("PINFL"),
        "birth_date": lazy("Birth date"),
        "gender": lazy("Gender"),
        "phone": lazy("Phone"),
        "address": lazy("Address"),
        "district_code": lazy("District"),
        "disability_group": lazy("Disability group"),
        "disability_until": lazy("Disability established until"),
        "work_recommendation": lazy("Work recommendation"),
        "benefits": lazy("Benefits and allowances"),
        "education": lazy("Education"),
        "skills": lazy("Skills"),
        "employment_history": lazy("Employment history"),
        "assessment": lazy("Assessment"),
        "action_plan": lazy("Action plan"),
        "case_notes": lazy("Case notes"),
        "mahalla": lazy("Mahalla"),
    },
    # The ICM case cycle (portal/cases/case_models.py).
    "stage": {
        "intake": lazy("Intake"),
        "assessment": lazy("Needs assessment"),
        "planning": lazy("Action planning"),
        "implementation": lazy("Implementation"),
        "monitoring": lazy("Monitoring"),
        "closed": lazy("Closed"),
    },
    "assessment_domain": {
        "health": lazy("Health and functioning"),
        "education": lazy("Education and skills"),
        "work_history": lazy("Work history"),
        "family": lazy("Family situation"),
        "income": lazy("Income and benefits"),
        "housing": lazy("Housing"),
        "transport": lazy("Transport and accessibility"),
        "motivation": lazy("Motivation"),
    },
    "work_readiness": {
        "ready": lazy("Ready for work"),
        "ready_with_support": lazy("Ready for work with support"),
        "needs_preparation": lazy("Needs preparation first"),
        "not_ready": lazy("Not ready for work now"),
    },
    "measure_kind": {
        "counselling": lazy("Counselling"),
        "vocational_training": lazy("Vocational training"),
        "job_placement": lazy("Job placement"),
        "workplace_adaptation": lazy("Workplace adaptation"),
        "social_services": lazy("Social services"),
        "benefits_advice": lazy("Benefits advice"),
        "entrepreneurship": lazy("Entrepreneurship support"),
        "public_works": lazy("Public works"),
    },
    "measure_status": {
        "planned": lazy("Planned"),
        "in_progress": lazy("In progress"),
        "done": lazy("Done"),
        "cancelled": lazy("Cancelled"),
    },
    "closure_reason": {
        "employed_sustained": lazy("Employed and kept the job"),
        "employed_other": lazy("Found work on their own"),
        "self_employed": lazy("Self-employed"),
        "declined_services": lazy("Declined further services"),
        "moved_away": lazy("Moved away"),
        "transferred": lazy("Transferred to another organisation"),
        "not_eligible": lazy("Not eligible"),
        "deceased": lazy("Deceased"),
        "lost_contact": lazy("Contact lost"),
    },
    # Referrals between partners (portal/cases/referral_models.py).
    "referral_kind": {
        "pes_vacancy": lazy("Vacancy of the employment service"),
        "training": lazy("Vocational training"),
        "ngo_service": lazy("Service of an NGO"),
        "employer_job": lazy("Job at an employer"),
        "social_service": lazy("Social service"),
    },
    "referral_state": {
        "draft": lazy("Draft"),
        "sent": lazy("Sent, awaiting an answer"),
        "accepted": lazy("Accepted"),
        "declined": lazy("Declined"),
        "in_progress": lazy("In progress"),
        "completed": lazy("Completed"),
        "failed": lazy("Did not succeed"),
        "withdrawn": lazy("Withdrawn"),
    },
    "review_outcome": {
        "refusal_upheld": lazy("Refusal upheld"),
        "hire_agreed": lazy("Hire agreed"),
        "re_referred": lazy("Referred again"),
    },
    "check_in_status": {
        "in_work": lazy("In work"),
        "at_risk": lazy("In work, at risk of leaving"),
        "left_job": lazy("Left the job"),
    },
    "retention_status": {
        "pending": lazy("Not reached yet"),
        "retained": lazy("In work"),
        "not_retained": lazy("Left before this point"),
        "unknown": lazy("Not confirmed by a check-in"),
    },
    "retention_point": {
        "28_days": lazy("28 days"),
        "3_months": lazy("3 months"),
        "6_months": lazy("6 months"),
    },
    # What a social worker's home visit found (portal/cases/outreach_models.py).
    "visit_outcome": {
        "not_at_home": lazy("Not at home"),
        "not_interested": lazy("Not interested"),
        "wants_training": lazy("Wants vocational training"),
        "wants_work": lazy("Wants work"),
        "wants_self_employment": lazy("Wants self-employment or a business"),
        "already_working": lazy("Already working"),
        "health_barrier": lazy("Cannot work now for health reasons"),
        "moved": lazy("Moved away"),
        "deceased": lazy("Deceased"),
    },
    # A running import of an outreach list.
    "import_state": {
        "queued": lazy("Waiting to start"),
        "reading": lazy("Reading the file"),
        "checking": lazy("Checking the rows"),
        "saving": lazy("Saving"),
        "done": lazy("Imported"),
        "failed": lazy("Nothing imported"),
    },
    # The parts of an agreement's terms, as the comparison of two versions names them.
    "term": {
        "title": lazy("Title"),
        "common_goals": lazy("Common goals"),
        "joint_tools": lazy("Tools used jointly or separately"),
        "valid_from": lazy("Valid from"),
        "valid_until": lazy("Valid until"),
        "notice_days": lazy("Notice period (days)"),
        "party": lazy("Party"),
    },
}

# code -> {language: name}, for districts and regions; filled from the database at start-up.
_places: dict[str, dict[str, str]] = {}


def label(kind: str, value: object) -> str:
    """The translated word for a stored code; an unknown code is shown as it is, never hidden."""
    if value is None or value == "":
        return "—"
    code = str(value)
    if kind in ("district", "region"):
        names = _places.get(code)
        if names is None:
            return code
        return names.get(current_language()) or names.get("uz", code)
    msgid = LABELS.get(kind, {}).get(code)
    return gettext(msgid) if msgid else code


def access(actions: list[str] | tuple[str, ...] | str) -> str:
    """What a clause lets its recipient do: its list of actions, or the form's single choice."""
    if isinstance(actions, str):
        return label("access", actions)
    return label("access", "comment" if "comment" in actions else "read")


def term(key: str) -> str:
    """A part of an agreement's terms by its key in a comparison: "title", "party:3", "clause:2"."""
    kind, _sep, number = key.partition(":")
    if kind == "clause":
        return gettext("Clause %(n)s") % {"n": number}
    return label("term", kind) if kind in LABELS["term"] else key


def labels(kind: str, values: list[str] | tuple[str, ...]) -> str:
    """Several codes of one kind, as a comma-separated list of their words."""
    return ", ".join(label(kind, v) for v in values)


# Uzbekistan keeps UTC+5 all year (no daylight saving time).
TASHKENT = timezone(timedelta(hours=5), "Asia/Tashkent")


def _in_tashkent(value: datetime) -> datetime:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(TASHKENT)


def tashkent_day(now: datetime) -> date:
    """The calendar day in Tashkent at a moment (agreements start and end on Tashkent days)."""
    return _in_tashkent(now).date()


def local_date(value: date | datetime | str | None) -> str:
    """DD.MM.YYYY in Uzbek and Russian, a readable English date in English; a moment is dated in Tashkent.

    Accepts the ISO text that frozen terms and forms carry; text that is no date is shown as it is."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = _in_tashkent(value).date()
    if current_language() == "en":
        return format_date(value, "d MMMM y", locale="en")
    return value.strftime("%d.%m.%Y")


def local_datetime(value: datetime | None) -> str:
    """A moment as Tashkent wall-clock time: DD.MM.YYYY HH:MM (the English date reads as words)."""
    if value is None:
        return "—"
    moment = _in_tashkent(value)
    return f"{local_date(moment.date())} {moment.strftime('%H:%M')}"


async def load_places(session: AsyncSession) -> None:
    """Reads region and district names once; they are reference data that changes with a release."""
    for model in (Region, District):
        for place in (await session.scalars(select(model))).all():
            _places[place.code] = {
                "uz": place.name_uz,
                "uz_Cyrl": place.name_uz_cyrl,
                "ru": place.name_ru,
                "en": place.name_en,
            }
