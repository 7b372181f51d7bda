"""Agreement pages: list, draft editor, version, signing, verification, comparison, comments, PDF."""

from __future__ import annotations

import json
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from portal import i18n
from portal.access import permission
from portal.i18n import gettext as _
from portal.i18n import lazy
from portal.partnership import labels, pdf, services, terms
from portal.partnership.agreement_templates import TEMPLATES
from portal.partnership.forms import ClauseRow, DraftForm, PartyRow, parse
from portal.partnership.models import CATEGORIES, PURPOSES, SCOPES
from portal.web import DB, CurrentActor, flash, is_htmx, now, page, see_other

BASE = "/agreements"


def _page(template: str, status_code: int = 200, **context: Any) -> Template:
    return page(template, status_code=status_code, L=labels, **context)


def _version_url(version_id: int, action: str = "") -> str:
    return f"{BASE}/versions/{version_id}" + (f"/{action}" if action else "")


async def _load(request: Request, db: DB, actor: CurrentActor, version_id: int) -> services.VersionDetail:
    try:
        return await services.detail(db, actor, version_id, now(request))
    except services.NotFound:
        raise NotFoundException from None


async def _terms_of(db: DB, d: services.VersionDetail) -> dict[str, Any]:
    if d.version.terms_json:
        return json.loads(d.version.terms_json)
    return await terms.terms_from_rows(db, d.version)


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
    position = int(index) if index.isdigit() else -1
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


