"""The referrals page, the inspection's review queue and their home cards at any size: each of the
page's three lists (awaiting the organisation's answer, answered or withdrawn, sent) and the queue are
paged by keyset, so every referral is reached once and in order; the recipient's card counts every
referral awaiting an answer and shows those first, however many others were accepted before them, and
the inspection's card counts its whole queue."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import case, select

from portal.cases import due_order, inspection, referral_views, work_home
from portal.cases.models import Referral, ReferralReview
from tests.cases.referral_world import MONDAY, World, act, build, draft
from tests.cases.test_referral_dashboards import read
from tests.conftest import login, with_db

WEDNESDAY = MONDAY + timedelta(days=2)


def _section(page: str, title_id: str) -> str:
    """The part of the page from a list's heading to the next heading or the end of its section."""
    start = page.index(f'id="{title_id}"')
    ends = [i for i in (page.find("<h3", start), page.find("</section>", start)) if i != -1]
    return page[start : min(ends)]


def _walk(client, title_id: str, param: str, start: str = "/referrals/") -> list[int]:  # type: ignore[no-untyped-def]
    """Every referral one list shows, following its pager from the first page to the last."""
    url, seen = start, []
    for _ in range(100):
        page = client.get(url).text
        part = _section(page, title_id) if title_id else page[page.index("<main") :]
        shown = [int(x) for x in re.findall(r'href="/referrals/(\d+)"', part)]
        assert len(shown) <= 2  # the page size the tests set
        seen += shown
        anchor = f"#{title_id}" if title_id else ""
        more = re.search(rf'href="({start.rstrip("/")}/?\?{param}=[^"#]+){anchor}"', part)
        if more is None:
            return seen
        url = unescape(more.group(1))
    raise AssertionError("the pager never ends")


def _expected(settings, *where, order) -> list[int]:  # type: ignore[no-untyped-def]
    return with_db(settings, lambda s: _ids(s, where, order))


async def _ids(session, where, order):  # type: ignore[no-untyped-def]
    return list((await session.scalars(select(Referral.id).where(*where).order_by(*order))).all())


def _done(response, referral_id: int) -> bool:  # type: ignore[no-untyped-def]
    """The action was taken: the answer leads back to the referral, not to the sign-in page."""
    return response.status_code == 303 and response.headers["location"].endswith(f"/referrals/{referral_id}")


def _send(client, world: World, count: int) -> list[int]:  # type: ignore[no-untyped-def]
    made = [draft(client, world, subject=f"Operator {n}") for n in range(count)]
    for referral_id in made:
        assert _done(act(client, referral_id, "send", who="sender"), referral_id)
    return made


