"""Derived items: reminders computed from stored facts and the clock on every read, never stored.

"The answer is due in 1 working day" is true now and false once the employer answers or the day
passes; storing it would need a job to write it and another to take it back. Instead an area
registers a provider `async (session, actor, now) -> list[Item]` with the (object, action) the
actor must hold for it to be asked; the inbox shows its items above the stored notifications and
the header counts them. A provider runs on every page a signed-in person opens (the header's count):
keep it to one indexed query, scoped to the actor's tenant.

    from portal.notifications import services as notifications

    async def answers_due(session, actor, now) -> list[notifications.Item]:
        ...
    notifications.register_derived(("referral", "answer"), answers_due)

Register at import of a module the app imports (the area's services or routes), as `share(...)`
declarations are made beside their models.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from portal.access.guard import Actor
from portal.notifications.text import Param


@dataclass(frozen=True)
class Link:
    """Where a notification leads: a route's name and its path parameters (reversed when shown)."""

    route: str
    params: Mapping[str, int | str] = field(default_factory=dict)


@dataclass(frozen=True)
class Item:
    """A derived reminder: its words (msgid and parameters, as a notification's) and where it leads."""

    key: str  # stable while it holds, e.g. "referral-due:12"
    kind: str
    text: str
    link: Link
    params: Mapping[str, Param] = field(default_factory=dict)
    at: datetime | None = None  # the moment it is about (a deadline), shown beside it


Provider = Callable[[AsyncSession, Actor, datetime], Awaitable[list[Item]]]


@dataclass(frozen=True)
class Registered:
    needs: tuple[str, str]  # (object, action) the actor must be allowed
    provider: Provider


PROVIDERS: list[Registered] = []


def register_derived(needs: tuple[str, str], provider: Provider) -> Provider:
    """Add a provider of derived items, asked only for actors Casbin allows `needs` (object, action)."""
    entry = Registered(needs=(str(needs[0]), str(needs[1])), provider=provider)
    if entry not in PROVIDERS:
        PROVIDERS.append(entry)
    return provider


async def derived_items(
    session: AsyncSession, actor: Actor, now: datetime, allows: Callable[[str, str], bool]
) -> list[Item]:
    """Every registered provider's items for this actor, in registration order."""
    found: list[Item] = []
    for entry in list(PROVIDERS):
        if allows(*entry.needs):
            found.extend(await entry.provider(session, actor, now))
    return found
