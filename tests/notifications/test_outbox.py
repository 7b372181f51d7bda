"""E-mail through a real SMTP server on loopback: written in the event's transaction, sent after it
committed, exactly once, retried with backoff when the server is down, never twice by two workers."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.db import make_engine, make_sessionmaker, utcnow
from portal.notifications import services as notifications
from portal.notifications.mail import mailer_from
from portal.notifications.models import FAILED, PENDING, SENT, Notification, OutboxMessage
from portal.notifications.outbox import MAX_ATTEMPTS, backoff, deliver_due, show_pending
from portal.settings import Settings, SettingsError
from tests.conftest import with_db
from tests.notifications.conftest import as_tenant, free_port, give_addresses, lookup, smtp_settings

SIGNED = "%(org)s signed (%(name)s)."
NOW = utcnow().replace(microsecond=0)


def link_for(route: str, params) -> str:  # type: ignore[no-untyped-def]
    return "https://portal.icm.test/" + route + "".join(f"/{v}" for v in params.values())


@pytest.fixture
def people(settings) -> dict[str, int]:  # type: ignore[no-untyped-def]
    give_addresses(
        settings,
        {
            "toqimachi.hr": ("hr@toqimachi.test", "ru"),
            "toqimachi.director": ("director@toqimachi.test", None),
            "pes.case": ("case@pes.test", "uz_Cyrl"),
        },
    )
    return lookup(settings, tenants=["pes-yunusobod", "employer-toqimachi"], users=["toqimachi.hr", "pes.case"])


def referral_received(settings, people, *, commit: bool = True, email: bool = True, at=NOW) -> int:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        n = await notifications.notify(
            session,
            people["employer-toqimachi"],
            audience=("referral", "answer"),
            kind="referral_received",
            link=("client", {"client_id": 7}),
            text=SIGNED,
            params={"org": notifications.TenantName(people["pes-yunusobod"]), "name": "Aziz Karimov"},
            email=email,
            now=at,
        )
        return n.id

    return as_tenant(settings, people["pes-yunusobod"], work, commit=commit)


def outbox(settings) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())

    return with_db(settings, work)


def deliver(settings, at=NOW, workers: int = 1):  # type: ignore[no-untyped-def]
    """Run `workers` workers at once, each with its own connections, as separate processes would."""

    async def one():  # type: ignore[no-untyped-def]
        engine = make_engine(settings.database_url)
        try:
            return await deliver_due(make_sessionmaker(engine), mailer_from(settings), link_for, lambda: at)
        finally:
            await engine.dispose()

    async def go():  # type: ignore[no-untyped-def]
        return await asyncio.gather(*(one() for _ in range(workers)))

    reports = asyncio.run(go())
    return reports[0] if workers == 1 else reports


def test_a_notification_rolled_back_leaves_no_email_and_sends_nothing(settings, people, mailbox) -> None:  # type: ignore[no-untyped-def]
    box, port = mailbox
    referral_received(settings, people, commit=False)
    assert outbox(settings) == []
    assert with_db(settings, lambda s: s.scalar(select(Notification.id))) is None
    assert deliver(smtp_settings(settings, port)).attempted == 0
    assert box.messages == []


def test_a_committed_notification_is_mailed_once_to_each_addressed_person_in_their_language(
    settings, people, mailbox
) -> None:  # type: ignore[no-untyped-def]
    box, port = mailbox
    nid = referral_received(settings, people)
    queued = outbox(settings)
    # The employer's HR answers referrals and has an address; its director answers none; the
    # employment office's case manager is of another organisation.
    assert [(m.address, m.language, m.status, m.attempts) for m in queued] == [("hr@toqimachi.test", "ru", PENDING, 0)]
    assert box.messages == [], "nothing leaves before the worker runs"

    report = deliver(smtp_settings(settings, port))
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    (mail,) = box.messages
    assert mail["To"] == "hr@toqimachi.test"
    assert mail["From"] == "IKM portali <portal@icm.test>"
    assert mail["Subject"] == "Отдел занятости Юнусабадского района подписала (Aziz Karimov)."
    body = mail.get_content()
    assert "https://portal.icm.test/client/7" in body
    assert "Aziz Karimov" in body
    assert mail["Message-ID"] == f"<notification-{nid}.{queued[0].id}@icm.test>"
    (sent,) = outbox(settings)
    assert (sent.status, sent.attempts, sent.sent_at, sent.last_error) == (SENT, 1, NOW, None)

    # Sent and committed: never again, whenever the worker looks.
    assert deliver(smtp_settings(settings, port), at=NOW + timedelta(days=2)).attempted == 0
    assert len(box.messages) == 1


def test_without_email_only_the_inbox_is_told(settings, people) -> None:  # type: ignore[no-untyped-def]
    referral_received(settings, people, email=False)
    assert outbox(settings) == []


def test_a_server_that_is_down_is_tried_again_later_and_each_attempt_counted(settings, people, mailbox) -> None:  # type: ignore[no-untyped-def]
    box, port = mailbox
    referral_received(settings, people)
    down = smtp_settings(settings, free_port())  # nothing listens there

    report = deliver(down)
    assert (report.sent, report.retrying) == (0, 1)
    (message,) = outbox(settings)
    assert (message.status, message.attempts) == (PENDING, 1)
    assert "Connection" in (message.last_error or "")
    assert message.next_attempt_at == NOW + backoff(1)

    # Not before its time, even with the server back.
    assert deliver(smtp_settings(settings, port), at=NOW + backoff(1) - timedelta(seconds=1)).attempted == 0
    report = deliver(down, at=NOW + backoff(1))
    (message,) = outbox(settings)
    assert (message.attempts, message.next_attempt_at) == (2, NOW + backoff(1) + backoff(2))
    assert backoff(2) == 2 * backoff(1)

    report = deliver(smtp_settings(settings, port), at=NOW + timedelta(days=1))
    assert report.sent == 1 and len(box.messages) == 1
    (message,) = outbox(settings)
    assert (message.status, message.attempts, message.last_error) == (SENT, 3, None)


def test_a_message_is_given_up_after_the_last_attempt(settings, people) -> None:  # type: ignore[no-untyped-def]
    referral_received(settings, people)
    down = smtp_settings(settings, free_port())
    at = NOW
    for _ in range(MAX_ATTEMPTS):
        deliver(down, at=at)
        at += timedelta(days=1)
    (message,) = outbox(settings)
    assert (message.status, message.attempts) == (FAILED, MAX_ATTEMPTS)
    assert deliver(down, at=at + timedelta(days=30)).attempted == 0


def test_a_recipient_the_server_refuses_for_good_is_not_tried_again(settings, people, mailbox) -> None:  # type: ignore[no-untyped-def]
    box, port = mailbox
    box.refuse.add("hr@toqimachi.test")
    referral_received(settings, people)
    report = deliver(smtp_settings(settings, port))
    assert report.failed == 1
    (message,) = outbox(settings)
    assert message.status == FAILED and "550" in (message.last_error or "")


def test_two_workers_at_once_never_send_a_message_twice(settings, people, mailbox, backend) -> None:  # type: ignore[no-untyped-def]
    box, port = mailbox
    box.delay = 0.05  # each delivery takes a while, so the workers overlap
    give_addresses(settings, {login: (f"{login}@icm.test", "uz") for login in ("pes.case", "pes.admin", "pes.sign")})
    pes = people["pes-yunusobod"]

    async def many(session):  # type: ignore[no-untyped-def]
        for i in range(8):
            await notifications.notify(
                session,
                pes,
                audience=("dashboard", "view"),
                kind="test",
                link=("dashboard", {}),
                text="Client no. %(id)s",
                params={"id": i},
                now=NOW,
            )

    as_tenant(settings, pes, many)
    queued = outbox(settings)
    assert len(queued) == 8 * 3

    reports = deliver(smtp_settings(settings, port), workers=3)
    assert sum(r.sent for r in reports) == len(queued)
    assert sorted(box.ids()) == sorted(set(box.ids())) and len(box.ids()) == len(queued)
    if backend == "postgresql":
        assert all(r.sent > 0 for r in reports), "SKIP LOCKED lets every worker take its share"
    assert {(m.status, m.attempts) for m in outbox(settings)} == {(SENT, 1)}


def test_without_an_smtp_server_messages_stay_in_the_outbox_and_show_in_the_log(settings, people, caplog) -> None:  # type: ignore[no-untyped-def]
    referral_received(settings, people)
    shown: set[int] = set()

    async def look():  # type: ignore[no-untyped-def]
        engine = make_engine(settings.database_url)
        try:
            return await show_pending(make_sessionmaker(engine), link_for, "portal@icm.test", shown)
        finally:
            await engine.dispose()

    with caplog.at_level(logging.INFO, logger="portal.notifications"):
        assert asyncio.run(look()) == 1
        assert asyncio.run(look()) == 0, "each message is shown once"
    assert "hr@toqimachi.test" in caplog.text and "Aziz Karimov" in caplog.text
    (message,) = outbox(settings)
    assert (message.status, message.attempts) == (PENDING, 0)


def test_smtp_settings_are_read_strictly_from_the_environment() -> None:
    base = {"DATABASE_URL": "sqlite:///x.db", "SECRET_KEY": "k" * 40}
    plain = Settings.from_env(base)
    assert plain.smtp_host == "" and mailer_from(plain) is None
    mail = Settings.from_env({**base, "SMTP_HOST": "mail.example.uz", "SMTP_FROM": "IKM <portal@example.uz>"})
    assert (mail.smtp_port, mail.smtp_security) == (587, "starttls")
    tls = Settings.from_env({**base, "SMTP_HOST": "m", "SMTP_FROM": "p@example.uz", "SMTP_SECURITY": "tls"})
    assert tls.smtp_port == 465
    for wrong in (
        {"SMTP_HOST": "m"},
        {"SMTP_HOST": "m", "SMTP_FROM": "x@y", "SMTP_SECURITY": "ssl3"},
        {"SMTP_HOST": "m", "SMTP_FROM": "x@y", "SMTP_PORT": "0"},
    ):
        with pytest.raises(SettingsError):
            Settings.from_env({**base, **wrong})


def test_portal_worker_once_sends_with_links_to_the_public_address(settings, people, mailbox, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from portal.cli import main
    from tests.conftest import SECRET

    box, port = mailbox
    referral_received(settings, people, at=utcnow())
    for name, value in {
        "DATABASE_URL": settings.database_url,
        "DATABASE_APP_URL": settings.app_url if settings.app_url != settings.database_url else "",
        "SECRET_KEY": SECRET,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_SECURITY": "none",
        "SMTP_FROM": "portal@icm.test",
        "PUBLIC_URL": "https://portal.example.uz",
    }.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    (mail,) = box.messages
    assert "https://portal.example.uz/clients/7" in mail.get_content()
    assert [m.status for m in outbox(settings)] == [SENT]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_embedded_demo_delivers_from_a_thread_beside_the_server(settings, people, mailbox) -> None:  # type: ignore[no-untyped-def]
    import time

    from portal.notifications.outbox import start_in_thread

    box, port = mailbox
    stop = start_in_thread(smtp_settings(settings, port), link_for, every=0.2)
    try:
        referral_received(settings, people, at=utcnow())
        deadline = time.monotonic() + 20
        while not box.messages and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
    assert len(box.messages) == 1
