"""Clients: list, register, edit, the redacted detail page, engagements and consents.

A client that the actor may not read is a 404, never a 403: the answer must not confirm that the
person is registered with another organisation.
"""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery

from portal.access import permission
from portal.cases import services
from portal.cases.models import DISABILITY_GROUPS, ENGAGEMENT_KINDS
from portal.i18n import gettext as _
from portal.i18n import lazy
from portal.partnership.models import PURPOSES
from portal.web import DB, CurrentActor, flash, is_htmx, now, page, see_other


def _client_form(form) -> services.ClientForm:  # type: ignore[no-untyped-def]
    values = {
        name: str(form.get(name, ""))
        for name in services.ClientForm.__dataclass_fields__
        if name not in ("version", "errors")
    }
    version = str(form.get("version", ""))
    return services.ClientForm(**values, version=int(version) if version.isdigit() else None)


async def _form_page(db: DB, form: services.ClientForm, client_id: int | None, status_code: int = 200) -> Response:
    return page(
        "cases/client_form.html",
        status_code=status_code,
        form=form,
        client_id=client_id,
        districts=await services.districts(db),
        groups=DISABILITY_GROUPS,
        genders=services.GENDERS,
    )


class ClientsController(Controller):
    path = "/clients"

    @get("/", name="clients", opt=permission("client", "list"))
    async def index(self, request: Request, db: DB, actor: CurrentActor, q: FromQuery[str] = "") -> Response:
        views = await services.list_clients(db, request.app.state.policy, actor, now(request), q[:100])
        template = "cases/_client_rows.html" if is_htmx(request) else "cases/clients.html"
        return page(template, clients=views, q=q[:100])

    @get("/new", name="client_new", opt=permission("client", "create"))
    async def new(self, db: DB) -> Response:
        return await _form_page(db, services.ClientForm(), None)

    @post("/", name="client_create", opt=permission("client", "create"))
    async def create(self, request: Request, db: DB, actor: CurrentActor) -> Response:
        form = _client_form(await request.form())
        client_id = await services.create_client(db, actor, form, now(request))
        if client_id is None:
            return await _form_page(db, form, None, status_code=422)
        return flash(request, see_other(request, f"/clients/{client_id}"), lazy("The client is registered."))

    @get("/{client_id:int}", name="client", opt=permission("client", "read"))
    async def detail(self, request: Request, db: DB, actor: CurrentActor, client_id: FromPath[int]) -> Response:
        view = await services.read_client(db, request.app.state.policy, actor, client_id, now(request))
        if view is None:
            raise NotFoundException
        return await _detail_page(db, actor, view)

    @get("/{client_id:int}/edit", name="client_edit", opt=permission("client", "update"))
    async def edit(self, db: DB, actor: CurrentActor, client_id: FromPath[int]) -> Response:
        client = await services.own_client(db, actor, client_id)
        if client is None:
            raise NotFoundException
        return await _form_page(db, services.ClientForm.of(client), client_id)

    @post("/{client_id:int}", name="client_update", opt=permission("client", "update"))
    async def update(self, request: Request, db: DB, actor: CurrentActor, client_id: FromPath[int]) -> Response:
        if await services.own_client(db, actor, client_id) is None:
            raise NotFoundException
        form = _client_form(await request.form())
        try:
            saved = await services.update_client(db, actor, client_id, form, now(request))
        except services.EditConflict:
            await db.rollback()
            current = await services.own_client(db, actor, client_id)
            if current is None:
                raise NotFoundException from None
            form.version = current.version
            form.errors["form"] = _(
                "Someone else changed this client while you were editing, so your changes were not saved. "
                "Your changes are kept in the form; the saved values are shown beside it. Check and save again."
            )
            response = await _form_page(db, form, client_id, status_code=409)
            response.context["saved"] = services.ClientForm.of(current)
            return response
        if not saved:
            return await _form_page(db, form, client_id, status_code=422)
        return flash(request, see_other(request, f"/clients/{client_id}"), lazy("The client's record is saved."))

    @post("/{client_id:int}/engagements", name="engagement_open", opt=permission("engagement", "manage"))
    async def open_engagement(
        self, request: Request, db: DB, actor: CurrentActor, client_id: FromPath[int]
    ) -> Response:
        form = await request.form()
        recipient = str(form.get("recipient", ""))
        try:
            errors = await services.open_engagement(
                db,
                actor,
                client_id,
                int(recipient) if recipient.isdigit() else 0,
                str(form.get("kind", "")),
                now(request),
            )
        except LookupError:
            raise NotFoundException from None
        if errors:
            return await _detail_again(request, db, actor, client_id, engagement_errors=errors)
        return see_other(request, f"/clients/{client_id}#engagements")

    @post(
        "/{client_id:int}/engagements/{engagement_id:int}/close",
        name="engagement_close",
        opt=permission("engagement", "manage"),
    )
    async def close_engagement(
        self, request: Request, db: DB, actor: CurrentActor, client_id: FromPath[int], engagement_id: FromPath[int]
    ) -> Response:
        try:
            await services.close_engagement(db, actor, client_id, engagement_id, now(request))
        except LookupError:
            raise NotFoundException from None
        return see_other(request, f"/clients/{client_id}#engagements")

    @post("/{client_id:int}/consents", name="consent_give", opt=permission("consent", "manage"))
    async def give_consent(self, request: Request, db: DB, actor: CurrentActor, client_id: FromPath[int]) -> Response:
        form = await request.form()
        recipient = str(form.get("recipient", ""))
        try:
            errors = await services.give_consent(
                db,
                actor,
                client_id,
                int(recipient) if recipient.isdigit() else 0,
                str(form.get("purpose", "")),
                str(form.get("evidence", "")),
                now(request),
            )
        except LookupError:
            raise NotFoundException from None
        if errors:
            return await _detail_again(request, db, actor, client_id, consent_errors=errors, consent_input=dict(form))
        return see_other(request, f"/clients/{client_id}#consents")

    @post(
        "/{client_id:int}/consents/{consent_id:int}/withdraw",
        name="consent_withdraw",
        opt=permission("consent", "manage"),
    )
    async def withdraw_consent(
        self, request: Request, db: DB, actor: CurrentActor, client_id: FromPath[int], consent_id: FromPath[int]
    ) -> Response:
        try:
            await services.withdraw_consent(db, actor, client_id, consent_id, now(request))
        except LookupError:
            raise NotFoundException from None
        return see_other(request, f"/clients/{client_id}#consents")


async def _detail_page(db: DB, actor: CurrentActor, view, status_code: int = 200, **extra) -> Response:  # type: ignore[no-untyped-def]
    context = {"client": view, "engagements": [], "consents": [], "partners": [], "recorders": {}}
    if view.own:
        consents = await services.consents_of(db, actor, view.id)
        context.update(
            engagements=await services.engagements_of(db, actor, view.id),
            consents=consents,
            partners=await services.partners(db, actor),
            recorders=await services.user_names(
                db,
                {c.given_recorded_by for c in consents}
                | {c.withdrawn_recorded_by for c in consents if c.withdrawn_recorded_by},
            ),
        )
    context.update(
        kinds=ENGAGEMENT_KINDS,
        purposes=PURPOSES,
        engagement_errors={},
        consent_errors={},
        consent_input={},
    )
    context.update(extra)
    return page("cases/client.html", status_code=status_code, **context)


async def _detail_again(request: Request, db: DB, actor: CurrentActor, client_id: int, **extra) -> Response:  # type: ignore[no-untyped-def]
    view = await services.read_client(db, request.app.state.policy, actor, client_id, now(request))
    if view is None:
        raise NotFoundException
    return await _detail_page(db, actor, view, status_code=422, **extra)
