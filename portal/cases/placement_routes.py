"""Placement pages: a case's placements and the form to record one, a placement's six months of
check-ins and retention, and the organisation's monitoring list with the check-ins that are due."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from portal.access import checks_text, permission
from portal.access.sharing import local_date
from portal.cases import placements
from portal.cases.models import Case
from portal.cases.referral_models import CHECK_IN_MONTHS, CHECK_IN_STATUSES, RETENTION_POINTS
from portal.i18n import lazy
from portal.web import AccessDep, flash, page, see_other


async def _case_page(
    access: AccessDep, case_id: int, form: placements.PlacementForm | None = None, status: int = 200
) -> Response:
    case = await access.own(Case, case_id, "read")
    return page(
        "cases/case_placements.html",
        status_code=status,
        case=case,
        lines=await placements.case_placements(access, case.id),
        referrals=await placements.placing_referrals(access, case.id),
        form=form or placements.PlacementForm(start_date=local_date(access.now).isoformat()),
    )


async def _placement_page(
    access: AccessDep, placement_id: int, form: placements.CheckInForm | None = None, status: int = 200
) -> Response:
    line = await placements.placement_of(access, placement_id)
    context: dict[str, Any] = {
        "line": line,
        "statuses": CHECK_IN_STATUSES,
        "points": RETENTION_POINTS,
        "months": range(1, CHECK_IN_MONTHS + 1),
        "form": form or placements.CheckInForm(checked_on=local_date(access.now).isoformat()),
    }
    return page("cases/placement.html", status_code=status, **context)


class CasePlacementsController(Controller):
    path = "/cases/{case_id:int}/placements"

    @get("/", name="case_placements", opt=permission("placement", "read"))
    async def index(self, access: AccessDep, case_id: FromPath[int]) -> Response:
        return await _case_page(access, case_id)

    @post("/", name="placement_create", opt=checks_text(permission("placement", "manage")))
    async def create(self, request: Request, access: AccessDep, case_id: FromPath[int]) -> Response:
        form = placements.PlacementForm.parse(await request.form())
        placement = await placements.create_placement(access, case_id, form)
        if placement is None:
            return await _case_page(access, case_id, form, status=422)
        target = see_other(request, request.app.route_reverse("placement", placement_id=placement.id))
        return flash(request, target, lazy("The placement is recorded. Monthly check-ins follow for six months."))


class PlacementsController(Controller):
    path = "/placements"

    @get("/", name="placements", opt=permission("placement", "read"))
    async def index(self, access: AccessDep) -> Response:
        return page("cases/placements.html", lines=await placements.monitored(access))

    @get("/{placement_id:int}", name="placement", opt=permission("placement", "read"))
    async def detail(self, access: AccessDep, placement_id: FromPath[int]) -> Response:
        return await _placement_page(access, placement_id)

    @post("/{placement_id:int}/check-ins", name="check_in_add", opt=checks_text(permission("placement", "manage")))
    async def check_in(self, request: Request, access: AccessDep, placement_id: FromPath[int]) -> Response:
        form = placements.CheckInForm.parse(await request.form())
        check_in = await placements.record_check_in(access, placement_id, form)
        if check_in is None:
            return await _placement_page(access, placement_id, form, status=422)
        target = see_other(request, request.app.route_reverse("placement", placement_id=placement_id))
        return flash(request, target, lazy("The check-in is recorded."))
