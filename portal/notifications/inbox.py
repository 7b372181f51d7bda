"""The inbox: which notifications a person sees, which they have read, and the header's count.

A person sees the notifications of the tenant they act for that are addressed to them, or to an
audience — an (object, action) — Casbin allows them there. The audiences a person holds are worked
out once per person, tenant and policy revision (one `allows` per granted pair), so the header's
count is a single query on every page: the tenant's notifications of the last UNREAD_DAYS days
(index ix_notifications_inbox on tenant_id, created_at) that are addressed to the person and have no
read mark of theirs (the mark's primary key). Older notifications stay listed but no longer count
as unread: what they were about (a referral to answer in five working days, a monthly check-in)
has long been settled or shows on the dashboards, and the count stays bounded however old the
tenant's inbox grows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists, func, insert, literal, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access.guard import Actor
from portal.access.policy import PolicyStore, granted_pairs
from portal.notifications.derived import Item, derived_items
from portal.notifications.models import Notification, NotificationRead
from portal.notifications.text import encode, load_tenant_names, render, tenant_ids

UNREAD_DAYS = 90
PAGE_SIZE = 25
# Reverses a route name and its parameters into a path; None when the route is gone.
Href = Callable[[str, Mapping[str, Any]], str | None]

_audiences: dict[tuple[int, int, int | None], tuple[str, ...]] = {}


def audience_code(obj: str, act: str) -> str:
    return f"{obj}:{act}"


def audiences_of(policy: PolicyStore, actor: Actor) -> tuple[str, ...]:
    """The audiences the actor belongs to in its tenant: the granted pairs Casbin allows it."""
    key = (actor.user_id, actor.tenant_id, policy.loaded_revision)
    found = _audiences.get(key)
    if found is None:
        if len(_audiences) > 10_000:
            _audiences.clear()
        found = tuple(
            sorted(
                audience_code(o, a) for o, a in granted_pairs() if policy.allows(actor.user_id, actor.tenant_id, o, a)
            )
        )
        if policy.enforcer is not None:
            _audiences[key] = found
    return found


def addressed_to(actor: Actor, policy: PolicyStore) -> ColumnElement[bool]:
    """Notifications of the actor's tenant addressed to the actor or to an audience it belongs to."""
    return _addressed(actor.tenant_id, actor.user_id, audiences_of(policy, actor))


def _addressed(tenant: Any, user: Any, audiences: Any) -> ColumnElement[bool]:
    return and_(
        Notification.tenant_id == tenant, or_(Notification.user_id == user, Notification.audience.in_(audiences))
    )


def _read_by(actor: Actor) -> ColumnElement[bool]:
    return _read_by_user(actor.user_id)


def _read_by_user(user: Any) -> ColumnElement[bool]:
    return exists().where(NotificationRead.notification_id == Notification.id, NotificationRead.user_id == user)


def _unread_since(now: datetime) -> datetime:
    """The oldest moment a notification still counts as unread (see UNREAD_DAYS)."""
    return now - timedelta(days=UNREAD_DAYS)


def _fresh(now: datetime) -> ColumnElement[bool]:
    return Notification.created_at >= _unread_since(now)


# The header's count, built once with the person, tenant, audiences and day as parameters: every page
# sends it, and building it anew cost a tenth of a light page's CPU.
_UNREAD = (
    select(func.count())
    .select_from(Notification)
    .where(
        _addressed(bindparam("tenant"), bindparam("user"), bindparam("audiences", expanding=True)),
        Notification.created_at >= bindparam("since"),
        ~_read_by_user(bindparam("user")),
    )
)


async def unread_stored(session: AsyncSession, actor: Actor, policy: PolicyStore, now: datetime) -> int:
    """How many of the actor's notifications are unread: one query."""
    values = {
        "tenant": actor.tenant_id,
        "user": actor.user_id,
        "audiences": list(audiences_of(policy, actor)),
        "since": _unread_since(now),
    }
    return int(await session.scalar(_UNREAD, values) or 0)


async def derived_for(session: AsyncSession, actor: Actor, policy: PolicyStore, now: datetime) -> list[Item]:
    return await derived_items(
        session, actor, now, lambda obj, act: policy.allows(actor.user_id, actor.tenant_id, obj, act)
    )


async def unread_count(session: AsyncSession, actor: Actor, policy: PolicyStore, now: datetime) -> int:
    """The header's figure: unread stored notifications and the derived items that hold now."""
    return await unread_stored(session, actor, policy, now) + len(await derived_for(session, actor, policy, now))


