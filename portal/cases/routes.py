"""Clients: list, register, edit, the redacted detail page, case notes, engagements and consents.

A client that the actor may not read is a 404, never a 403: the answer must not confirm that the
person is registered with another organisation.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery

from portal.access import checks_text, permission
from portal.access.redact import View
from portal.access.vocabulary import ENGAGEMENT_SOURCES, PURPOSES
from portal.cases import consent_evidence, services
from portal.cases.models import DISABILITY_GROUPS, Client
from portal.i18n import gettext as _
from portal.i18n import lazy
from portal.web import AccessDep, flash, is_htmx, page, see_other


def _id(value: Any) -> int:
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else 0


async def _form_page(
    access: AccessDep, form: services.ClientForm, client_id: int | None, status: int = 200, **extra: Any
) -> Response:
    context = {"form": form, "client_id": client_id, "groups": DISABILITY_GROUPS, "genders": services.GENDERS}
    return page(
        "cases/client_form.html", status_code=status, districts=await services.districts(access), **context, **extra
    )


async def _detail_page(access: AccessDep, view: View, status_code: int = 200, **extra: Any) -> Response:
    context: dict[str, Any] = {
        "client": view,
        "engagements": [],
        "consents": [],
        "partners": [],
        "named": {},
        "recorders": {},
    }
    context["basis"] = None if view.own else await services.basis_of(access, view.id, view.owner_tenant_id)
    shown = context["basis"].consents if context["basis"] else []
    context["own_categories"] = access.own_categories()
    if view.own:
        consents = shown = await services.consents_of(access, view.id)
        recorded = {c.given_recorded_by for c in consents} | {c.withdrawn_recorded_by for c in consents}
        engagements = await services.engagements_of(access, view.id)
        partnered = {e.recipient_tenant_id for e in engagements} | {c.recipient_tenant_id for c in consents}
        context.update(
            engagements=engagements,
            consents=consents,
            partners=await services.partners(access),
            named=await services.partner_names(access, partnered),
            recorders=await services.user_names(access, {i for i in recorded if i}),
        )
    context.update(
        evidence=await consent_evidence.summaries(access, [c.id for c in shown]),
        cases=await services.cases_of_client(access, view.id),
        notes=await services.notes_of(access, view.id),
        kinds=ENGAGEMENT_SOURCES,
        purposes=PURPOSES,
        engagement_errors={},
        consent_errors={},
        consent_input={},
        note_errors={},
        note_input="",
    )
    context.update(extra)
    return page("cases/client.html", status_code=status_code, **context)


async def _detail_again(access: AccessDep, client_id: int, **extra: Any) -> Response:
    return await _detail_page(access, await services.read_client(access, client_id), status_code=422, **extra)


class ClientsController(Controller):
    path = "/clients"

    @get("/", name="clients", opt=permission("client", "list"))
    async def index(
        self, request: Request, access: AccessDep, q: FromQuery[str] = "", before: FromQuery[str] = ""
    ) -> Response:
        cursor = _id(before) or None
        result = await services.list_clients(access, q[:100], cursor)
        template = "cases/_client_rows.html" if is_htmx(request) else "cases/clients.html"
        return page(template, clients=result.clients, older=result.older, q=q[:100])

    @get("/new", name="client_new", opt=permission("client", "create"))
    async def new(self, access: AccessDep) -> Response:
        return await _form_page(access, services.ClientForm(), None)

    @post("/", name="client_create", opt=checks_text(permission("client", "create")))
    async def create(self, request: Request, access: AccessDep) -> Response:
        form = services.ClientForm.parse(await request.form())
        client_id = await services.create_client(access, form)
        if client_id is None:
            return await _form_page(access, form, None, status=422)
        target = see_other(request, request.app.route_reverse("client", client_id=client_id))
        return flash(request, target, lazy("The client is registered."))

    @get("/{client_id:int}", name="client", opt=permission("client", "read"))
    async def detail(self, access: AccessDep, client_id: FromPath[int]) -> Response:
        return await _detail_page(access, await services.read_client(access, client_id))

    @get("/{client_id:int}/edit", name="client_edit", opt=permission("client", "update"))
    async def edit(self, access: AccessDep, client_id: FromPath[int]) -> Response:
        client = await access.own(Client, client_id)
        return await _form_page(access, services.ClientForm.of(client), client_id)

    @post("/{client_id:int}", name="client_update", opt=checks_text(permission("client", "update")))
    async def update(self, request: Request, access: AccessDep, client_id: FromPath[int]) -> Response:
        await access.own(Client, client_id)
        form = services.ClientForm.parse(await request.form())
        try:
            saved = await services.update_client(access, client_id, form)
        except services.EditConflict:
            return await self._conflict(access, client_id, form)
        if not saved:
            return await _form_page(access, form, client_id, status=422)
        target = see_other(request, request.app.route_reverse("client", client_id=client_id))
        return flash(request, target, lazy("The client's record is saved."))

    async def _conflict(self, access: AccessDep, client_id: int, form: services.ClientForm) -> Response:
        await access.session.rollback()
        current = await access.own(Client, client_id)
        form.version = current.version
        form.errors["form"] = _(
            "Someone else changed this client while you were editing, so your changes were not saved. "
            "Your changes are kept in the form; the saved values are shown beside it. Check and save again."
        )
        return await _form_page(access, form, client_id, status=409, saved=services.ClientForm.of(current))

    @post("/{client_id:int}/notes", name="case_note_add", opt=permission("case_note", "create"))
    async def add_note(self, request: Request, access: AccessDep, client_id: FromPath[int]) -> Response:
        body = str((await request.form()).get("body", ""))
        try:
            errors = await services.add_note(access, client_id, body)
        except LookupError:
            raise NotFoundException from None
        if errors:
            return await _detail_again(access, client_id, note_errors=errors, note_input=body)
        return see_other(request, request.app.route_reverse("client", client_id=client_id) + "#notes")


class EngagementsController(Controller):
    path = "/clients/{client_id:int}/engagements"

    @post("/", name="engagement_open", opt=permission("engagement", "manage"))
    async def open(self, request: Request, access: AccessDep, client_id: FromPath[int]) -> Response:
        form = await request.form()
        try:
            errors = await services.open_engagement(
                access, client_id, _id(form.get("recipient")), str(form.get("kind", ""))
            )
        except LookupError:
            raise NotFoundException from None
        if errors:
            return await _detail_again(access, client_id, engagement_errors=errors)
        return see_other(request, request.app.route_reverse("client", client_id=client_id) + "#engagements")

    @post("/{engagement_id:int}/close", name="engagement_close", opt=permission("engagement", "manage"))
    async def close(
        self, request: Request, access: AccessDep, client_id: FromPath[int], engagement_id: FromPath[int]
    ) -> Response:
        try:
            await services.close_engagement(access, client_id, engagement_id)
        except LookupError:
            raise NotFoundException from None
        return see_other(request, request.app.route_reverse("client", client_id=client_id) + "#engagements")


class ConsentsController(Controller):
    path = "/clients/{client_id:int}/consents"

    @post("/", name="consent_give", opt=permission("consent", "manage"))
    async def give(self, request: Request, access: AccessDep, client_id: FromPath[int]) -> Response:
        form = await request.form()
        upload = form.get("document")
        document = None
        if isinstance(upload, UploadFile) and upload.filename:
            document = (upload.filename, await upload.read(consent_evidence.MAX_BYTES + 1))
        try:
            errors = await services.give_consent(
                access,
                client_id,
                _id(form.get("recipient")),
                str(form.get("purpose", "")),
                str(form.get("evidence", "")),
                document,
            )
        except LookupError:
            raise NotFoundException from None
        if errors:
            typed = {k: v for k, v in form.items() if isinstance(v, str)}
            return await _detail_again(access, client_id, consent_errors=errors, consent_input=typed)
        return see_other(request, request.app.route_reverse("client", client_id=client_id) + "#consents")

    @get("/{consent_id:int}/evidence", name="consent_evidence", opt=permission("client", "read"))
    async def evidence(self, access: AccessDep, client_id: FromPath[int], consent_id: FromPath[int]) -> Response:
        """The signed form, as an attachment of its checked type: never rendered inline by the browser."""
        try:
            found = await consent_evidence.download(access, client_id, consent_id)
        except LookupError:
            raise NotFoundException from None
        return Response(
            content=found.data,
            media_type=found.content_type,
            headers={
                "Content-Disposition": consent_evidence.disposition(found.filename),
                "X-Content-Type-Options": "nosniff",
            },
        )

    @post("/{consent_id:int}/withdraw", name="consent_withdraw", opt=permission("consent", "manage"))
    async def withdraw(
        self, request: Request, access: AccessDep, client_id: FromPath[int], consent_id: FromPath[int]
    ) -> Response:
        try:
            await services.withdraw_consent(access, client_id, consent_id)
        except LookupError:
            raise NotFoundException from None
        return see_other(request, request.app.route_reverse("client", client_id=client_id) + "#consents")
