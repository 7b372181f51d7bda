"""The steps that bind or end an agreement, each a review page and then a POST.

Propose (freezes the terms), sign (binds the organisation: confirmation and a fresh proof of identity,
then a confirmation page), withdraw (a version not yet in force), give notice (a version in force ends
on a day at least the notice period away) and stop sharing (a data owner ends its own clauses at once).
Each review page is offered only when `allowed_actions` allows it; each POST is guarded by the service.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from portal import i18n
from portal.access import permission
from portal.i18n import lazy
from portal.partnership import services
from portal.partnership.pages import as_in_force, clause_groups, load, policy, render, terms_of, version_url
from portal.web import DB, CurrentActor, flash, now, see_other

A = services.Action
# Each ending step: (template, action).
ENDINGS = {
    "withdraw": ("partnership/withdraw.html", A.WITHDRAW),
    "notice": ("partnership/notice.html", A.GIVE_NOTICE),
    "stop-sharing": ("partnership/stop_sharing.html", A.STOP_SHARING),
}


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


async def _review(
    request: Request,
    db: DB,
    actor: CurrentActor,
    version_id: int,
    template: str,
    action: services.Action,
    status_code: int = 200,
    **extra: Any,
) -> Template:
    """A review page: the terms as they stand, who signed and who must, and what the step would do."""
    d = await load(request, db, actor, version_id)
    t = as_in_force(await terms_of(db, d), d)
    assert d.standing is not None
    reason = services.why_not(d.standing, actor, now(request), policy(request), action)
    return render(
        template,
        status_code=403 if reason and status_code == 200 else status_code,
        d=d,
        t=t,
        groups=clause_groups(t, i18n.current_language()),
        refusal=reason,
        organisation=actor.tenant_name(i18n.current_language()),
        **extra,
    )


class CeremonyRoutes:
    """Mixed into AgreementController (one controller per resource)."""

    @get("/versions/{version_id:int}/propose", name="agreement_propose_review", opt=permission("agreement", "draft"))
    async def propose_review(
        self, request: Request, db: DB, actor: CurrentActor, version_id: FromPath[int]
    ) -> Response:
        return await _review(request, db, actor, version_id, "partnership/propose.html", A.PROPOSE, error=None)

    @post("/versions/{version_id:int}/propose", name="agreement_propose", opt=permission("agreement", "draft"))
    async def propose(self, request: Request, db: DB, actor: CurrentActor, version_id: FromPath[int]) -> Response:
        await load(request, db, actor, version_id)
        try:
            await services.propose(db, actor, version_id, now(request), policy=policy(request))
        except services.Refused as refused:
            await db.rollback()
            page = "partnership/propose.html"
            return await _review(request, db, actor, version_id, page, A.PROPOSE, 422, error=refused.message)
        return see_other(request, version_url(version_id) + "?done=proposed")

    @get("/versions/{version_id:int}/sign", name="agreement_sign_form", opt=permission("agreement", "sign"))
    async def sign_form(self, request: Request, db: DB, actor: CurrentActor, version_id: FromPath[int]) -> Response:
        return await self._sign_page(request, db, actor, version_id, services.SignForm())

    async def _sign_page(
        self, request: Request, db: DB, actor: CurrentActor, version_id: int, form: Any, status_code: int = 200
    ) -> Template:
        d = await load(request, db, actor, version_id)
        if not any(p.tenant_id == actor.tenant_id for p, _t in d.parties):
            raise NotFoundException
        proof = await services.proof_for(db, actor, now(request))
        page = "partnership/sign.html"
        return await _review(
            request, db, actor, version_id, page, A.SIGN, status_code, form=form, proof=proof, next=request.url.path
        )

    @post("/versions/{version_id:int}/sign", name="agreement_sign", opt=permission("agreement", "sign"))
    async def sign(self, request: Request, db: DB, actor: CurrentActor, version_id: FromPath[int]) -> Response:
        form = services.parse_sign_form(await request.form())
        try:
            signature = await services.sign_with_ceremony(
                db, actor, version_id, form, now(request), policy=policy(request)
            )
        except services.NotFound:
            raise NotFoundException from None
        if signature is None:
            await db.rollback()
            return await self._sign_page(request, db, actor, version_id, form, 422)
        recorded = lazy("Your organisation's signature is recorded.")
        return flash(request, see_other(request, version_url(version_id, "signed")), recorded)

    @get("/versions/{version_id:int}/signed", name="agreement_signed", opt=permission("agreement", "list"))
    async def signed(self, request: Request, db: DB, actor: CurrentActor, version_id: FromPath[int]) -> Response:
        d = await load(request, db, actor, version_id)
        mine = next((s for s in d.signatures if s.tenant_id == actor.tenant_id), None)
        if mine is None:
            raise NotFoundException
        organisation = actor.tenant_name(i18n.current_language())
        return render("partnership/signed.html", d=d, signature=mine, organisation=organisation)

    @get(
        "/versions/{version_id:int}/withdraw",
        name="agreement_withdraw_review",
        opt=permission("agreement", "terminate"),
    )
    async def withdraw_review(
        self, request: Request, db: DB, actor: CurrentActor, version_id: FromPath[int]
    ) -> Response:
        return await _end_review(request, db, actor, version_id, "withdraw")

    @post("/versions/{version_id:int}/withdraw", name="agreement_withdraw", opt=permission("agreement", "terminate"))
    async def withdraw(self, request: Request, db: DB, actor: CurrentActor, version_id: FromPath[int]) -> Response:
        return await _end_step(request, db, actor, version_id, "withdraw")

    @get("/versions/{version_id:int}/notice", name="agreement_notice_review", opt=permission("agreement", "terminate"))
    async def notice_review(self, request: Request, db: DB, actor: CurrentActor, version_id: FromPath[int]) -> Response:
        return await _end_review(request, db, actor, version_id, "notice")

    @post("/versions/{version_id:int}/notice", name="agreement_notice", opt=permission("agreement", "terminate"))
    async def notice(self, request: Request, db: DB, actor: CurrentActor, version_id: FromPath[int]) -> Response:
        return await _end_step(request, db, actor, version_id, "notice")

    @get(
        "/versions/{version_id:int}/stop-sharing",
        name="agreement_stop_sharing_review",
        opt=permission("agreement", "terminate"),
    )
    async def stop_sharing_review(
        self, request: Request, db: DB, actor: CurrentActor, version_id: FromPath[int]
    ) -> Response:
        return await _end_review(request, db, actor, version_id, "stop-sharing")

    @post(
        "/versions/{version_id:int}/stop-sharing",
        name="agreement_stop_sharing",
        opt=permission("agreement", "terminate"),
    )
    async def stop_sharing(self, request: Request, db: DB, actor: CurrentActor, version_id: FromPath[int]) -> Response:
        return await _end_step(request, db, actor, version_id, "stop-sharing")


async def _end_review(request: Request, db: DB, actor: CurrentActor, version_id: int, step: str) -> Template:
    template, action = ENDINGS[step]
    d = await load(request, db, actor, version_id)
    earliest = services.earliest_notice_end(d.version, now(request))
    fields = {"reason": "", "ends_on": earliest.isoformat()}
    notice = services.notice_days(d.version)
    return await _review(
        request, db, actor, version_id, template, action, fields=fields, errors={}, earliest=earliest, notice=notice
    )


async def _end_step(request: Request, db: DB, actor: CurrentActor, version_id: int, step: str) -> Response:
    d = await load(request, db, actor, version_id)
    posted = await request.form()
    fields = {"reason": str(posted.get("reason", ""))[:2000], "ends_on": str(posted.get("ends_on", ""))[:20]}
    earliest, notice = services.earliest_notice_end(d.version, now(request)), services.notice_days(d.version)
    try:
        await _end(request, db, actor, version_id, step, fields)
    except services.NotFound:
        raise NotFoundException from None
    except services.Refused as refused:
        await db.rollback()
        template, action = ENDINGS[step]
        errors = {refused.field or "form": refused.message}
        extra = {"fields": fields, "errors": errors, "earliest": earliest, "notice": notice}
        return await _review(request, db, actor, version_id, template, action, 422, **extra)
    return see_other(request, version_url(version_id) + f"?done={step}")


async def _end(request: Request, db: DB, actor: CurrentActor, version_id: int, step: str, fields: dict) -> None:
    at, rules = now(request), policy(request)
    if step == "withdraw":
        await services.withdraw(db, actor, version_id, fields["reason"], at, policy=rules)
    elif step == "notice":
        ends_on = _day(fields["ends_on"])
        await services.give_notice(db, actor, version_id, fields["reason"], ends_on, at, policy=rules)
    else:
        await services.stop_sharing(db, actor, version_id, fields["reason"], at, policy=rules)
