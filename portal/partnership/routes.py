"""Agreement pages: list, draft editor, version, verification, comparison, comments, PDF.

The confirmation steps (propose, sign, withdraw, give notice, stop sharing) are in ceremony_routes.py,
on the same controller."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from portal import i18n
from portal.access import permission, public
from portal.i18n import gettext as _
from portal.i18n import lazy
from portal.partnership import official, pdf, services, terms
from portal.partnership.agreement_templates import TEMPLATES
from portal.partnership.ceremony_routes import CeremonyRoutes
from portal.partnership.forms import ClauseRow, DraftForm, PartyRow, number, parse
from portal.partnership.models import CATEGORIES, PURPOSES, SCOPES
from portal.partnership.pages import BASE, allowed, as_in_force, clause_groups, policy, render
from portal.partnership.pages import load as _load
from portal.partnership.pages import terms_of as _terms_of
from portal.partnership.pages import version_url as _version_url
from portal.web import DB, CurrentActor, absolute_url, flash, is_htmx, now, page, see_other

_page = render
A = services.Action


async def _editor(
    db: DB, form: DraftForm, action: str, version: Any = None, status_code: int = 200, **extra: Any
) -> Template:
    context = {
        "form": form,
        "action": action,
        "version": version,
        "tenants": await services.partner_tenants(db),
        "categories": CATEGORIES,
        "purposes": PURPOSES,
        "scopes": SCOPES,
        **extra,
    }
    return _page("partnership/editor.html", status_code=status_code, **context)


def _apply_op(form: DraftForm, op: str) -> bool:
    """Add or remove a party or clause row in the posted form; False for a plain save."""
    name, _sep, index = op.partition(":")
    position = number(index, 999) if index else None
    position = -1 if position is None else position
    if name == "add_party":
        form.parties.append(PartyRow())
    elif name == "remove_party" and 0 <= position < len(form.parties):
        form.parties.pop(position)
    elif name == "add_clause":
        form.clauses.append(ClauseRow())
    elif name == "remove_clause" and 0 <= position < len(form.clauses):
        form.clauses.pop(position)
    else:
        return False
    return True


def _fragment_or_page(request: Request, response: Template) -> Template:
    """A non-boosted HTMX request gets the editor fragment only."""
    if is_htmx(request):
        response.template_name = "partnership/_editor.html"
    return response


class AgreementController(CeremonyRoutes, Controller):
    path = BASE

    @get("/", name="agreements", opt=permission("agreement", "list"))
    async def index(
        self, request: Request, db: DB, actor: CurrentActor, after: FromQuery[int | None] = None
    ) -> Response:
        listing = await services.list_agreements(db, actor, now(request), after)
        return _page("partnership/list.html", rows=listing.rows, after=listing.after, paged=after is not None)

    @get("/new", name="agreement_new", opt=permission("agreement", "draft"))
    async def new(self, request: Request, db: DB, actor: CurrentActor) -> Response:
        tenants = [t for t in await services.partner_tenants(db) if t.id != actor.tenant_id]
        return _page("partnership/new.html", tenants=tenants, templates=TEMPLATES, chosen=[], template_key="")

    @post("/new", name="agreement_start", opt=permission("agreement", "draft"))
    async def start(self, request: Request, db: DB, actor: CurrentActor) -> Response:
        posted = await request.form()
        key = str(posted.get("template", ""))
        chosen = {str(v) for v in posted.getall("partners", [])}
        tenants = await services.partner_tenants(db)
        drafting = next(t for t in tenants if t.id == actor.tenant_id)
        partners = [t for t in tenants if str(t.id) in chosen and t.id != actor.tenant_id]
        # form_from_template counts days with the calendar (29 February included)
        form = services.form_from_template(key, drafting, partners, i18n.current_language(), now(request).date())
        return await _editor(db, form, BASE, template_key=key if key in TEMPLATES else "")

    @post("/", name="agreement_create", opt=permission("agreement", "draft"))
    async def create(self, request: Request, db: DB, actor: CurrentActor) -> Response:
        posted = await request.form()
        form = parse(posted)
        key = str(posted.get("template_key", ""))
        if _apply_op(form, str(posted.get("op", ""))):
            return _fragment_or_page(request, await _editor(db, form, BASE, template_key=key))
        version = await services.create_draft(
            db, actor, form, now(request), template_key=key or None, policy=policy(request)
        )
        if version is None:
            return _fragment_or_page(request, await _editor(db, form, BASE, status_code=422, template_key=key))
        return flash(request, see_other(request, _version_url(version.id)), lazy("The draft is saved."))

    @get("/versions/{version_id:int}", name="agreement_version", opt=permission("agreement", "list"))
    async def show(self, request: Request, db: DB, actor: CurrentActor, version_id: FromPath[int]) -> Response:
        return await self._show(request, db, actor, version_id)

    async def _show(
        self,
        request: Request,
        db: DB,
        actor: CurrentActor,
        version_id: int,
        error: str | None = None,
        status_code: int = 200,
    ) -> Template:
        d = await _load(request, db, actor, version_id)
        t = as_in_force(await _terms_of(db, d), d)
        return _page(
            "partnership/version.html",
            status_code=status_code,
            d=d,
            t=t,
            groups=clause_groups(t, i18n.current_language()),
            versions=await services.versions_of(db, actor, d.agreement.id),
            may=allowed(request, actor, d),
            A=A,
            error=error,
        )

    @get("/versions/{version_id:int}/edit", name="agreement_edit", opt=permission("agreement", "draft"))
    async def edit(self, request: Request, db: DB, actor: CurrentActor, version_id: FromPath[int]) -> Response:
        d = await _load(request, db, actor, version_id)
        if A.EDIT not in allowed(request, actor, d):
            return await self._show(request, db, actor, version_id, _refusal(request, actor, d, A.EDIT), 403)
        form = await services.form_from_version(db, d.version)
        return await _editor(db, form, _version_url(version_id, "edit"), version=d.version)

    @post("/versions/{version_id:int}/edit", name="agreement_save", opt=permission("agreement", "draft"))
    async def save(self, request: Request, db: DB, actor: CurrentActor, version_id: FromPath[int]) -> Response:
        d = await _load(request, db, actor, version_id)
        if A.EDIT not in allowed(request, actor, d):
            return await self._show(request, db, actor, version_id, _refusal(request, actor, d, A.EDIT), 403)
        posted = await request.form()
        form = parse(posted)
        action = _version_url(version_id, "edit")
        if _apply_op(form, str(posted.get("op", ""))):
            return _fragment_or_page(request, await _editor(db, form, action, version=d.version))
        try:
            saved = await services.save_draft(db, actor, version_id, form, now(request), policy=policy(request))
        except services.EditConflict:
            await db.rollback()
            d = await _load(request, db, actor, version_id)
            theirs = await services.form_from_version(db, d.version)
            form.version = d.version.version
            form.errors["form"] = _(
                "Someone else saved this draft while you were editing, so your changes were not saved. "
                "Their saved terms are shown first; your changes are kept in the form. Check and save again."
            )
            response = await _editor(db, form, action, version=d.version, status_code=409, theirs=theirs)
            return _fragment_or_page(request, response)
        if not saved:
            return _fragment_or_page(request, await _editor(db, form, action, version=d.version, status_code=422))
        return flash(request, see_other(request, _version_url(version_id)), lazy("The draft is saved."))

    @post("/versions/{version_id:int}/amend", name="agreement_amend", opt=permission("agreement", "draft"))
    async def amend(self, request: Request, db: DB, actor: CurrentActor, version_id: FromPath[int]) -> Response:
        await _load(request, db, actor, version_id)
        try:
            new = await services.amend(db, actor, version_id, now(request), policy=policy(request))
        except services.Refused as refused:
            await db.rollback()
            return await self._show(request, db, actor, version_id, refused.message, 422)
        return see_other(request, _version_url(new.id, "edit"))

    @get("/versions/{version_id:int}/comments", name="agreement_comments", opt=permission("agreement", "list"))
    async def comments(self, request: Request, db: DB, actor: CurrentActor, version_id: FromPath[int]) -> Response:
        d = await _load(request, db, actor, version_id)
        template = "partnership/_comments.html" if is_htmx(request) else "partnership/comments.html"
        return _page(template, d=d, may=allowed(request, actor, d), A=A, error=None, body="", later=False)

    @post("/versions/{version_id:int}/comments", name="agreement_comment", opt=permission("agreement", "comment"))
    async def comment(self, request: Request, db: DB, actor: CurrentActor, version_id: FromPath[int]) -> Response:
        await _load(request, db, actor, version_id)
        posted = await request.form()
        body, later = str(posted.get("body", "")), posted.get("later_parties_may_read") == "on"
        error = None
        try:
            await services.add_comment(
                db, actor, version_id, body, now(request), policy=policy(request), later_parties_may_read=later
            )
            body, later = "", False
        except services.Refused as refused:
            error = refused.message
        if error is None and not is_htmx(request):
            return see_other(request, _version_url(version_id, "comments"))
        d = await _load(request, db, actor, version_id)
        template = "partnership/_comments.html" if is_htmx(request) else "partnership/comments.html"
        # htmx swaps only 2xx answers: the fragment with its error message comes back as 200.
        status_code = 422 if error and not is_htmx(request) else 200
        may = allowed(request, actor, d)
        return _page(template, status_code=status_code, d=d, may=may, A=A, error=error, body=body, later=later)

    @get("/versions/{version_id:int}/verify", name="agreement_verify", opt=permission("agreement", "list"))
    async def verify(self, request: Request, db: DB, actor: CurrentActor, version_id: FromPath[int]) -> Response:
        d = await _load(request, db, actor, version_id)
        report = await services.verify(db, actor, version_id)
        return _page("partnership/verify.html", d=d, report=report)

    @get("/versions/{version_id:int}/diff", name="agreement_diff", opt=permission("agreement", "list"))
    async def diff(
        self,
        request: Request,
        db: DB,
        actor: CurrentActor,
        version_id: FromPath[int],
        against: FromQuery[int | None] = None,
    ) -> Response:
        new = await _load(request, db, actor, version_id)
        versions = await services.versions_of(db, actor, new.agreement.id)
        others = [v for v in versions if v.id != version_id]
        if against is None:
            earlier = [v for v in others if v.number < new.version.number]
            against = new.version.supersedes_id or (earlier[-1].id if earlier else None)
        if against is None or against not in {v.id for v in others}:
            raise NotFoundException
        old = await _load(request, db, actor, against)
        old_terms, new_terms = await _terms_of(db, old), await _terms_of(db, new)
        names = {p["tenant_id"]: p["names"] for p in [*old_terms["parties"], *new_terms["parties"]]}
        return _page(
            "partnership/diff.html",
            old=old,
            new=new,
            old_terms=old_terms,
            new_terms=new_terms,
            changes=terms.diff(old_terms, new_terms),
            names=names,
            others=others,
        )

    @get("/versions/{version_id:int}/pdf", name="agreement_pdf", opt=permission("agreement", "list"))
    async def pdf(self, request: Request, db: DB, actor: CurrentActor, version_id: FromPath[int]) -> Response:
        d = await _load(request, db, actor, version_id)
        frozen = d.version.terms_hash
        url = absolute_url(request, "agreement_check", terms_hash=frozen) if frozen else None
        paper = official.paper(d.version, d.status, await _terms_of(db, d), d.signatures, i18n.current_language(), url)
        body = await pdf.build(paper, request.app.state)
        filename = f"agreement-{d.agreement.id}-v{d.version.number}.pdf"
        return Response(
            content=body,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


def _refusal(request: Request, actor: CurrentActor, d: services.VersionDetail, action: services.Action) -> str:
    assert d.standing is not None
    return services.why_not(d.standing, actor, now(request), policy(request), action) or ""


@get("/verify/{terms_hash:str}", name="agreement_check", opt=public())
async def check_paper(request: Request, db: DB, terms_hash: FromPath[str]) -> Response:
    """The page a printed agreement's QR code opens: public, showing only what the paper shows."""
    check = await official.public_check(db, terms_hash, i18n.current_language(), now(request))
    if check is None:
        raise NotFoundException
    return page("partnership/check.html", check=check)
