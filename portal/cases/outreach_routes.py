"""Outreach pages: the list with its filters, the import (upload, progress, the documented columns and
the template), a person with their visits, and opening a case from a visit.

Another tenant's person or import is a 404, never a 403. An upload is answered at once; the rows are
read, checked and saved by a background task whose progress the import's page shows (HTMX polls its
fragment every second; without JavaScript the page refreshes itself until the import is finished).
"""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from portal.access import checks_text, permission
from portal.access.sharing import local_date
from portal.cases import outreach, outreach_files, outreach_import
from portal.cases.models import VISIT_OUTCOMES
from portal.i18n import gettext as _
from portal.i18n import lazy
from portal.web import AccessDep, flash, is_htmx, page, see_other

# The body of an upload: the file's own limit plus the form around it, so an oversize file gets the
# message beside its field rather than the server's refusal.
UPLOAD_BODY_LIMIT = outreach_files.MAX_FILE_BYTES + 2**20


async def _import_form(access: AccessDep, status: int = 200, error: str = "") -> Response:
    errors = {"file": error} if error else {}
    recent = await outreach_import.recent(access)
    return page("cases/outreach_import.html", status_code=status, errors=errors, imports=recent)


async def _person_page(access: AccessDep, person_id: int, form: outreach.VisitForm, status: int = 200) -> Response:
    person = await outreach.read_person(access, person_id)
    return page(
        "cases/outreach_person.html",
        status_code=status,
        person=person,
        visits=await outreach.visits_of(access, person_id),
        form=form,
        outcomes=VISIT_OUTCOMES,
        may_open_case=outreach.may_open_case(person),
        today=local_date(access.now).isoformat(),
    )


class OutreachController(Controller):
    path = "/outreach"

    @get("/", name="outreach", opt=permission("outreach", "list"))
    async def index(
        self,
        request: Request,
        access: AccessDep,
        mahalla: FromQuery[str] = "",
        outcome: FromQuery[str] = "",
        after: FromQuery[int | None] = None,
    ) -> Response:
        mahalla, outcome = mahalla[:120], outcome[:40]
        result = await outreach.list_persons(access, mahalla, outcome, after)
        template = "cases/_outreach_rows.html" if is_htmx(request) else "cases/outreach.html"
        return page(
            template,
            persons=result.persons,
            after=result.after,
            mahalla=mahalla,
            outcome=outcome,
            mahallas=await outreach.mahallas(access),
            outcomes=VISIT_OUTCOMES,
            not_visited=outreach.NOT_VISITED,
        )

    @get("/columns", name="outreach_columns", opt=permission("outreach", "list"))
    async def columns(self) -> Response:
        return page(
            "cases/outreach_columns.html",
            columns=outreach_files.COLUMNS,
            max_mb=outreach_files.MAX_FILE_BYTES // 2**20,
            max_rows=outreach_files.MAX_ROWS,
        )

    @get("/template.csv", name="outreach_template", opt=permission("outreach", "list"))
    async def template(self) -> Response:
        return Response(
            content=outreach_files.template_csv(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="outreach-list-template.csv"'},
        )

    @get("/imports", name="outreach_import_form", opt=permission("outreach", "import"))
    async def import_form(self, access: AccessDep) -> Response:
        return await _import_form(access)

    @post(
        "/imports",
        name="outreach_import",
        opt=permission("outreach", "import"),
        request_max_body_size=UPLOAD_BODY_LIMIT,
    )
    async def upload(self, request: Request, access: AccessDep) -> Response:
        upload = (await request.form()).get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await _import_form(access, 422, _("Choose the file with the list (CSV or XLSX)."))
        data = await upload.read(outreach_files.MAX_FILE_BYTES + 1)
        row, error = await outreach_import.accept(access, upload.filename, data)
        if row is None:
            return await _import_form(access, 422, error or "")
        app = request.app
        task = BackgroundTask(
            outreach_import.run_import,
            app.state.sessionmaker,
            app.state.policy,
            access.actor,
            app.state.clock,
            row.id,
            row.kind,
            data,
        )
        target = app.route_reverse("outreach_import_status", import_id=row.id)
        return Redirect(path=target, status_code=303, background=task)

    @get("/imports/{import_id:int}", name="outreach_import_status", opt=permission("outreach", "import"))
    async def status(self, request: Request, access: AccessDep, import_id: FromPath[int]) -> Response:
        row = await outreach_import.find(access, import_id)
        if row is None:
            raise NotFoundException
        stalled = outreach_import.stalled(row, access.now)
        running = row.state in outreach_import.RUNNING and not stalled
        template = "cases/_outreach_progress.html" if is_htmx(request) else "cases/outreach_progress.html"
        return page(
            template,
            job=row,
            percent=outreach_import.progress(row),
            running=running,
            stalled=stalled,
            columns={c.code for c in outreach_files.COLUMNS},
        )

    @get("/persons/{person_id:int}", name="outreach_person", opt=permission("outreach", "list"))
    async def person(self, access: AccessDep, person_id: FromPath[int]) -> Response:
        today = local_date(access.now).isoformat()
        return await _person_page(access, person_id, outreach.VisitForm(visited_on=today))

    @post("/persons/{person_id:int}/visits", name="outreach_visit", opt=checks_text(permission("outreach", "visit")))
    async def visit(self, request: Request, access: AccessDep, person_id: FromPath[int]) -> Response:
        form = outreach.VisitForm.parse(await request.form())
        if not await outreach.record_visit(access, person_id, form):
            return await _person_page(access, person_id, form, status=422)
        target = see_other(request, request.app.route_reverse("outreach_person", person_id=person_id))
        return flash(request, target, lazy("The visit is recorded."))

    @post("/persons/{person_id:int}/case", name="outreach_open_case", opt=permission("outreach", "visit"))
    async def open_case(self, request: Request, access: AccessDep, person_id: FromPath[int]) -> Response:
        try:
            await outreach.open_case_from_visit(access, person_id)
        except outreach.CannotOpenCase:
            form = outreach.VisitForm(visited_on=local_date(access.now).isoformat())
            form.errors["form"] = _(
                "A case is opened after a visit that found the person wants work or training. "
                "Record such a visit first."
            )
            return await _person_page(access, person_id, form, status=422)
        target = see_other(request, request.app.route_reverse("outreach_person", person_id=person_id))
        return flash(request, target, lazy("A case is opened for this person."))
