"""The home page (the dashboard): the cards the actor may see, computed from the data."""

from __future__ import annotations

from litestar import Controller, Request, Response, get

from portal.access import permission
from portal.home.cards import cards_for
from portal.web import DB, CurrentActor, now, page


class DashboardController(Controller):
    path = "/"

    @get("/", name="dashboard", opt=permission("dashboard", "view"))
    async def dashboard(self, request: Request, db: DB, actor: CurrentActor) -> Response:
        cards = await cards_for(db, actor, now(request), request.app.state.policy)
        return page("tenants/dashboard.html", cards=cards)