def test_each_list_reaches_every_referral_once_and_in_order(settings, app, client, make_client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(referral_views, "PAGE_SIZE", 2)
    monkeypatch.setattr(inspection, "QUEUE_PAGE", 2)
    monkeypatch.setattr(work_home, "SHOWN", 2)
    app.state.clock = lambda: WEDNESDAY
    world = build(settings)
    login(client, "inson.social")
    later = _send(client, world, 8)
    still_draft = draft(client, world, subject="Not sent yet")
    app.state.clock = lambda: MONDAY
    (earliest,) = _send(client, world, 1)  # the newest referral, but sent first: its answer is due first
    hr = make_client()
    hr.app.state.clock = lambda: WEDNESDAY
    login(hr, "toqimachi.hr")
    # Answered in two states, interleaved in id order, one of them more than a page and one more: the
    # answered list reads each state on its own, and its pages of two must still follow the ids.
    declined, accepted = [later[0], later[2], later[5], later[7]], [later[1], later[6]]
    for referral_id in declined:
        assert _done(act(hr, referral_id, "decline", "No vacancy left on this shift"), referral_id)
    for referral_id in accepted:
        assert _done(act(hr, referral_id, "accept"), referral_id)

    sent = _walk(client, "sent-title", "sent_before")
    assert sent == _expected(settings, Referral.tenant_id == world.inson, order=[Referral.id.desc()])
    assert {*later, still_draft, earliest} <= set(sent)

    to_employer = (Referral.recipient_tenant_id == world.employer, Referral.tenant_id != world.employer)
    due = due_order.due_day()
    awaiting = _walk(hr, "awaiting-title", "awaiting_after")
    assert awaiting == _expected(settings, *to_employer, Referral.state == "sent", order=[due, Referral.id])
    mine = [x for x in awaiting if x in {earliest, *later}]
    assert mine == [earliest, later[3], later[4]]

    answered = _walk(hr, "answered-title", "answered_before")
    assert answered == _expected(
        settings, *to_employer, Referral.state.in_(referral_views.ANSWERED), order=[Referral.id.desc()]
    )
    assert [x for x in answered if x in later] == sorted(declined + accepted, reverse=True)
    assert not set(answered) & set(awaiting)
    assert still_draft not in awaiting + answered

    # The inspection reviews the three refusals (and the demo's): the queue pages, the card counts all.
    inspector = make_client()
    inspector.app.state.clock = lambda: WEDNESDAY
    login(inspector, "inspector")
    queue = _walk(inspector, "", "after", start="/reviews/")
    unreviewed = ~Referral.id.in_(select(ReferralReview.referral_id))
    overdue = (Referral.state == "sent") & (Referral.answer_due_on < WEDNESDAY.date())
    refused_or_silent = (Referral.state == "declined") | overdue
    expected = _expected(
        settings,
        Referral.inspection_tenant_id == world.inspection,
        unreviewed,
        refused_or_silent,
        order=[due, Referral.id],
    )
    assert queue == expected and set(declined) <= set(queue) and len(queue) > work_home.SHOWN
    home = inspector.get("/", headers={"Accept-Language": "en"}).text
    card = re.search(r'data-testid="card-review-queue".*?</section>', home, re.S)
    assert card and f"{len(queue)} referrals await your review" in re.sub(r"\s+", " ", card.group(0))


@pytest.mark.parametrize(
    "query", ["awaiting_after=tomorrow", "awaiting_after=2026-13-01.5", "answered_before=-1", "sent_before=" + "9" * 30]
)
def test_a_cursor_that_names_no_place_shows_the_first_page(client, query: str) -> None:  # type: ignore[no-untyped-def]
    login(client, "toqimachi.hr")
    first = client.get("/referrals/")
    page = client.get(f"/referrals/?{query}")
    assert page.status_code == 200
    assert re.findall(r'href="/referrals/\d+"', page.text) == re.findall(r'href="/referrals/\d+"', first.text)


def test_the_home_card_counts_and_shows_first_every_referral_awaiting_an_answer(  # type: ignore[no-untyped-def]
    settings, app, client, make_client, monkeypatch
) -> None:
    # Fewer lines than the referrals accepted before the waiting one: those must not hide it.
    monkeypatch.setattr(referral_views, "LIST_LIMIT", 2)
    monkeypatch.setattr(work_home, "SHOWN", 2)
    app.state.clock = lambda: MONDAY
    world = build(settings)
    login(client, "inson.social")
    waiting = draft(client, world, subject="Sent last")
    accepted = _send(client, world, 2)
    hr = make_client()
    hr.app.state.clock = lambda: WEDNESDAY
    login(hr, "toqimachi.hr")
    for referral_id in accepted:
        assert _done(act(hr, referral_id, "accept"), referral_id)
    app.state.clock = lambda: WEDNESDAY
    login(client, "inson.social")  # two days on, the sign-in has lapsed
    assert _done(act(client, waiting, "send", who="sender"), waiting)

    awaiting = _expected(
        settings, Referral.recipient_tenant_id == world.employer, Referral.state == "sent", order=[Referral.id]
    )
    assert waiting in awaiting and not set(accepted) & set(awaiting) and len(awaiting) > work_home.SHOWN
    page = hr.get("/", headers={"Accept-Language": "en"}).text
    card = re.search(r'<section[^>]*data-testid="card-referral-inbox".*?</section>', page, re.S)
    assert card, "no inbox card"
    assert f"{len(awaiting)} referrals await your answer" in re.sub(r"\s+", " ", card.group(0))
    shown = [int(x) for x in re.findall(r'href="/referrals/(\d+)"', card.group(0))]
    assert len(shown) == work_home.SHOWN and set(shown) <= set(awaiting)


def test_the_inbox_shows_the_waiting_first_then_the_rest_by_due_day_whatever_its_length(  # type: ignore[no-untyped-def]
    settings, app, client, make_client
) -> None:
    # Referrals sent on three days, so their answers fall due on three days, some accepted, some started.
    world = build(settings)
    hr = make_client()
    login(client, "inson.social")
    login(hr, "toqimachi.hr")
    for day, answers in ((WEDNESDAY, ("accept", None)), (MONDAY, ("start", "accept", None)), (WEDNESDAY, ("start",))):
        app.state.clock = hr.app.state.clock = lambda day=day: day
        login(client, "inson.social")
        login(hr, "toqimachi.hr")
        for referral_id, answer in zip(_send(client, world, len(answers)), answers, strict=True):
            for step in {"accept": ("accept",), "start": ("accept", "start"), None: ()}[answer]:
                assert _done(act(hr, referral_id, step), referral_id)

    waiting_first = case((Referral.state == "sent", 0), else_=1)
    received = (Referral.recipient_tenant_id == world.employer, Referral.tenant_id != world.employer)
    order = [waiting_first, due_order.due_day(), Referral.id]
    expected = _expected(settings, *received, Referral.state.in_(referral_views.OPEN_STATES), order=order)
    assert {"sent", "accepted", "in_progress"} <= set(with_db(settings, lambda s: _states(s, expected))), (
        "the inbox's three states are all there"
    )
    for limit in range(1, len(expected) + 2):
        lines = read(
            settings, "toqimachi.hr", WEDNESDAY, lambda access, n=limit: referral_views.referral_inbox(access, limit=n)
        )
        assert [line.id for line in lines] == expected[:limit]


async def _states(session, ids):  # type: ignore[no-untyped-def]
    return (await session.scalars(select(Referral.state).where(Referral.id.in_(ids)))).all()
