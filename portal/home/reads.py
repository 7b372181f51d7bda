"""Home-page card for the data owner: the latest readings of its clients' data by partners."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from portal.access.guard import Actor
from portal.access.overview import reads_of_our_clients
from portal.access.policy import PolicyStore
from portal.home.card import Card, Item, Link
from portal.i18n import current_language
from portal.i18n import gettext as _
from portal.labels import labels, local_datetime

LATEST = 5


async def recent_reads(session: AsyncSession, actor: Actor, now: datetime, policy: PolicyStore) -> Card:
    entries, _older = await reads_of_our_clients(session, actor.tenant_id, limit=LATEST)
    language = current_language()
    items = [
        Item(
            _("%(who)s (%(organisation)s) read %(data)s")
            % {
                "who": e.reader_name,
                "organisation": e.reader_tenant.get(language) or e.reader_tenant.get("uz", ""),
                "data": labels("category", e.categories) or _("the client's record"),
            },
            f"/clients/{e.client_id}" if e.client_id else None,
            local_datetime(e.at),
        )
        for e in entries
    ]
    return Card(
        key="reads",
        title=_("Latest readings of our clients' data by partners"),
        empty=_(
            "No partner has read your clients' data. Each reading under an agreement is recorded and the latest "
            "appear here."
        ),
        items=items,
        links=[Link("/sharing/reads", _("All readings"))],
    )
