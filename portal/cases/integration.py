"""The labour-integration agreement with the client: recorded with its terms and the day it was signed,
amended (each amendment a new numbered row, so the history stays), or ended with a day and a reason.
No HTTP here.

Row 1 is the agreement; rows 2, 3... are its amendments, in force together until the agreement ends.
A case has one agreement: once ended it stays in the history and is not recorded again. Every form
names the last row its author saw, so an amendment or an end made meanwhile by someone else is
reported (EditConflict) instead of being built upon unseen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from portal.access.kernel import Access
from portal.access.redact import View
from portal.access.sharing import local_date
from portal.cases.case_rules import Act, CaseRefused, EditConflict, parse_day
from portal.cases.casefile import own_case, touch
from portal.cases.models import Case, IntegrationAgreement
from portal.cases.timeline import add_event
from portal.edge import clean_text, parse_int
from portal.i18n import gettext as _
from portal.labels import local_date as local_date_text

MAX_TERMS = 8000
MAX_REASON = 2000


@dataclass
class AgreementForm:
    """The terms of the agreement or of an amendment, or the end of the agreement."""

    terms: str = ""
    signed_on: str = ""
    ended_on: str = ""
    reason: str = ""
    latest: int = 0  # the number of the last row the author saw (0: none yet)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, form: Any) -> AgreementForm:
        return cls(
            terms=str(form.get("terms", "")),
            signed_on=str(form.get("signed_on", "")),
            ended_on=str(form.get("ended_on", "")),
            reason=str(form.get("reason", "")),
            latest=parse_int(form.get("latest", "")) or 0,
        )


async def history(access: Access, case: Case) -> list[IntegrationAgreement]:
    """The owner's rows of the case's agreement, the agreement first and its amendments after."""
    stmt = select(IntegrationAgreement).where(
        IntegrationAgreement.case_id == case.id, IntegrationAgreement.tenant_id == case.tenant_id
    )
    return list((await access.session.scalars(stmt.order_by(IntegrationAgreement.number))).all())


async def history_views(access: Access, case_id: int) -> list[View]:
    """The same history as the kernel shows it (what the case page and the agreement page display)."""
    stmt = select(IntegrationAgreement).where(IntegrationAgreement.case_id == case_id)
    return await access.visible(IntegrationAgreement, stmt.order_by(IntegrationAgreement.number), few=True)


def standing(rows: list[IntegrationAgreement]) -> str:
    """ "none", "active" or "ended"."""
    if not rows:
        return "none"
    return "ended" if rows[-1].state == "ended" else "active"


async def agreement_page(access: Access, case_id: int) -> tuple[Case, list[IntegrationAgreement], AgreementForm]:
    """The owner's page: the history and a form filled for the next step (404 for anyone else's case)."""
    case = await own_case(access, case_id, Act.AGREE)
    rows = await history(access, case)
    today = local_date(access.now).isoformat()
    form = AgreementForm(signed_on=today, ended_on=today, latest=rows[-1].number if rows else 0)
    if rows:
        form.terms = rows[-1].terms
    return case, rows, form


def _terms(form: AgreementForm, not_before: date, today: date) -> date | None:
    form.terms, problem = clean_text(form.terms, MAX_TERMS, multiline=True)
    if problem or len(form.terms) < 10:
        form.errors["terms"] = problem or _("Write the terms agreed with the client (at least 10 characters).")
    day = parse_day(form.signed_on, form.errors, "signed_on")
    if day is not None and not not_before <= day <= today:
        form.errors["signed_on"] = _("The signing date lies between %(start)s and today.") % {
            "start": local_date_text(not_before)
        }
    return None if form.errors else day


def _check_seen(form: AgreementForm, rows: list[IntegrationAgreement]) -> None:
    if form.latest != (rows[-1].number if rows else 0):
        raise EditConflict


async def record_agreement(access: Access, case_id: int, form: AgreementForm) -> bool:
    """Record the agreement signed with the client; False with form.errors on bad input."""
    case = await own_case(access, case_id, Act.AGREE)
    rows = await history(access, case)
    if rows:
        _check_seen(form, rows)
        raise CaseRefused(_("This case already has its labour-integration agreement; amend it instead."))
    day = _terms(form, case.opened_on, local_date(access.now))
    if day is None:
        return False
    access.session.add(
        IntegrationAgreement(
            tenant_id=case.tenant_id,
            case_id=case.id,
            client_id=case.client_id,
            number=1,
            terms=form.terms,
            signed_on=day,
        )
    )
    await touch(access, case)
    await add_event(access, case, "agreement.signed", signed_on=day.isoformat())
    await access.record("case.agreement", "case", case.id, number=1)
    return True


def _in_force(rows: list[IntegrationAgreement]) -> IntegrationAgreement:
    if not rows:
        raise CaseRefused(_("Record the labour-integration agreement first."))
    if rows[-1].state == "ended":
        raise CaseRefused(_("The labour-integration agreement has ended, so it can no longer be amended or ended."))
    return rows[-1]


async def amend_agreement(access: Access, case_id: int, form: AgreementForm) -> bool:
    """Add a numbered amendment; False with form.errors; EditConflict when the author did not see the last one."""
    case = await own_case(access, case_id, Act.AGREE)
    rows = await history(access, case)
    _check_seen(form, rows)
    latest = _in_force(rows)
    day = _terms(form, latest.signed_on, local_date(access.now))
    if day is None:
        return False
    number = latest.number + 1
    access.session.add(
        IntegrationAgreement(
            tenant_id=case.tenant_id,
            case_id=case.id,
            client_id=case.client_id,
            number=number,
            terms=form.terms,
            signed_on=day,
        )
    )
    await touch(access, case)
    await add_event(access, case, "agreement.amended", number=number - 1, signed_on=day.isoformat())
    await access.record("case.agreement", "case", case.id, number=number)
    return True


async def end_agreement(access: Access, case_id: int, form: AgreementForm) -> bool:
    """End the agreement on a day, for a reason; False with form.errors; EditConflict as above."""
    case = await own_case(access, case_id, Act.AGREE)
    rows = await history(access, case)
    _check_seen(form, rows)
    latest = _in_force(rows)
    form.reason, problem = clean_text(form.reason, MAX_REASON, multiline=True)
    if problem or len(form.reason) < 3:
        form.errors["reason"] = problem or _("Say why the agreement ends.")
    day = parse_day(form.ended_on, form.errors, "ended_on")
    if day is not None and not latest.signed_on <= day <= local_date(access.now):
        form.errors["ended_on"] = _("The end date lies between the last signature and today.")
    if form.errors or day is None:
        return False
    for row in rows:
        row.state = "ended"
    latest.ended_on, latest.end_reason = day, form.reason
    await touch(access, case)
    await add_event(access, case, "agreement.ended", ended_on=day.isoformat())
    await access.record("case.agreement_end", "case", case.id, number=latest.number)
    return True
