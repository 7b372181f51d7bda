"""The owner's forms for the parts of a case: the needs assessment, the individual action plan and the
labour-integration agreement.

Bad input re-renders the form with 422, the typed values kept and the messages beside the fields.
Someone else's save since the form was opened re-renders it with 409 and both versions, so nothing is
lost. A case the actor may not change is a 404; a closed case answers with the case page saying why.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from portal.access import checks_text, permission
from portal.access.sharing import local_date
from portal.cases import assessment, integration, plan
from portal.cases.case_routes import options, refused
from portal.cases.case_rules import CaseRefused, EditConflict
from portal.cases.facts import Partner
from portal.cases.models import ASSESSMENT_DOMAINS, MEASURE_KINDS, MEASURE_STATUSES, WORK_READINESS
from portal.cases.translit import to_script
from portal.i18n import current_language, lazy
from portal.i18n import gettext as _
from portal.web import AccessDep, flash, page, see_other

UPDATE = permission("case", "update")

POST_UPDATE = checks_text(UPDATE)


def _back(request: Request, case_id: int, anchor: str) -> str:
    return request.app.route_reverse("case", case_id=case_id) + anchor


def _assessment_page(case_id: int, form: assessment.AssessmentForm, status: int = 200, **extra: Any) -> Response:
    return page(
        "cases/case_assessment.html",
        status_code=status,
        case_id=case_id,
        form=form,
        domains=ASSESSMENT_DOMAINS,
        readiness=options("work_readiness", WORK_READINESS),
        field_of=assessment.finding_field,
        **extra,
    )


def _plan_page(case_id: int, form: plan.PlanForm, choices: list[Partner], status: int = 200, **extra: Any) -> Response:
    language = current_language()
    return page(
        "cases/case_plan.html",
        status_code=status,
        case_id=case_id,
        form=form,
        choices=[(p.id, to_script(p.name(language), language)) for p in choices],
        kinds=options("measure_kind", MEASURE_KINDS),
        statuses=options("measure_status", MEASURE_STATUSES),
        **extra,
    )


class CaseSectionsController(Controller):
    path = "/cases/{case_id:int}"

    # --- the needs assessment ------------------------------------------------------------------

    @get("/assessment", name="case_assessment", opt=UPDATE)
    async def assessment_form(self, access: AccessDep, case_id: FromPath[int]) -> Response:
        try:
            _case, form = await assessment.assessment_form(access, case_id)
        except CaseRefused as refusal:
            return await refused(access, case_id, refusal)
        return _assessment_page(case_id, form)

    @post("/assessment", name="case_assessment_save", opt=POST_UPDATE)
    async def assessment_save(self, request: Request, access: AccessDep, case_id: FromPath[int]) -> Response:
        form = assessment.AssessmentForm.parse(await request.form())
        try:
            saved = await assessment.save_assessment(access, case_id, form)
        except CaseRefused as refusal:
            return await refused(access, case_id, refusal)
        except EditConflict:
            await access.session.rollback()
            _case, current = await assessment.assessment_form(access, case_id)
            form.version = current.version
            form.errors["form"] = _(
                "Someone else saved this assessment while you were writing, so yours was not saved. Both are "
                "shown: check theirs, keep or change yours, and save again."
            )
            return _assessment_page(case_id, form, 409, saved=current)
        if not saved:
            return _assessment_page(case_id, form, 422)
        response = see_other(request, _back(request, case_id, "#assessment"))
        return flash(request, response, lazy("The needs assessment is saved."))

    # --- the individual action plan ------------------------------------------------------------

    @get("/plan", name="case_plan", opt=UPDATE)
    async def plan_form(self, access: AccessDep, case_id: FromPath[int]) -> Response:
        try:
            _case, form, choices = await plan.plan_form(access, case_id)
        except CaseRefused as refusal:
            return await refused(access, case_id, refusal)
        return _plan_page(case_id, form, choices)

    @post("/plan", name="case_plan_save", opt=POST_UPDATE)
    async def plan_save(self, request: Request, access: AccessDep, case_id: FromPath[int]) -> Response:
        posted = await request.form()
        form = plan.PlanForm.parse(posted)
        try:
            _case, _saved, choices = await plan.plan_form(access, case_id)
            if posted.get("action") == "add":
                return _plan_page(case_id, form.with_blank_row(), choices)
            saved = await plan.save_plan(access, case_id, form)
        except CaseRefused as refusal:
            return await refused(access, case_id, refusal)
        except EditConflict:
            await access.session.rollback()
            _case, theirs, choices = await plan.plan_form(access, case_id)
            theirs.measures = [m for m in theirs.measures if not m.blank()]
            form.version = theirs.version
            form.errors["form"] = _(
                "Someone else saved this plan while you were editing it, so your changes were not saved. Their "
                "plan is shown as saved and yours as you typed it: apply yours on top, or change it first."
            )
            return _plan_page(case_id, form, choices, 409, theirs=theirs)
        if not saved:
            return _plan_page(case_id, form, choices, 422)
        response = see_other(request, _back(request, case_id, "#plan"))
        return flash(request, response, lazy("The action plan is saved."))

    # --- the labour-integration agreement ------------------------------------------------------

    async def _agreement_page(
        self, access: AccessDep, case_id: int, form: integration.AgreementForm | None = None, status: int = 200
    ) -> Response:
        case, rows, fresh = await integration.agreement_page(access, case_id)
        if form is None:
            form = fresh
        return page(
            "cases/case_agreement.html",
            status_code=status,
            case_id=case.id,
            agreements=await integration.history_views(access, case.id),
            standing=integration.standing(rows),
            form=form,
            today=local_date(access.now).isoformat(),
        )

    @get("/agreement", name="case_agreement", opt=UPDATE)
    async def agreement(self, access: AccessDep, case_id: FromPath[int]) -> Response:
        try:
            return await self._agreement_page(access, case_id)
        except CaseRefused as refusal:
            return await refused(access, case_id, refusal)

    async def _agreement_change(self, request: Request, access: AccessDep, case_id: int, verb: Any) -> Response:
        form = integration.AgreementForm.parse(await request.form())
        try:
            done = await verb(access, case_id, form)
        except CaseRefused as refusal:
            return await refused(access, case_id, refusal)
        except EditConflict:
            await access.session.rollback()
            _case, rows, _fresh = await integration.agreement_page(access, case_id)
            form.latest = rows[-1].number if rows else 0
            form.errors["form"] = _(
                "The agreement changed while you were on this page, so nothing was saved. Its history below "
                "shows the change; what you typed is kept in the form."
            )
            return await self._agreement_page(access, case_id, form, 409)
        if not done:
            return await self._agreement_page(access, case_id, form, 422)
        response = see_other(request, _back(request, case_id, "#agreement"))
        return flash(request, response, lazy("The labour-integration agreement is saved."))

    @post("/agreement", name="case_agreement_record", opt=POST_UPDATE)
    async def agreement_record(self, request: Request, access: AccessDep, case_id: FromPath[int]) -> Response:
        return await self._agreement_change(request, access, case_id, integration.record_agreement)

    @post("/agreement/amendments", name="case_agreement_amend", opt=POST_UPDATE)
    async def agreement_amend(self, request: Request, access: AccessDep, case_id: FromPath[int]) -> Response:
        return await self._agreement_change(request, access, case_id, integration.amend_agreement)

    @post("/agreement/end", name="case_agreement_end", opt=POST_UPDATE)
    async def agreement_end(self, request: Request, access: AccessDep, case_id: FromPath[int]) -> Response:
        return await self._agreement_change(request, access, case_id, integration.end_agreement)
