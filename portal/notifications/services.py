"""The notifications area's public services: what other areas call. No HTTP here.

Tell people something in the transaction of the event itself:

    from portal.notifications import services as notifications

    await notifications.notify(
        session, referral.recipient_tenant_id,
        audience=("referral", "answer"),          # or user_id=... for one person
        kind="referral_received",
        link=("referral", {"referral_id": referral.id}),
        text=lazy("%(sender)s sent your organisation a referral."),
        params={"sender": notifications.TenantName(referral.tenant_id)},
        now=access.now,
    )

The notification and, with `email=True`, one outbox message per addressed person who has an
e-mail address are added to the caller's session: they commit with the event or not at all, and
`portal worker` sends the e-mails only after that commit. Parameters carry no client data (names,
PINFL): the link leads to the record, which its reader opens through the access kernel.

Reminders that hold only while a fact and the clock say so ("the answer is due tomorrow") are not
stored: register a provider with `register_derived` (see portal/notifications/derived.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access.policy import granted_pairs, holders
from portal.db import TENANT
from portal.i18n import DEFAULT_LANGUAGE, LANGUAGES
from portal.notifications.derived import Item, Link, Provider, register_derived
from portal.notifications.inbox import (
    Entry,
    Inbox,
    audience_code,
    inbox,
    mark_all_read,
    mark_read,
    unread_count,
)
from portal.notifications.models import PENDING, Notification, OutboxMessage
from portal.notifications.text import Label, Param, TenantName, check, encode
from portal.tenants.models import Membership, User

__all__ = [
    "Entry",
    "Inbox",
    "Item",
    "Label",
    "Link",
    "Param",
    "Provider",
    "TenantName",
    "inbox",
    "mark_all_read",
    "mark_read",
    "notify",
    "register_derived",
    "unread_count",
]

_KIND = re.compile(r"[a-z][a-z0-9_]{0,39}")


def _link(link: Link | tuple[str, Mapping[str, int | str]]) -> Link:
    found = link if isinstance(link, Link) else Link(link[0], dict(link[1]))
    if not isinstance(found.route, str) or not found.route or len(found.route) > 80:
        raise ValueError("a notification links to a route by its name")
    for name, value in found.params.items():
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise TypeError(f"route parameter {name} must be a number or text")
    return found


async def notify(
    session: AsyncSession,
    tenant_id: int,
    *,
    audience: tuple[str, str] | None = None,
    user_id: int | None = None,
    kind: str,
    link: Link | tuple[str, Mapping[str, int | str]],
    text: str,
    params: Mapping[str, Param] | None = None,
    email: bool = True,
    now: datetime,
) -> Notification:
    """Tell the tenant's people who hold `audience` (object, action), or one member `user_id`, in the
    caller's transaction; with `email`, queue an e-mail to each of them who has an address."""
    if (audience is None) == (user_id is None):
        raise ValueError("address a notification to an audience or to one user, not both")
    if audience is not None and tuple(audience) not in granted_pairs():
        raise ValueError(f"no role is granted {audience!r}: nobody would ever read this notification")
    if not _KIND.fullmatch(kind):
        raise ValueError(f"kind {kind!r}: small Latin letters, digits and _, at most 40")
    target = _link(link)
    encoded = encode(params or {})
    check(text, encoded)
    if user_id is not None and not await _is_member(session, tenant_id, user_id):
        raise ValueError(f"user {user_id} is no active member of tenant {tenant_id}")
    notification = Notification(
        tenant_id=tenant_id,
        sender_tenant_id=session.info.get(TENANT),
        audience=audience_code(*audience) if audience is not None else None,
        user_id=user_id,
        kind=kind,
        route=target.route,
        route_params=dict(target.params),
        text=text,
        params=encoded,
        email=email,
        created_at=now,
    )
    session.add(notification)
    await session.flush()
    if email:
        people = [user_id] if user_id is not None else await holders(session, tenant_id, *audience)  # type: ignore[misc]
        for person, address, language in await _addresses(session, people):
            session.add(
                OutboxMessage(
                    notification_id=notification.id,
                    tenant_id=tenant_id,
                    user_id=person,
                    address=address,
                    language=language if language in LANGUAGES else DEFAULT_LANGUAGE,
                    status=PENDING,
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
        await session.flush()
    return notification


async def _is_member(session: AsyncSession, tenant_id: int, user_id: int) -> bool:
    found = await session.scalar(
        select(Membership.id).where(
            Membership.tenant_id == tenant_id, Membership.user_id == user_id, Membership.is_active.is_(True)
        )
    )
    return found is not None


async def _addresses(session: AsyncSession, user_ids: list[int]) -> list[tuple[int, str, str | None]]:
    """(user, e-mail address, language) of the active people among `user_ids` who gave an address."""
    if not user_ids:
        return []
    rows = await session.execute(
        select(User.id, User.email, User.language)
        .where(User.id.in_(user_ids), User.is_active.is_(True), User.email.is_not(None), User.email != "")
        .order_by(User.id)
    )
    return [(int(i), str(e), lang) for i, e, lang in rows.all()]
