"""Closing a case, from any stage, with a reason from the fixed list and the closure form (a summary
and the day); and the addendum, the one thing written to a closed case. No HTTP here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from portal.access.kernel import Access
from portal.access.sharing import local_date
from portal.cases.case_rules import CLOSED, Act, parse_day
from portal.cases.casefile import own_case, touch
from portal.cases.models import CLOSURE_REASONS, CaseAddendum
from portal.cases.timeline import add_event
from portal.edge import clean_text
from portal.i18n import gettext as _

MAX_SUMMARY = 4000
MAX_ADDENDUM = 4000


@dataclass
class ClosureForm:
    reason: str = ""
    summary: str = ""
    closed_on: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, form: Any) -> ClosureForm:
        return cls(
            reason=str(form.get("reason", "")),
            summary=str(form.get("summary", "")),
            closed_on=str(form.get("closed_on", "")),
        )


async def closure_form(access: Access, case_id: int) -> ClosureForm:
    """An empty closure form dated today (404 for anyone else's case; refused for a closed one)."""
    await own_case(access, case_id, Act.CLOSE)
    return ClosureForm(closed_on=local_date(access.now).isoformat())


async def close_case(access: Access, case_id: int, form: ClosureForm) -> bool:
    """Close the case from any stage; False with form.errors on bad input. From now on it is read-only
    except for an addendum."""
    case = await own_case(access, case_id, Act.CLOSE)
    if form.reason not in CLOSURE_REASONS:
        form.errors["reason"] = _("Choose why the case is closed.")
    form.summary, problem = clean_text(form.summary, MAX_SUMMARY, multiline=True)
    if problem or len(form.summary) < 10:
        form.errors["summary"] = problem or _("Summarise the case and its outcome (at least 10 characters).")
    day = parse_day(form.closed_on, form.errors, "closed_on")
    if day is not None and not case.opened_on <= day <= local_date(access.now):
        form.errors["closed_on"] = _("The closing date lies between the opening of the case and today.")
    if form.errors or day is None:
        return False
    before = case.stage
    case.stage, case.closed_on, case.closure_reason, case.closure_summary = CLOSED, day, form.reason, form.summary
    await touch(access, case)
    await add_event(access, case, "case.closed", before=before, reason=form.reason)
    await access.record("case.close", "case", case.id, reason=form.reason, before=before)
    return True


async def add_addendum(access: Access, case_id: int, body: str) -> dict[str, str]:
    """Write an addendum to a closed case; errors by field, empty when saved."""
    case = await own_case(access, case_id, Act.ADDENDUM)
    text, problem = clean_text(body, MAX_ADDENDUM, multiline=True)
    if problem or len(text) < 2:
        return {"addendum": problem or _("Write an addendum of 2 to %(n)s characters.") % {"n": MAX_ADDENDUM}}
    access.session.add(
        CaseAddendum(
            tenant_id=case.tenant_id,
            case_id=case.id,
            client_id=case.client_id,
            written_at=access.now,
            author_user_id=access.actor.user_id,
            author_name=access.actor.full_name,
            body=text,
        )
    )
    await touch(access, case)
    await add_event(access, case, "case.addendum")
    await access.record("case.addendum", "case", case.id)
    return {}
