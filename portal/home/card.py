"""What a home-page card is. Areas build cards from their own data; the home page only shows them.

A card provider is `async (session, actor, now, policy) -> Card | None` (None: nothing to say to this
actor) and is listed once, with the (object, action) the actor must be allowed, in portal/home/cards.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from portal.access.guard import Actor
from portal.access.policy import PolicyStore


@dataclass(frozen=True)
class Item:
    """One line of a card: what it is, where to go, and a short note beneath it."""

    text: str
    href: str | None = None
    note: str = ""
    status: str | None = None  # an agreement status code, shown as its label


@dataclass(frozen=True)
class Link:
    href: str
    text: str
    needs: tuple[str, str] | None = None  # shown only when the actor may (object, action)


@dataclass(frozen=True)
class Card:
    key: str  # a stable id: the heading's id and a hook for tests
    title: str
    empty: str  # shown when there are no items: what will appear here and how to start
    items: list[Item] = field(default_factory=list)
    # A count and the sentence that states it, e.g. (15, "15 clients of your organisation").
    figures: list[tuple[int, str]] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.items and not any(n for n, _text in self.figures)


CardProvider = Callable[[AsyncSession, Actor, datetime, PolicyStore], Awaitable[Card | None]]
