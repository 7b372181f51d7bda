"""The case pages: the list, one case with all its sections, opening a case from the client page,
moving its stage, choosing its case manager, closing it and writing an addendum.

A case the actor may not read is a 404, never a 403. A move or a change the rules refuse re-renders
the case page with the reason (409) and nothing changed.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery

from portal.access import checks_text, permission
from portal.cases import casefile, closure
from portal.cases.case_rules import Act, CaseRefused
from portal.cases.models import CLOSURE_REASONS, STAGES
from portal.edge import parse_int
from portal.i18n import lazy
from portal.labels import label
from portal.web import AccessDep, flash, is_htmx, page, see_other


async def case_page(access: AccessDep, case_id: int, status_code: int = 200, **extra: Any) -> Response:
    """The case page; `extra` carries a refusal or a form's errors to show on it."""
    context: dict[str, Any] = {
        "file": await casefile.read_case(access, case_id),
        "stages": STAGES,
        "Act": Act,
        "refusal": "",
        "manager_errors": {},
        "addendum_errors": {},
        "addendum_input": "",
    }
    context.update(extra)
    return page("cases/case.html", status_code=status_code, **context)


async def refused(access: AccessDep, case_id: int, refusal: CaseRefused) -> Response:
    """The case page with the reason the rules gave; whatever the request began is undone."""
    await access.session.rollback()
    return await case_page(access, case_id, status_code=409, refusal=refusal.message)


def options(kind: str, codes: tuple[str, ...]) -> list[tuple[str, str]]:
    """(code, the word people read) for a form's choices, in the request's language."""
    return [(code, label(kind, code)) for code in codes]


def _case_url(request: Request, case_id: int, anchor: str = "") -> str:
    return request.app.route_reverse("case", case_id=case_id) + anchor


class CasesController(Controller):
    path = "/cases"

    @get("/", name="cases", opt=permission("case", "list"))
    async def index(
        self,
        request: Request,
        access: AccessDep,
        stage: FromQuery[str] = "",
        mine: FromQuery[str] = "",
        before: FromQuery[str] = "",
    ) -> Response:
        stage = stage if stage in STAGES else ""
        result = await casefile.list_cases(access, stage, bool(mine), parse_int(before) or None)
        template = "cases/_case_rows.html" if is_htmx(request) else "cases/case_list.html"
        return page(template, rows=result.rows, older=result.older, stage=stage, mine=bool(mine), stages=STAGES)

    @get("/{case_id:int}", name="case", opt=permission("case", "read"))
    async def detail(self, access: AccessDep, case_id: FromPath[int]) -> Response:
        return await case_page(access, case_id)

    @post("/{case_id:int}/stage", name="case_stage", opt=permission("case", "update"))
    async def stage(self, request: Request, access: AccessDep, case_id: FromPath[int]) -> Response:
        form = await request.form()
        target = str(form.get("to", ""))
        try:
            await casefile.move_stage(access, case_id, str(form.get("from", "")), target)
        except CaseRefused as refusal:
            return await refused(access, case_id, refusal)
        response = see_other(request, _case_url(request, case_id))
        return flash(request, response, lazy("The case moved to the next stage."))

    @post("/{case_id:int}/manager", name="case_assign", opt=permission("case", "update"))
    async def assign(self, request: Request, access: AccessDep, case_id: FromPath[int]) -> Response:
        form = await request.form()
        try:
            errors = await casefile.assign_manager(access, case_id, parse_int(form.get("manager", "")))
        except CaseRefused as refusal:
            return await refused(access, case_id, refusal)
        if errors:
            return await case_page(access, case_id, status_code=422, manager_errors=errors)
        response = see_other(request, _case_url(request, case_id))
        return flash(request, response, lazy("The responsible case manager is saved."))

    @get("/{case_id:int}/closure", name="case_closure", opt=permission("case", "update"))
    async def closure_form(self, access: AccessDep, case_id: FromPath[int]) -> Response:
        try:
            form = await closure.closure_form(access, case_id)
        except CaseRefused as refusal:
            return await refused(access, case_id, refusal)
        return page(
            "cases/case_closure.html", form=form, case_id=case_id, reasons=options("closure_reason", CLOSURE_REASONS)
        )

    @post("/{case_id:int}/closure", name="case_close", opt=checks_text(permission("case", "update")))
    async def close(self, request: Request, access: AccessDep, case_id: FromPath[int]) -> Response:
        form = closure.ClosureForm.parse(await request.form())
        try:
            closed = await closure.close_case(access, case_id, form)
        except CaseRefused as refusal:
            return await refused(access, case_id, refusal)
        if not closed:
            return page(
                "cases/case_closure.html",
                status_code=422,
                form=form,
                case_id=case_id,
                reasons=options("closure_reason", CLOSURE_REASONS),
            )
        return flash(request, see_other(request, _case_url(request, case_id)), lazy("The case is closed."))

    @post("/{case_id:int}/addenda", name="case_addendum", opt=checks_text(permission("case", "update")))
    async def addendum(self, request: Request, access: AccessDep, case_id: FromPath[int]) -> Response:
        body = str((await request.form()).get("body", ""))
        try:
            errors = await closure.add_addendum(access, case_id, body)
        except CaseRefused as refusal:
            return await refused(access, case_id, refusal)
        if errors:
            return await case_page(access, case_id, status_code=422, addendum_errors=errors, addendum_input=body)
        return flash(
            request, see_other(request, _case_url(request, case_id, "#addenda")), lazy("The addendum is saved.")
        )


class ClientCasesController(Controller):
    path = "/clients/{client_id:int}/cases"

    @post("/", name="case_open", opt=permission("case", "create"))
    async def open(self, request: Request, access: AccessDep, client_id: FromPath[int]) -> Response:
        try:
            case_id = await casefile.open_case_for_client(access, client_id)
        except casefile.CaseAlreadyOpen as already:
            await access.session.rollback()
            open_case = await casefile.read_case(access, already.case_id)
            return page("cases/case_open_refused.html", status_code=409, file=open_case, client_id=client_id)
        return flash(request, see_other(request, _case_url(request, case_id)), lazy("The case is opened."))
