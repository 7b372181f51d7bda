"""Referral pages: a case's referrals and the form to draft one, the referral itself with the actions
its parties may take, the lists of referrals sent and received, the labour inspection's review queue
and the working-day calendar. A referral the actor's organisation takes no part in is a 404, its
fragment too.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery

from portal.access import authenticated, checks_text, permission
from portal.access.sharing import local_date
from portal.cases import calendar, inspection, referral_views, referrals
from portal.cases.models import REVIEW_OUTCOMES, Case, Referral
from portal.cases.referral_rules import KINDS
from portal.i18n import current_language, lazy
from portal.web import AccessDep, flash, is_htmx, page, parse_int, see_other

ANSWER_ACTIONS = ("accept", "decline", "start", "complete", "fail")
SENDER_ACTIONS = ("send", "withdraw")
DONE = {
    "send": lazy("The referral is sent."),
    "withdraw": lazy("The referral is withdrawn."),
    "accept": lazy("The referral is accepted."),
    "decline": lazy("The referral is declined."),
    "start": lazy("The referral is in progress."),
    "complete": lazy("The referral is completed."),
    "fail": lazy("The referral is recorded as not successful."),
}


async def _form_page(
    access: AccessDep,
    case_id: int,
    form: referrals.ReferralForm,
    referral_id: int | None = None,
    status: int = 200,
    saved: referrals.ReferralForm | None = None,
) -> Response:
    return page(
        "cases/referral_form.html",
        status_code=status,
        form=form,
        case_id=case_id,
        referral_id=referral_id,
        kinds=list(KINDS),
        recipients=await referrals.recipients(access),
        saved=saved,
    )


async def _referral_page(
    request: Request, access: AccessDep, referral_id: int, status: int = 200, **extra: Any
) -> Response:
    data = await referral_views.referral_page(access, referral_id)
    context: dict[str, Any] = {
        "p": data,
        "r": data.referral,
        "outcomes": REVIEW_OUTCOMES,
        "problem": "",
        "answer": None,
    }
    context.update(extra)
    template = "cases/_referral_state.html" if is_htmx(request) else "cases/referral.html"
    return page(template, status_code=status, **context)


async def _refused(request: Request, access: AccessDep, referral_id: int, exc: referrals.Refused) -> Response:
    await access.session.rollback()
    return await _referral_page(request, access, referral_id, status=exc.status, problem=exc.message)


class CaseReferralsController(Controller):
    path = "/cases/{case_id:int}/referrals"

    @get("/", name="case_referrals", opt=permission("referral", "list"))
    async def index(self, access: AccessDep, case_id: FromPath[int]) -> Response:
        case = await access.own(Case, case_id, "read")
        lines = await referral_views.case_referrals(access, case.id)
        names = await referrals.tenant_names(access, {line.recipient_id for line in lines})
        return page("cases/case_referrals.html", case=case, lines=lines, tenants=names)

    @get("/new", name="referral_new", opt=permission("referral", "send"))
    async def new(self, access: AccessDep, case_id: FromPath[int], previous: FromQuery[str] = "") -> Response:
        await access.own(Case, case_id, "read")
        form = referrals.ReferralForm(previous=str(parse_int(previous) or ""))
        again = await access.session.get(Referral, parse_int(previous) or 0) if previous else None
        if again is not None and again.tenant_id == access.actor.tenant_id and again.case_id == case_id:
            form.kind, form.recipient, form.subject = again.kind, str(again.recipient_tenant_id), again.subject
        return await _form_page(access, case_id, form)

    @post("/", name="referral_create", opt=checks_text(permission("referral", "send")))
    async def create(self, request: Request, access: AccessDep, case_id: FromPath[int]) -> Response:
        form = referrals.ReferralForm.parse(await request.form())
        try:
            referral = await referrals.create_draft(access, case_id, form)
        except referrals.Refused as exc:
            form.errors["form"] = exc.message
            return await _form_page(access, case_id, form, status=409)
        if referral is None:
            return await _form_page(access, case_id, form, status=422)
        target = see_other(request, request.app.route_reverse("referral", referral_id=referral.id))
        return flash(request, target, lazy("The draft referral is saved. Check it and send it."))


class ReferralsController(Controller):
    path = "/referrals"

    @get("/", name="referrals", opt=permission("referral", "list"))
    async def index(
        self,
        access: AccessDep,
        awaiting_after: FromQuery[str] = "",
        answered_before: FromQuery[str] = "",
        sent_before: FromQuery[str] = "",
    ) -> Response:
        """Three lists, each paged on its own: awaiting the organisation's answer (the nearest deadline
        first), answered by it, and sent by it (both newest first)."""
        awaiting = await referral_views.awaiting_page(access, awaiting_after)
        answered = await referral_views.answered_page(access, parse_int(answered_before) or None)
        sent = await referral_views.sent_page(access, parse_int(sent_before) or None)
        received = awaiting.lines + answered.lines
        names = await referrals.tenant_names(
            access, {x.sender_id for x in received} | {x.recipient_id for x in sent.lines}
        )
        return page("cases/referrals.html", awaiting=awaiting, answered=answered, sent=sent, tenants=names)

    @get("/{referral_id:int}", name="referral", opt=permission("referral", "read"))
    async def detail(self, request: Request, access: AccessDep, referral_id: FromPath[int]) -> Response:
        return await _referral_page(request, access, referral_id)

    @get("/{referral_id:int}/edit", name="referral_edit", opt=permission("referral", "send"))
    async def edit(self, access: AccessDep, referral_id: FromPath[int]) -> Response:
        referral = await access.own(Referral, referral_id, "send")
        return await _form_page(access, referral.case_id, referrals.ReferralForm.of(referral), referral.id)

    @post("/{referral_id:int}", name="referral_update", opt=checks_text(permission("referral", "send")))
    async def update(self, request: Request, access: AccessDep, referral_id: FromPath[int]) -> Response:
        referral = await access.own(Referral, referral_id, "send")
        case_id = referral.case_id
        form = referrals.ReferralForm.parse(await request.form())
        try:
            saved = await referrals.update_draft(access, referral_id, form)
        except referrals.Refused as exc:
            await access.session.rollback()
            current = await access.own(Referral, referral_id, "send")
            if current.state != "draft":
                return await _refused(request, access, referral_id, exc)
            # Both versions side by side: what was typed stays in the form, what is saved beside it.
            form.errors["form"], form.version = exc.message, current.version
            kept = referrals.ReferralForm.of(current)
            return await _form_page(access, case_id, form, referral_id, status=409, saved=kept)
        if saved is None:
            return await _form_page(access, case_id, form, referral_id, status=422)
        target = see_other(request, request.app.route_reverse("referral", referral_id=referral_id))
        return flash(request, target, lazy("The draft referral is saved. Check it and send it."))

    @post(
        "/{referral_id:int}/sender/{action:str}", name="referral_send", opt=checks_text(permission("referral", "send"))
    )
    async def by_sender(
        self, request: Request, access: AccessDep, referral_id: FromPath[int], action: FromPath[str]
    ) -> Response:
        return await self._act(request, access, referral_id, action if action in SENDER_ACTIONS else "")

    @post(
        "/{referral_id:int}/answer/{action:str}",
        name="referral_answer",
        opt=checks_text(permission("referral", "answer")),
    )
    async def by_recipient(
        self, request: Request, access: AccessDep, referral_id: FromPath[int], action: FromPath[str]
    ) -> Response:
        return await self._act(request, access, referral_id, action if action in ANSWER_ACTIONS else "")

    async def _act(self, request: Request, access: AccessDep, referral_id: int, action: str) -> Response:
        form = await request.form()
        answer = referrals.Answer(text=str(form.get("text", "")), version=parse_int(form.get("version", "")))
        try:
            done = await referrals.act(access, referral_id, action, answer)
        except referrals.Refused as exc:
            return await _refused(request, access, referral_id, exc)
        if done is None:
            return await _referral_page(request, access, referral_id, status=422, answer=answer, action=action)
        target = see_other(request, request.app.route_reverse("referral", referral_id=referral_id))
        return flash(request, target, DONE[action])

    @post("/{referral_id:int}/review", name="referral_review", opt=checks_text(permission("referral", "review")))
    async def review(self, request: Request, access: AccessDep, referral_id: FromPath[int]) -> Response:
        form = await request.form()
        answer = referrals.Answer(text=str(form.get("text", "")), version=parse_int(form.get("version", "")))
        outcome = str(form.get("outcome", ""))
        try:
            done = await inspection.record_review(access, referral_id, outcome, answer)
        except referrals.Refused as exc:
            return await _refused(request, access, referral_id, exc)
        if done is None:
            return await _referral_page(
                request, access, referral_id, status=422, answer=answer, action="review", chosen=outcome
            )
        target = see_other(request, request.app.route_reverse("referral_reviews"))
        return flash(request, target, lazy("The outcome of the review is recorded."))


class ReviewsController(Controller):
    path = "/reviews"

    @get("/", name="referral_reviews", opt=permission("referral", "review"))
    async def index(self, access: AccessDep, after: FromQuery[str] = "") -> Response:
        queue = await inspection.review_queue(access, after)
        items = queue.items
        ids = {i.referral.owner_tenant_id for i in items} | {i.referral.value("recipient_tenant_id") for i in items}
        names = await referrals.tenant_names(access, ids)
        return page("cases/referral_reviews.html", items=items, more=queue.next, tenants=names)


class WorkingDaysController(Controller):
    path = "/working-days"

    @get("/", name="working_days", opt=authenticated())
    async def index(self, access: AccessDep, year: FromQuery[str] = "") -> Response:
        this_year = local_date(access.now).year
        chosen = parse_int(year, this_year - 5, this_year + 5) or this_year
        cal = await calendar.load(access.session, chosen)
        rest, working = cal.year(chosen, current_language())
        return page("cases/working_days.html", year=chosen, this_year=this_year, rest=rest, working=working)
