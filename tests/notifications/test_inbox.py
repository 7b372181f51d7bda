"""The inbox through the real app: who sees a notification, read marks, the header's count, the
reader's language, paging, derived items, and another person's notification as a 404."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from litestar.testing import TestClient
from sqlalchemy import event, func, select

from portal import i18n
from portal.db import utcnow
from portal.notifications import derived
from portal.notifications import services as notifications
from portal.notifications.models import Notification, NotificationRead
from tests.conftest import login, post_form, with_db
from tests.notifications.conftest import as_tenant, lookup

SIGNED = "%(org)s signed (%(name)s)."  # a msgid the catalogues translate, with two parameters
CLIENT_NO = "Client no. %(id)s"
TENANTS = ["pes-yunusobod", "employer-toqimachi"]
PEOPLE = ["toqimachi.hr", "toqimachi.director", "pes.case"]


@pytest.fixture
def ids(settings) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return lookup(settings, tenants=TENANTS, users=PEOPLE)


def tell(settings, sender: int, tenant: int, **options) -> int:  # type: ignore[no-untyped-def]
    """A notification written by a transaction of `sender`'s (the web app's role, under RLS)."""
    options.setdefault("kind", "referral_received")
    options.setdefault("link", ("client", {"client_id": 5}))
    options.setdefault("text", CLIENT_NO)
    options.setdefault("params", {"id": 5})
    options.setdefault("email", False)
    options.setdefault("now", utcnow())

    async def work(session):  # type: ignore[no-untyped-def]
        return (await notifications.notify(session, tenant, **options)).id

    return as_tenant(settings, sender, work)


def browser(make_client, person: str, language: str = "en") -> TestClient:  # type: ignore[no-untyped-def]
    c = make_client()
    c.cookies.set(i18n.LANGUAGE_COOKIE, language, domain="testserver.local")
    login(c, person)
    return c


def unread_in_header(page: str) -> int:
    found = re.search(r'data-testid="unread-count">(\d+)<', page)
    return int(found.group(1)) if found else 0


def listed(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'id="notification-(\d+)"', page)]


def test_an_audience_notification_reaches_only_who_holds_the_permission_in_that_tenant(
    settings, make_client, ids
) -> None:  # type: ignore[no-untyped-def]
    nid = tell(settings, ids["pes-yunusobod"], ids["employer-toqimachi"], audience=("referral", "answer"))

    hr = browser(make_client, "toqimachi.hr")
    page = hr.get("/inbox")
    assert page.status_code == 200
    assert listed(page.text) == [nid]
    assert 'href="/clients/5"' in page.text and "Client no. 5" in page.text
    assert unread_in_header(hr.get("/").text) == 1

    # The same organisation's director answers no referrals; another organisation never sees it.
    for person in ("toqimachi.director", "pes.case"):
        other = browser(make_client, person)
        assert listed(other.get("/inbox").text) == [], person
        assert unread_in_header(other.get("/").text) == 0, person
        assert post_form(other, f"/inbox/{nid}/read").status_code == 404, person

    assert with_db(settings, lambda s: s.scalar(select(func.count()).select_from(NotificationRead))) == 0


def test_a_notification_to_one_person_reaches_only_them(settings, make_client, ids) -> None:  # type: ignore[no-untyped-def]
    nid = tell(settings, ids["employer-toqimachi"], ids["employer-toqimachi"], user_id=ids["toqimachi.director"])
    director = browser(make_client, "toqimachi.director")
    assert listed(director.get("/inbox").text) == [nid]
    hr = browser(make_client, "toqimachi.hr")
    assert listed(hr.get("/inbox").text) == []
    assert post_form(hr, f"/inbox/{nid}/read").status_code == 404


def test_marking_read_takes_it_out_of_the_count_for_that_reader_only(settings, make_client, ids) -> None:  # type: ignore[no-untyped-def]
    first = tell(settings, ids["pes-yunusobod"], ids["pes-yunusobod"], audience=("client", "list"))
    second = tell(settings, ids["pes-yunusobod"], ids["pes-yunusobod"], audience=("client", "list"))
    case = browser(make_client, "pes.case")
    assert unread_in_header(case.get("/").text) == 2

    answer = post_form(case, f"/inbox/{first}/read")
    assert answer.status_code == 303 and answer.headers["location"] == "/inbox"
    page = case.get("/inbox").text
    assert unread_in_header(page) == 1
    assert f'action="/inbox/{second}/read"' in page and f'action="/inbox/{first}/read"' not in page
    # Marking twice changes nothing and is no error.
    assert post_form(case, f"/inbox/{first}/read").status_code == 303

    # The notification was to the audience: the office's administrator still has both unread.
    admin = browser(make_client, "pes.admin")
    assert unread_in_header(admin.get("/").text) == 2


def test_mark_all_read_leaves_what_arrived_after_the_page_was_shown(settings, make_client, ids) -> None:  # type: ignore[no-untyped-def]
    pes = ids["pes-yunusobod"]
    for _ in range(3):
        tell(settings, pes, pes, audience=("client", "list"))
    case = browser(make_client, "pes.case")
    page = case.get("/inbox").text
    through = re.search(r'name="through" value="(\d+)"', page)
    assert through
    later = tell(settings, pes, pes, audience=("client", "list"))

    answer = post_form(case, "/inbox/read", {"through": through.group(1)})
    assert answer.status_code == 303
    page = case.get("/inbox").text
    assert unread_in_header(page) == 1
    assert re.findall(r'action="/inbox/(\d+)/read"', page) == [str(later)]
    assert "Mark all as read" in page

    # Garbage is ignored, never a 500.
    assert post_form(case, "/inbox/read", {"through": "²"}).status_code == 303


def test_the_text_and_the_organisation_are_shown_in_the_readers_language(settings, make_client, ids) -> None:  # type: ignore[no-untyped-def]
    tell(
        settings,
        ids["pes-yunusobod"],
        ids["employer-toqimachi"],
        audience=("referral", "answer"),
        text=SIGNED,
        params={"org": notifications.TenantName(ids["pes-yunusobod"]), "name": "Aziz Karimov"},
    )
    shown = {
        "ru": "Отдел занятости Юнусабадского района подписала (Aziz Karimov).",
        "uz": "Yunusobod tumani Bandlik bo‘limi imzoladi (Aziz Karimov).",
        "uz_Cyrl": "Юнусобод тумани Бандлик бўлими имзолади (Aziz Karimov).",
        "en": "Yunusabad District Employment Office signed (Aziz Karimov).",
    }
    for language, sentence in shown.items():
        page = browser(make_client, "toqimachi.hr", language).get("/inbox").text
        assert sentence in page, language


def test_the_inbox_is_newest_first_and_paged_without_gaps(settings, make_client, ids) -> None:  # type: ignore[no-untyped-def]
    pes = ids["pes-yunusobod"]
    start = utcnow() - timedelta(hours=1)

    async def many(session):  # type: ignore[no-untyped-def]
        made = []
        for i in range(30):
            n = await notifications.notify(
                session,
                pes,
                audience=("client", "list"),
                kind="test",
                link=("dashboard", {}),
                text=CLIENT_NO,
                params={"id": i},
                email=False,
                now=start + timedelta(minutes=i % 7),
            )
            made.append((n.created_at, n.id))
        return [i for _at, i in sorted(made, reverse=True)]

    expected = as_tenant(settings, pes, many)
    case = browser(make_client, "pes.case")
    first = case.get("/inbox").text
    older = re.search(r'href="/inbox\?before=(\d+)"', first)
    assert older
    second = case.get(f"/inbox?before={older.group(1)}").text
    assert listed(first) + listed(second) == expected
    assert 'href="/inbox?before=' not in second
    # A cursor the reader cannot see starts from the top rather than telling anything.
    assert listed(case.get("/inbox?before=2147483647").text) == expected[:25]


def test_old_notifications_stay_listed_but_no_longer_count_as_unread(settings, make_client, ids) -> None:  # type: ignore[no-untyped-def]
    pes = ids["pes-yunusobod"]
    old = tell(settings, pes, pes, audience=("client", "list"), now=utcnow() - timedelta(days=91))
    case = browser(make_client, "pes.case")
    page = case.get("/inbox").text
    assert listed(page) == [old]
    assert unread_in_header(page) == 0 and "Mark as read" not in page


def test_the_header_count_is_one_query_per_page(app, client, settings, ids) -> None:  # type: ignore[no-untyped-def]
    pes = ids["pes-yunusobod"]
    tell(settings, pes, pes, audience=("client", "list"))
    login(client, "pes.case")
    client.get("/")
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(app.state.engine.sync_engine, "before_cursor_execute", seen)
    try:
        page = client.get("/").text
        on_the_page = list(statements)
        statements.clear()
        post_form(client, "/inbox/1/read")  # a form answers with a redirect: no header, no count
    finally:
        event.remove(app.state.engine.sync_engine, "before_cursor_execute", seen)
    assert unread_in_header(page) == 1
    counts = [s for s in on_the_page if "FROM notifications" in s]
    assert len(counts) == 1, counts
    assert "count(" in counts[0] and "notification_reads" in counts[0]
    assert not [s for s in statements if "count(" in s]


def test_derived_items_are_shown_first_and_counted_for_who_may_see_them(
    settings, make_client, ids, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    asked: list[str] = []

    async def answers_due(session, actor, now):  # type: ignore[no-untyped-def]
        asked.append(actor.login)
        return [
            notifications.Item(
                key="referral-due:5",
                kind="answer_due",
                text=SIGNED,
                params={"org": notifications.TenantName(actor.tenant_id), "name": "5"},
                link=notifications.Link("client", {"client_id": 5}),
                at=now + timedelta(days=1),
            )
        ]

    monkeypatch.setattr(derived, "PROVIDERS", [])
    notifications.register_derived(("referral", "answer"), answers_due)
    nid = tell(settings, ids["pes-yunusobod"], ids["employer-toqimachi"], audience=("referral", "answer"))

    hr = browser(make_client, "toqimachi.hr")
    page = hr.get("/inbox").text
    assert unread_in_header(page) == 2
    section = page.index('data-testid="derived"')
    assert section < page.index(f'id="notification-{nid}"')
    assert "Toshkent To‘qimachi LLC signed (5)." in page
    # Derived items hold while their facts do: they cannot be marked read, only the stored one.
    post_form(hr, f"/inbox/{nid}/read")
    assert unread_in_header(hr.get("/").text) == 1

    asked.clear()
    director = browser(make_client, "toqimachi.director")
    assert unread_in_header(director.get("/inbox").text) == 0
    assert "toqimachi.director" not in asked, "a provider is not even asked for an actor without its permission"


def test_an_empty_inbox_says_what_will_appear_there(make_client) -> None:  # type: ignore[no-untyped-def]
    page = browser(make_client, "inspector").get("/inbox")
    assert page.status_code == 200
    assert "When a partner sends your organisation a referral" in page.text
    assert 'data-testid="inbox-link"' in page.text and 'aria-current="page"' in page.text


def test_the_inbox_needs_a_signed_in_person(client: TestClient) -> None:
    assert client.get("/inbox", follow_redirects=False).status_code == 303
    assert post_form(client, "/inbox/1/read").status_code in {303, 401}


def test_notify_refuses_what_nobody_could_read(settings, ids) -> None:  # type: ignore[no-untyped-def]
    pes, toqimachi = ids["pes-yunusobod"], ids["employer-toqimachi"]
    wrong = [
        ({"audience": ("referral", "answer"), "user_id": ids["pes.case"]}, ValueError),
        ({}, ValueError),
        ({"audience": ("referral", "telepathy")}, ValueError),
        ({"user_id": ids["pes.case"]}, ValueError),  # no member of the employer
        ({"audience": ("referral", "answer"), "text": "%(missing)s"}, ValueError),
        ({"audience": ("referral", "answer"), "params": {"id": object()}}, TypeError),
        ({"audience": ("referral", "answer"), "kind": "Bad Kind"}, ValueError),
    ]
    for options, error in wrong:
        with pytest.raises(error):
            tell(settings, pes, toqimachi, **options)
    assert with_db(settings, lambda s: s.scalar(select(func.count()).select_from(Notification))) == 0


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_inbox_and_its_header_are_translated_in_every_language(settings, make_client, ids, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    async def due(session, actor, now):  # type: ignore[no-untyped-def]
        return [
            notifications.Item(key="due", kind="due", text=CLIENT_NO, params={"id": 1}, link=notifications.Link("x"))
        ]

    monkeypatch.setattr(derived, "PROVIDERS", [])
    notifications.register_derived(("referral", "answer"), due)
    for _ in range(2):
        tell(settings, ids["pes-yunusobod"], ids["employer-toqimachi"], audience=("referral", "answer"))
    recorded: set[tuple[str, str]] = set()
    monkeypatch.setattr(i18n, "missing", recorded)
    for language in i18n.LANGUAGES:
        hr = browser(make_client, "toqimachi.hr", language)
        page = hr.get("/inbox")
        assert page.status_code == 200
        assert unread_in_header(page.text) == 3
        assert "Mark all as read" in page.text or language != "en"
        empty = browser(make_client, "inspector", language).get("/inbox")
        assert empty.status_code == 200
    assert not recorded, sorted(recorded)
