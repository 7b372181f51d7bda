"""The inbox page, its mark-as-read forms, and the header's count of unread notifications.

Every signed-in person has an inbox in the organisation they act for, whatever their roles: the
routes are `authenticated()`, and what each person sees is decided per notification (addressed to
them, or to an audience Casbin allows them). A notification they do not see is a 404, in their own
tenant as in another's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery

from portal.access import authenticated
from portal.i18n import lazy
from portal.notifications import services
from portal.web import DB, CurrentActor, flash, is_htmx, now, page, parse_int, request_session, see_other


def _href(request: Request):  # type: ignore[no-untyped-def]
    def href(route: str, params: Mapping[str, Any]) -> str | None:
        try:
            return request.app.route_reverse(route, **params)
        except Exception:  # noqa: BLE001 - a route renamed since: show the text without its link
            return None

    return href


async def count_for_header(request: Request) -> None:
    """Before each full page a signed-in person opens: the figure beside "Notifications" in the header.

    In the request's own session and transaction (portal/web.py: request_session) and, without
    derived-item providers, one indexed query. Forms, redirects and HTMX fragments have no header: nothing runs."""
    state = request.scope.get("state", {})
    actor = state.get("actor")
    if actor is None or request.method != "GET" or is_htmx(request):
        return None
    policy = request.app.state.policy
    session = request_session(request)
    if session is None:
        return None
    if policy.enforcer is None:
        # The guard refreshes the role policy before every route that names a permission; only a
        # process's first request, to a route that needs none, finds it not yet loaded.
        await policy.refresh(session)
    state["unread"] = await services.unread_count(session, actor, policy, now(request))
    return None


class InboxController(Controller):
    path = "/inbox"

    @get("/", name="inbox", opt=authenticated())
    async def index(self, request: Request, db: DB, actor: CurrentActor, before: FromQuery[str] = "") -> Response:
        policy = request.app.state.policy
        await policy.refresh(db)
        listing = await services.inbox(db, actor, policy, now(request), _href(request), before=parse_int(before))
        return page("notifications/inbox.html", inbox=listing, before=parse_int(before))

    @post("/{notification_id:int}/read", name="notification_read", opt=authenticated())
    async def read(self, request: Request, db: DB, actor: CurrentActor, notification_id: FromPath[int]) -> Response:
        policy = request.app.state.policy
        await policy.refresh(db)
        if not await services.mark_read(db, actor, policy, notification_id, now(request)):
            raise NotFoundException
        return see_other(request, _back(request, (await request.form()).get("before")))

    @post("/read", name="notifications_read_all", opt=authenticated())
    async def read_all(self, request: Request, db: DB, actor: CurrentActor) -> Response:
        policy = request.app.state.policy
        await policy.refresh(db)
        form = await request.form()
        through = parse_int(form.get("through"))
        if through is not None:
            await services.mark_all_read(db, actor, policy, through, now(request))
        target = see_other(request, _back(request, form.get("before")))
        return flash(request, target, lazy("Your notifications are marked as read."))


def _back(request: Request, before: object) -> str:
    """The inbox page the form was on."""
    cursor = parse_int(before)
    target = request.app.route_reverse("inbox")
    return f"{target}?before={cursor}" if cursor is not None else target
