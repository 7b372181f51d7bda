"""The card registry: every area's home-page cards, in the order they are shown.

An area adds a card by writing a provider `async (session, actor, now, policy) -> Card | None` in its
own `home.py` and listing it here with the (object, action) an actor must be allowed to see it. The
policy decides, never a role name: a card whose subject the actor may not touch is not even computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from portal.access.guard import Actor
from portal.access.policy import PolicyStore
from portal.cases import home as cases_home
from portal.home import reads as access_home
from portal.home.card import Card, CardProvider, Link
from portal.i18n import gettext as _
from portal.i18n import ngettext
from portal.partnership import home as partnership_home
from portal.tenants import services as tenant_services


async def users(session: AsyncSession, actor: Actor, now: datetime, policy: PolicyStore) -> Card:
    count = len(await tenant_services.list_tenant_users(session, actor.tenant_id))
    return Card(
        key="users",
        title=_("Users of your organisation"),
        empty="",
        figures=[
            (
                count,
                ngettext(
                    "%(num)d person can act for your organisation.",
                    "%(num)d people can act for your organisation.",
                    count,
                )
                % {"num": count},
            )
        ],
        links=[Link("/admin/users", _("Manage users and roles"))],
    )


@dataclass(frozen=True)
class Registered:
    subject: tuple[str, str]  # (object, action) the actor must be allowed
    provider: CardProvider


CARDS: list[Registered] = [
    # What is due first: answers, reviews, a caseload's deadlines, late check-ins.
    Registered(("referral", "review"), cases_home.review_queue),
    Registered(("referral", "answer"), cases_home.referrals_to_answer),
    Registered(("referral", "send"), cases_home.referrals_needing_attention),
    Registered(("case", "update"), cases_home.caseload),
    Registered(("placement", "manage"), cases_home.late_check_ins),
    Registered(("agreement", "sign"), partnership_home.awaiting_signature),
    Registered(("agreement", "draft"), partnership_home.drafts),
    Registered(("agreement", "list"), partnership_home.recent_or_ending),
    Registered(("client", "list"), cases_home.clients),
    Registered(("outreach", "list"), cases_home.outreach),
    Registered(("audit", "view"), access_home.recent_reads),
    Registered(("user", "list"), users),
]


async def cards_for(session: AsyncSession, actor: Actor, now: datetime, policy: PolicyStore) -> list[Card]:
    """The cards this actor may see, computed in registry order."""
    found = []
    for entry in CARDS:
        if policy.allows(actor.user_id, actor.tenant_id, *entry.subject):
            card = await entry.provider(session, actor, now, policy)
            if card is not None:
                found.append(card)
    return found
