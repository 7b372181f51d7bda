"""Home-page card about clients: how many our organisation registered and how many partners share."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access.guard import Actor
from portal.access.kernel import Access
from portal.access.policy import PolicyStore
from portal.cases.models import Client
from portal.cases.outreach_home import outreach_card as outreach  # noqa: F401 - the outreach list's card
from portal.cases.work_home import (  # noqa: F401 - the cards of the work itself
    caseload,
    late_check_ins,
    referrals_needing_attention,
    referrals_to_answer,
    review_queue,
)
from portal.home.card import Card, Link
from portal.i18n import gettext as _
from portal.i18n import ngettext

# Beyond this many shared clients the card says "more than": an exact count read every one of them.
SHARED_COUNTED = 1000


async def clients(session: AsyncSession, actor: Actor, now: datetime, policy: PolicyStore) -> Card:
    """Counts only: a count shows no one's data, so it is not a reading to record."""
    own = await session.scalar(select(func.count(Client.id)).where(Client.tenant_id == actor.tenant_id)) or 0
    # The kernel counts the rows its scope lets the client list show, so the two never differ.
    shared = await Access(session, policy, actor, now).count(Client, foreign_only=True, at_most=SHARED_COUNTED)
    return Card(
        key="clients",
        title=_("Clients"),
        empty=_(
            "No clients yet. Clients your organisation registers appear here, and so do clients partners share "
            "with you under an agreement in force."
        ),
        figures=[
            (
                own,
                ngettext("%(num)d client of your organisation", "%(num)d clients of your organisation", own)
                % {"num": own},
            ),
            (
                shared,
                _("More than %(num)d clients shared with you by partners") % {"num": SHARED_COUNTED}
                if shared > SHARED_COUNTED
                else ngettext(
                    "%(num)d client shared with you by partners", "%(num)d clients shared with you by partners", shared
                )
                % {"num": shared},
            ),
        ],
        links=[
            Link("/clients", _("Open the list of clients")),
            Link("/clients/new", _("Register a client"), ("client", "create")),
        ],
    )
