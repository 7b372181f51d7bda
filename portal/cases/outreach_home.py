"""Home-page card of the outreach list: how many persons it holds, how many nobody has visited yet,
and who wants work or training but has no case yet: the social worker's next steps."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access.guard import Actor
from portal.access.kernel import Access
from portal.access.policy import PolicyStore
from portal.cases.models import CASE_OUTCOMES, OutreachPerson
from portal.home.card import Card, Link
from portal.i18n import gettext as _
from portal.i18n import ngettext


async def outreach_card(session: AsyncSession, actor: Actor, now: datetime, policy: PolicyStore) -> Card:
    """Counts only, scoped like the list itself; a count shows no one's data."""
    access = Access(session, policy, actor, now)

    async def count(*where) -> int:  # type: ignore[no-untyped-def]
        stmt = await access.scope(select(OutreachPerson.id).where(*where), OutreachPerson, "list", "contact")
        return await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0

    listed = await count()
    waiting = await count(OutreachPerson.outcome == "")
    ready = await count(OutreachPerson.outcome.in_(CASE_OUTCOMES), OutreachPerson.case_id.is_(None))
    return Card(
        key="outreach",
        title=_("Outreach list"),
        empty=_(
            "Nobody on your outreach list yet. Import the list of persons with a TIEK work recommendation in "
            "your mahallas; they appear here with the visits still to make."
        ),
        figures=[
            (listed, ngettext("%(num)d person on the list", "%(num)d persons on the list", listed) % {"num": listed}),
            (waiting, ngettext("%(num)d not visited yet", "%(num)d not visited yet", waiting) % {"num": waiting}),
            (
                ready,
                ngettext(
                    "%(num)d wants work or training and has no case yet",
                    "%(num)d want work or training and have no case yet",
                    ready,
                )
                % {"num": ready},
            ),
        ],
        links=[
            Link("/outreach", _("Open the outreach list")),
            Link("/outreach/imports", _("Import a list"), ("outreach", "import")),
        ],
    )
