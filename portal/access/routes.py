"""Pages for the data owner: what is shared with whom, and who read its clients' data."""

from __future__ import annotations

from litestar import Controller, Request, Response, get

from portal.access import overview, permission
from portal.web import DB, CurrentActor, now, page


class SharingController(Controller):
    path = "/sharing"

    @get("/", name="sharing", opt=permission("sharing", "view"))
    async def matrix(self, request: Request, db: DB, actor: CurrentActor) -> Response:
        ours, theirs = await overview.sharing_matrix(db, actor.tenant_id, now(request))
        return page("access/sharing.html", ours=ours, theirs=theirs)

    @get("/reads", name="sharing_reads", opt=permission("audit", "view"))
    async def reads(self, request: Request, db: DB, actor: CurrentActor) -> Response:
        """Filtered by GET parameters (partner, client, from, to, kind) and paged by `before` (an entry id)."""
        partners = await overview.reading_partners(db, actor.tenant_id)
        filters = overview.ReadsFilter.of(request.query_params)
        overview.check_filter(filters, partners)
        entries, older = [], None
        if not filters.errors:
            entries, older = await overview.reads_of_our_clients(db, actor.tenant_id, filters)
        return page(
            "access/reads.html",
            status_code=422 if filters.errors else 200,
            entries=entries,
            older=older,
            filters=filters,
            form=filters,
            partners=partners,
        )
