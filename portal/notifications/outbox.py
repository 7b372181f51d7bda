"""`portal worker`: sends the e-mails of the outbox, after the transactions that wrote them committed.

Why an outbox table and not procrastinate (a kept PostgreSQL task queue): the one property that
matters is that an e-mail exists exactly when its event committed. A row of `email_outbox` written
in the event's own transaction has that property by the database's atomicity, on PostgreSQL and on
the embedded SQLite alike. procrastinate would bring psycopg beside asyncpg, a schema of its own to
migrate, and a defer that runs on its own connection — so "in the same transaction" would have to
be rebuilt by hand — while the embedded SQLite demo would still need this path. What a queue adds
here is a few lines the database already guarantees:

- PostgreSQL: each message is claimed with `SELECT ... FOR UPDATE SKIP LOCKED`, sent, and marked
  sent in the same transaction; a second worker skips the locked row, so two workers never send
  one message, and a message whose "sent" committed is never picked again.
- SQLite: the same loop takes the database's write lock before it looks (one writer at a time), so
  even the demo's thread and a `portal worker` started beside it never send a message twice. The
  lock is held while one message is handed to the server (at most SMTP_TIMEOUT seconds).

A failed attempt is counted, its error kept, and the message waits ever longer (BACKOFF doubling
from one minute, at most six hours) until MAX_ATTEMPTS, or a permanent refusal (5xx), marks it
failed. A crash between the server accepting a message and its "sent" committing sends it again
on the next attempt (at least once); its Message-ID stays the same.

The worker connects with DATABASE_URL, the owner's role, like every `portal` command: it reads the
notifications of every tenant to write their e-mails, which row-level security would hide from the
web app's role. The outbox itself has no row-level security (migration 0016 says why).

Without SMTP_HOST nothing is sent: messages stay in the outbox, and the worker writes each one to
its log once (the embedded demo's console), so one can see what would have gone out.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.db import Clock, make_engine, make_sessionmaker, utcnow
from portal.notifications.mail import LinkFor, PermanentFailure, SMTPMailer, compose, mailer_from
from portal.notifications.models import FAILED, PENDING, SENT, Notification, OutboxMessage
from portal.notifications.text import load_tenant_names, tenant_ids

log = logging.getLogger("portal.notifications")

MAX_ATTEMPTS = 8
BATCH = 100


def backoff(attempts: int) -> timedelta:
    """How long a message waits after its `attempts`-th failure: 1, 2, 4... minutes, at most 6 hours."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), timedelta(hours=6))


@dataclass
class Report:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.failed


async def _claim(session: AsyncSession, now: datetime) -> OutboxMessage | None:
    """The oldest due message, locked for this transaction (skipped by every other worker)."""
    bind = session.bind
    if bind is not None and bind.dialect.name == "sqlite":
        await session.execute(text("UPDATE email_outbox SET attempts = attempts WHERE 1 = 0"))
    return await session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


async def _message_of(session: AsyncSession, message: OutboxMessage, link_for: LinkFor, sender: str):  # type: ignore[no-untyped-def]
    notification = await session.get(Notification, message.notification_id)
    assert notification is not None  # noqa: S101 - the foreign key cascades
    names = await load_tenant_names(session, tenant_ids([notification.params]))
    return compose(message, notification, names, link_for, sender)


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    mailer: SMTPMailer,
    link_for: LinkFor,
    clock: Clock = utcnow,
    limit: int = BATCH,
) -> Report:
    """Send the messages due now, each in its own transaction; stop early when the server is unreachable."""
    report = Report()
    for _ in range(limit):
        async with sessionmaker() as session, session.begin():
            now = clock()
            message = await _claim(session, now)
            if message is None:
                break
            email = await _message_of(session, message, link_for, mailer.sender)
            message.attempts += 1
            try:
                await mailer.send(email)
            except PermanentFailure as exc:
                message.status, message.last_error = FAILED, str(exc)[:2000]
                report.failed += 1
                log.warning("e-mail %s refused for good: %s", message.id, exc)
                continue
            except (OSError, smtplib.SMTPException) as exc:
                message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if message.attempts >= MAX_ATTEMPTS:
                    message.status = FAILED
                    report.failed += 1
                else:
                    message.next_attempt_at = now + backoff(message.attempts)
                    report.retrying += 1
                log.warning("e-mail %s not sent (attempt %s): %s", message.id, message.attempts, exc)
                if _server_down(exc):
                    break  # the others would only wait for their timeouts too
                continue
            message.status, message.sent_at, message.last_error = SENT, now, None
            report.sent += 1
    return report


def _server_down(exc: Exception) -> bool:
    """Unreachable or gone (not a refusal of one message); smtplib's errors are OSErrors too."""
    if isinstance(exc, smtplib.SMTPConnectError | smtplib.SMTPServerDisconnected):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


async def show_pending(
    sessionmaker: async_sessionmaker[AsyncSession], link_for: LinkFor, sender: str, shown: set[int]
) -> int:
    """Without an SMTP server: write each pending message to the log once, and leave it in the outbox."""
    async with sessionmaker() as session:
        messages = (
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.status == PENDING, OutboxMessage.id.not_in(sorted(shown) or [0]))
                .order_by(OutboxMessage.id)
                .limit(BATCH)
            )
        ).all()
        for message in messages:
            email = await _message_of(session, message, link_for, sender)
            log.info(
                "E-mail kept in the outbox (SMTP_HOST is not set) to %s\nSubject: %s\n\n%s",
                message.address,
                email["Subject"],
                email.get_content().strip(),
            )
            shown.add(message.id)
    return len(messages)


async def run_worker(
    settings,  # type: ignore[no-untyped-def]
    link_for: LinkFor,
    *,
    once: bool = False,
    every: float = 5.0,
    stop: threading.Event | None = None,
    clock: Clock = utcnow,
) -> None:
    """Look at the outbox every `every` seconds (or once), sending or, without SMTP, showing what is due."""
    engine = make_engine(settings.database_url)
    sessionmaker = make_sessionmaker(engine)
    mailer = mailer_from(settings)
    if mailer is None:
        log.info("SMTP_HOST is not set: e-mails stay in the outbox and are written to this log")
    shown: set[int] = set()
    try:
        while not (stop is not None and stop.is_set()):
            try:
                if mailer is not None:
                    report = await deliver_due(sessionmaker, mailer, link_for, clock)
                    if report.attempted:
                        log.info(
                            "e-mails: %s sent, %s to retry, %s failed", report.sent, report.retrying, report.failed
                        )
                else:
                    await show_pending(sessionmaker, link_for, settings.smtp_from or "portal@localhost", shown)
            except Exception:  # noqa: BLE001 - a database hiccup must not end the worker
                log.exception("the outbox could not be read; trying again")
            if once:
                break
            await _sleep(every, stop)
    finally:
        await engine.dispose()


async def _sleep(seconds: float, stop: threading.Event | None) -> None:
    end = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < end:
        if stop is not None and stop.is_set():
            return
        await asyncio.sleep(min(0.5, seconds))


def start_in_thread(settings, link_for: LinkFor, every: float = 5.0) -> threading.Event:  # type: ignore[no-untyped-def]
    """The embedded demo's delivery: the worker in a thread beside the server. Set the event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=lambda: asyncio.run(run_worker(settings, link_for, every=every, stop=stop)),
        name="portal-outbox",
        daemon=True,
    )
    thread.start()
    return stop
