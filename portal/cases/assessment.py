"""The needs assessment, done with the client across the domains of DOMAIN.md and ending in a
work-readiness decision. No HTTP here.

Saving writes the timeline and the audit log and records the decision on the case, but moves nothing:
the stage move stays an explicit step of its own. The assessment's version column detects two people
saving it at once (EditConflict: nothing saved, the form keeps what was typed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from portal.access.kernel import Access
from portal.access.sharing import local_date
from portal.cases.case_rules import Act, EditConflict, parse_day
from portal.cases.casefile import own_case, touch
from portal.cases.models import ASSESSMENT_DOMAINS, WORK_READINESS, Assessment, Case
from portal.cases.timeline import add_event
from portal.edge import clean_text, parse_int
from portal.i18n import gettext as _

MAX_FINDING = 4000


def finding_field(domain: str) -> str:
    return f"finding_{domain}"


@dataclass
class AssessmentForm:
    findings: dict[str, str] = field(default_factory=lambda: dict.fromkeys(ASSESSMENT_DOMAINS, ""))
    readiness: str = ""
    assessed_on: str = ""
    version: int | None = None  # of the saved assessment; None before the first save
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, form: Any) -> AssessmentForm:
        return cls(
            findings={d: str(form.get(finding_field(d), "")) for d in ASSESSMENT_DOMAINS},
            readiness=str(form.get("readiness", "")),
            assessed_on=str(form.get("assessed_on", "")),
            version=parse_int(form.get("version", "")),
        )

    @classmethod
    def of(cls, assessment: Assessment | None, today: date) -> AssessmentForm:
        if assessment is None:
            return cls(assessed_on=today.isoformat())
        findings = {d: str((assessment.findings or {}).get(d, "")) for d in ASSESSMENT_DOMAINS}
        day = assessment.assessed_on or today
        return cls(findings, assessment.readiness, day.isoformat(), assessment.version)


async def saved_assessment(access: Access, case: Case) -> Assessment | None:
    return await access.session.scalar(
        select(Assessment).where(Assessment.case_id == case.id, Assessment.tenant_id == case.tenant_id)
    )


async def assessment_form(access: Access, case_id: int) -> tuple[Case, AssessmentForm]:
    """The owner's form, filled with the saved assessment (404 for anyone else's case)."""
    case = await own_case(access, case_id, Act.ASSESS)
    return case, AssessmentForm.of(await saved_assessment(access, case), local_date(access.now))


def _validate(form: AssessmentForm, case: Case, today: date) -> date | None:
    for domain in ASSESSMENT_DOMAINS:
        text, problem = clean_text(form.findings[domain], MAX_FINDING, multiline=True)
        form.findings[domain] = text
        if problem:
            form.errors[finding_field(domain)] = problem
    if not any(form.findings.values()):
        form.errors.setdefault(
            finding_field(ASSESSMENT_DOMAINS[0]), _("Write what you found with the client in at least one domain.")
        )
    if form.readiness not in WORK_READINESS:
        form.errors["readiness"] = _("Choose the work-readiness decision.")
    day = parse_day(form.assessed_on, form.errors, "assessed_on")
    if day is not None and not case.opened_on <= day <= today:
        form.errors["assessed_on"] = _("The assessment date lies between the opening of the case and today.")
    return None if form.errors else day


async def save_assessment(access: Access, case_id: int, form: AssessmentForm) -> bool:
    """Record or revise the assessment; False with form.errors on bad input; EditConflict when someone
    saved it since the form was opened. Writes the timeline; moves no stage."""
    case = await own_case(access, case_id, Act.ASSESS)
    day = _validate(form, case, local_date(access.now))
    if day is None:
        return False
    assessment = await saved_assessment(access, case)
    if (assessment.version if assessment else None) != form.version:
        raise EditConflict
    if assessment is None:
        assessment = Assessment(tenant_id=case.tenant_id, case_id=case.id, client_id=case.client_id)
        access.session.add(assessment)
    assessment.findings = {d: text for d, text in form.findings.items() if text}
    assessment.readiness = form.readiness
    assessment.assessed_on = day
    assessment.assessed_by = access.actor.user_id
    # Written whether or not a value changed, so the version moves with every save.
    assessment.updated_at = access.now
    case.work_readiness = form.readiness
    try:
        await access.session.flush()
    except (StaleDataError, IntegrityError) as exc:
        # Saved (or first recorded) by someone else at the same moment.
        raise EditConflict from exc
    await touch(access, case)
    await add_event(access, case, "assessment.saved", readiness=form.readiness)
    await access.record("case.assessment", "case", case.id, readiness=form.readiness)
    return True