class AgreementController(Controller):
    path = BASE

    @get("/", name="agreements", opt=permission("agreement", "list"))
    async def index(self, request: Request, db: DB, actor: CurrentActor) -> Response:
        rows = await services.list_agreements(db, actor, now(request))
        return _page("partnership/list.html", rows=rows, may_draft="agreement_draft" in _grants(actor))

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
        form = services.form_from_template(key, drafting, partners, i18n.current_language(), now(request).date())
        return await _editor(db, form, BASE, template_key=key if key in TEMPLATES else "")

    @post("/", name="agreement_create", opt=permission("agreement", "draft"))
    async def create(self, request: Request, db: DB, actor: CurrentActor) -> Response:
        posted = await request.form()
        form = parse(posted)
        key = str(posted.get("template_key", ""))
        if _apply_op(form, str(posted.get("op", ""))):
            return _fragment_or_page(request, await _editor(db, form, BASE, template_key=key))
        version = await services.create_draft(db, actor, form, now(request), template_key=key or None)
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
        versions = await services.versions_of(db, actor, d.agreement.id)
        return _page(
            "partnership/version.html",
            status_code=status_code,
            d=d,
            t=await _terms_of(db, d),
            versions=versions,
            may=_may(actor, d),
            error=error,
        )

    @get("/versions/{version_id:int}/edit", name="agreement_edit", opt=permission("agreement", "draft"))
    async def edit(self, request: Request, db: DB, actor: CurrentActor, version_id: FromPath[int]) -> Response:
        d = await _load(request, db, actor, version_id)
        if not services.may_edit(d.agreement, d.version, actor):
            raise PermissionDeniedException
        form = await services.form_from_version(db, d.version)
        return await _editor(db, form, _version_url(version_id, "edit"), version=d.version)

    @post("/versions/{version_id:int}/edit", name="agreement_save", opt=permission("agreement", "draft"))
    async def save(self, request: Request, db: DB, actor: CurrentActor, version_id: FromPath[int]) -> Response:
        d = await _load(request, db, actor, version_id)
        if not services.may_edit(d.agreement, d.version, actor):
            raise PermissionDeniedException
        posted = await request.form()
        form = parse(posted)
        action = _version_url(version_id, "edit")
        if _apply_op(form, str(posted.get("op", ""))):
            return _fragment_or_page(request, await _editor(db, form, action, version=d.version))
        try:
            saved = await services.save_draft(db, actor, version_id, form, now(request))
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

    @post("/versions/{version_id:int}/propose", name="agreement_propose", opt=permission("agreement", "draft"))
    async def propose(self, request: Request, db: DB, actor: CurrentActor, version_id: FromPath[int]) -> Response:
        await _load(request, db, actor, version_id)
        try:
            await services.propose(db, actor, version_id, now(request))
        except services.Refused as refused:
            return await self._show(request, db, actor, version_id, refused.message, 422)
        message = lazy("The version is proposed for signing: its terms are frozen and every party can now sign.")
        return flash(request, see_other(request, _version_url(version_id)), message)

    @post("/versions/{version_id:int}/amend", name="agreement_amend", opt=permission("agreement", "draft"))
    async def amend(self, request: Request, db: DB, actor: CurrentActor, version_id: FromPath[int]) -> Response:
        await _load(request, db, actor, version_id)
        try:
            new = await services.amend(db, actor, version_id, now(request))
        except services.Refused as refused:
            return await self._show(request, db, actor, version_id, refused.message, 422)
        return see_other(request, _version_url(new.id, "edit"))

    @get("/versions/{version_id:int}/sign", name="agreement_sign_form", opt=permission("agreement", "sign"))
    async def sign_form(self, request: Request, db: DB, actor: CurrentActor, version_id: FromPath[int]) -> Response:
        return await self._sign_page(request, db, actor, version_id)

    async def _sign_page(
        self,
        request: Request,
        db: DB,
        actor: CurrentActor,
        version_id: int,
        error: str | None = None,
        status_code: int = 200,
    ) -> Template:
        d = await _load(request, db, actor, version_id)
        if not any(p.tenant_id == actor.tenant_id for p, _t in d.parties):
            raise NotFoundException
        return _page(
            "partnership/sign.html",
            status_code=status_code,
            d=d,
            t=await _terms_of(db, d),
            canonical=d.version.terms_json,
            error=error,
            already=actor.tenant_id in d.signed_tenants,
        )

    @post("/versions/{version_id:int}/sign", name="agreement_sign", opt=permission("agreement", "sign"))
    async def sign(self, request: Request, db: DB, actor: CurrentActor, version_id: FromPath[int]) -> Response:
        posted = await request.form()
        try:
            await services.sign(db, actor, version_id, str(posted.get("terms_hash", "")), now(request))
        except services.NotFound:
            raise NotFoundException from None
        except services.Refused as refused:
            await db.rollback()
            return await self._sign_page(request, db, actor, version_id, refused.message, 422)
        return flash(
            request, see_other(request, _version_url(version_id)), lazy("Your organisation's signature is recorded.")
        )

    @post("/versions/{version_id:int}/terminate", name="agreement_terminate", opt=permission("agreement", "terminate"))
    async def terminate(self, request: Request, db: DB, actor: CurrentActor, version_id: FromPath[int]) -> Response:
        posted = await request.form()
        try:
            await services.terminate(db, actor, version_id, str(posted.get("reason", "")), now(request))
        except services.NotFound:
            raise NotFoundException from None
        except services.Refused as refused:
            await db.rollback()
            return await self._show(request, db, actor, version_id, refused.message, 422)
        return flash(
            request, see_other(request, _version_url(version_id)), lazy("The agreement is terminated for every party.")
        )

    @get("/versions/{version_id:int}/comments", name="agreement_comments", opt=permission("agreement", "list"))
    async def comments(self, request: Request, db: DB, actor: CurrentActor, version_id: FromPath[int]) -> Response:
        d = await _load(request, db, actor, version_id)
        template = "partnership/_comments.html" if is_htmx(request) else "partnership/comments.html"
        return _page(template, d=d, may=_may(actor, d), error=None, body="")

    @post("/versions/{version_id:int}/comments", name="agreement_comment", opt=permission("agreement", "comment"))
    async def comment(self, request: Request, db: DB, actor: CurrentActor, version_id: FromPath[int]) -> Response:
        await _load(request, db, actor, version_id)
        body = str((await request.form()).get("body", ""))
        error = None
        try:
            await services.add_comment(db, actor, version_id, body, now(request))
            body = ""
        except services.Refused as refused:
            error = refused.message
        if error is None and not is_htmx(request):
            return see_other(request, _version_url(version_id, "comments"))
        d = await _load(request, db, actor, version_id)
        template = "partnership/_comments.html" if is_htmx(request) else "partnership/comments.html"
        # htmx swaps only 2xx answers: the fragment with its error message comes back as 200.
        status_code = 422 if error and not is_htmx(request) else 200
        return _page(template, status_code=status_code, d=d, may=_may(actor, d), error=error, body=body)

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
        body = pdf.render(d, await _terms_of(db, d), i18n.current_language())
        filename = f"agreement-{d.agreement.id}-v{d.version.number}.pdf"
        return Response(
            content=body,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


def _grants(actor: CurrentActor) -> set[str]:
    from portal.access.policy import ROLE_GRANTS

    return {f"{obj}_{act}" for role in actor.roles for obj, act in ROLE_GRANTS.get(role, [])}


def _may(actor: CurrentActor, d: services.VersionDetail) -> dict[str, bool]:
    """Which actions to offer; each is checked again by its route and service."""
    grants = _grants(actor)
    party = any(p.tenant_id == actor.tenant_id for p, _t in d.parties)
    drafting = d.agreement.tenant_id == actor.tenant_id
    return {
        "edit": "agreement_draft" in grants and services.may_edit(d.agreement, d.version, actor),
        "propose": "agreement_draft" in grants and services.may_edit(d.agreement, d.version, actor),
        "amend": "agreement_draft" in grants and drafting and d.status == "active",
        "sign": "agreement_sign" in grants
        and party
        and d.version.status in services.OPEN_FOR_SIGNING
        and actor.tenant_id not in d.signed_tenants,
        "terminate": "agreement_terminate" in grants and party and d.status in ("active", "proposed", "signing"),
        "comment": "agreement_comment" in grants and d.version.status in ("draft", "proposed", "signing"),
    }
