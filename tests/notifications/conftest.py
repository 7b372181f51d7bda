"""A real SMTP server on loopback, and helpers that notify as a tenant's transaction would."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from portal.db import make_engine, make_sessionmaker, tenant_session
from portal.settings import Settings
from portal.tenants.models import Tenant, User
from tests.conftest import with_db


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Mailbox:
    """What the loopback server accepted: one parsed message per delivery."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # addresses answered 550
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def] # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def] # noqa: N802
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 Message accepted"

    def ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.messages]


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def smtp_settings(settings: Settings, port: int, **overrides: Any) -> Settings:
    from dataclasses import replace

    values = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "none",
        "smtp_from": "IKM portali <portal@icm.test>",
        "smtp_timeout": 5,
    }
    values.update(overrides)
    return replace(settings, **values)


async def ids_of(session, *, tenants: list[str] = (), users: list[str] = ()) -> dict[str, int]:  # type: ignore[no-untyped-def, assignment]
    found = {}
    for slug in tenants:
        found[slug] = int(await session.scalar(select(Tenant.id).where(Tenant.slug == slug)))
    for login in users:
        found[login] = int(await session.scalar(select(User.id).where(User.login == login)))
    return found


def lookup(settings: Settings, *, tenants: list[str] = (), users: list[str] = ()) -> dict[str, int]:  # type: ignore[assignment]
    return with_db(settings, lambda s: ids_of(s, tenants=tenants, users=users))


def give_addresses(settings: Settings, addresses: dict[str, tuple[str, str | None]]) -> None:
    """login -> (e-mail, language) on the users' profiles."""

    async def work(session):  # type: ignore[no-untyped-def]
        for login, (email, language) in addresses.items():
            user = await session.scalar(select(User).where(User.login == login))
            user.email, user.language = email, language

    with_db(settings, work)


def as_tenant(settings: Settings, tenant_id: int, work, commit: bool = True):  # type: ignore[no-untyped-def]
    """Run `await work(session)` in a transaction of the web app's role acting for `tenant_id`
    (row-level security holds on PostgreSQL), committed or rolled back."""

    async def go():  # type: ignore[no-untyped-def]
        engine = make_engine(settings.app_url)
        try:
            async with tenant_session(make_sessionmaker(engine), tenant_id) as session:
                result = await work(session)
                if commit:
                    await session.commit()
                else:
                    await session.rollback()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(go())


@pytest.fixture(autouse=True)
def empty_inboxes(settings: Settings) -> None:
    """These tests count what they themselves write: the demo's referrals (whose reminders are derived
    from the clock) and the notices and e-mails they left are set aside first."""
    from sqlalchemy import delete

    from portal.cases.models import Referral
    from portal.notifications.models import Notification, NotificationRead, OutboxMessage

    async def clear(session):  # type: ignore[no-untyped-def]
        for model in (NotificationRead, OutboxMessage, Notification, Referral):
            await session.execute(delete(model))

    with_db(settings, clear)