@dataclass(frozen=True)
class Entry:
    """One line of the inbox, rendered in the reader's language."""

    text: str
    href: str | None
    kind: str
    at: datetime | None
    id: int | None = None  # None for a derived item
    unread: bool = False


@dataclass(frozen=True)
class Inbox:
    derived: list[Entry]
    entries: list[Entry]
    older: int | None  # the cursor of the next page
    newest: int | None  # the last notification written that the actor sees, for "mark all as read"
    unread: int


async def inbox(
    session: AsyncSession,
    actor: Actor,
    policy: PolicyStore,
    now: datetime,
    href: Href,
    before: int | None = None,
) -> Inbox:
    """A page of the actor's notifications, newest first, after the derived items that hold now."""
    mine = addressed_to(actor, policy)
    stmt = select(Notification, _read_by(actor).label("read")).where(mine)
    if before is not None:
        cursor = (
            await session.execute(
                select(Notification.created_at, Notification.id).where(mine, Notification.id == before)
            )
        ).first()
        if cursor is not None:
            at, cursor_id = cursor
            stmt = stmt.where(
                or_(Notification.created_at < at, and_(Notification.created_at == at, Notification.id < cursor_id))
            )
    rows = (
        await session.execute(
            stmt.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(PAGE_SIZE + 1)
        )
    ).all()
    older = rows[PAGE_SIZE - 1][0].id if len(rows) > PAGE_SIZE else None
    rows = rows[:PAGE_SIZE]
    items = await derived_for(session, actor, policy, now)
    item_params = [encode(i.params) for i in items]
    names = await load_tenant_names(session, tenant_ids([n.params for n, _read in rows] + item_params))
    horizon = _unread_since(now)
    entries = [
        Entry(
            text=render(n.text, n.params, names),
            href=href(n.route, n.route_params),
            kind=n.kind,
            at=n.created_at,
            id=n.id,
            unread=not read and n.created_at >= horizon,
        )
        for n, read in rows
    ]
    derived = [
        Entry(text=render(i.text, params, names), href=href(i.link.route, i.link.params), kind=i.kind, at=i.at)
        for i, params in zip(items, item_params, strict=True)
    ]
    # "Mark all as read" marks up to this id: ids grow with each notification written.
    newest = await session.scalar(select(func.max(Notification.id)).where(mine))
    return Inbox(
        derived=derived,
        entries=entries,
        older=older,
        newest=newest,
        unread=await unread_stored(session, actor, policy, now),
    )


def _insert_ignoring_duplicates(session: AsyncSession):  # type: ignore[no-untyped-def]
    """INSERT ... ON CONFLICT DO NOTHING: two tabs marking the same notification at once both succeed."""
    dialect = session.bind.dialect.name if session.bind is not None else ""
    if dialect == "postgresql":
        return pg_insert(NotificationRead)
    if dialect == "sqlite":
        return sqlite_insert(NotificationRead)
    return insert(NotificationRead)


async def mark_read(
    session: AsyncSession, actor: Actor, policy: PolicyStore, notification_id: int, now: datetime
) -> bool:
    """Mark one notification read for the actor; False when the actor does not see it (a 404)."""
    found = await session.scalar(
        select(Notification.id).where(addressed_to(actor, policy), Notification.id == notification_id)
    )
    if found is None:
        return False
    stmt = _insert_ignoring_duplicates(session).values(
        notification_id=found, user_id=actor.user_id, tenant_id=actor.tenant_id, read_at=now
    )
    await session.execute(stmt.on_conflict_do_nothing() if hasattr(stmt, "on_conflict_do_nothing") else stmt)
    return True


async def mark_all_read(session: AsyncSession, actor: Actor, policy: PolicyStore, through: int, now: datetime) -> None:
    """Mark read every notification the actor sees up to `through`, the last written when its page was
    shown: one written later, while the page was open, stays unread."""
    unread = select(
        Notification.id,
        literal(actor.user_id),
        literal(actor.tenant_id),
        literal(now, type_=NotificationRead.read_at.type),
    ).where(addressed_to(actor, policy), _fresh(now), Notification.id <= through, ~_read_by(actor))
    stmt = _insert_ignoring_duplicates(session).from_select(
        ["notification_id", "user_id", "tenant_id", "read_at"], unread
    )
    await session.execute(stmt.on_conflict_do_nothing() if hasattr(stmt, "on_conflict_do_nothing") else stmt)
