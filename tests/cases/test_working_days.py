"""The 5-working-day answer on Uzbekistan's calendar: the day sent is day 0; weekends, public holidays
and the days the government moved are skipped; overdue is read from the clock."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from portal.cases.calendar import WorkingCalendar
from tests.cases.referral_world import MONDAY, act, build, draft, referral
from tests.conftest import login, with_db
from tests.factories import english

CAL = WorkingCalendar()


@pytest.mark.parametrize(
    ("sent", "due", "why"),
    [
        (date(2026, 2, 16), date(2026, 2, 23), "Monday to the next Monday across a weekend"),
        (date(2026, 2, 20), date(2026, 2, 27), "a Friday: the weekend does not count"),
        (date(2026, 2, 21), date(2026, 2, 27), "sent on a Saturday: day 0 is the Saturday itself"),
        (date(2026, 3, 2), date(2026, 3, 10), "Women's Day observed on Monday 9 March"),
        (date(2026, 3, 16), date(2026, 3, 25), "Eid al-Fitr on Friday 20, Nowruz observed on Monday 23 March"),
        (date(2026, 12, 7), date(2026, 12, 14), "Constitution Day on Tuesday 8, and Saturday 12 December worked"),
    ],
)
def test_the_answer_is_due_on_the_fifth_working_day_after_the_day_sent(sent: date, due: date, why: str) -> None:
    assert CAL.add_working_days(sent, 5) == due, why


def test_the_package_knows_announced_transfers_and_an_entered_one_can_undo_them() -> None:
    assert CAL.is_working(date(2026, 12, 12)) and not CAL.is_working(date(2026, 12, 31))
    undone = WorkingCalendar(overrides={date(2026, 12, 12): False})
    assert undone.add_working_days(date(2026, 12, 7), 5) == date(2026, 12, 15)


def test_an_entered_transfer_wins_over_the_package() -> None:
    moved = WorkingCalendar(overrides={date(2026, 3, 7): True, date(2026, 3, 4): False})
    # Wednesday 4 March made a rest day, Saturday 7 March a working day: Tue 3 (1), Thu 5 (2), Fri 6 (3),
    # Sat 7 (4), Tue 10 (5), Monday 9 being the observed Women's Day.
    assert moved.add_working_days(date(2026, 3, 2), 5) == date(2026, 3, 10)
    assert moved.add_working_days(date(2026, 3, 2), 4) == date(2026, 3, 7)
    assert CAL.add_working_days(date(2026, 3, 2), 4) == date(2026, 3, 6)
    assert moved.working_days_left(date(2026, 3, 2), date(2026, 3, 10)) == 5
    assert moved.working_days_left(date(2026, 3, 10), date(2026, 3, 10)) == 0


def test_a_transfer_entered_before_sending_moves_the_deadline(settings, app, client) -> None:  # type: ignore[no-untyped-def]
    from portal.cases.calendar import set_override

    world = build(settings)
    with_db(settings, lambda s: set_override(s, date(2026, 3, 4), False, "Decree", MONDAY))
    app.state.clock = lambda: MONDAY
    login(client, "inson.social")
    referral_id = draft(client, world)
    assert act(client, referral_id, "send", who="sender").status_code == 303
    assert referral(settings, referral_id).answer_due_on == date(2026, 3, 11)


def test_the_deadline_reads_from_the_clock_due_soon_then_overdue(settings, app, client, make_client) -> None:  # type: ignore[no-untyped-def]
    world = build(settings)
    app.state.clock = lambda: MONDAY
    login(client, "inson.social")
    referral_id = draft(client, world)
    act(client, referral_id, "send", who="sender")
    hr = make_client()
    english(hr)
    login(hr, "toqimachi.hr")
    for moment, expected in [
        (datetime(2026, 3, 3, 5, 0, tzinfo=UTC), "working days left: 4"),
        (datetime(2026, 3, 9, 5, 0, tzinfo=UTC), "Due soon"),  # a holiday; Tuesday 10 is the last day
        (datetime(2026, 3, 10, 18, 59, tzinfo=UTC), "Due soon"),  # 23:59 in Tashkent on the last day
        (datetime(2026, 3, 10, 19, 0, tzinfo=UTC), "Overdue"),  # 00:00 on Wednesday in Tashkent
    ]:
        hr.app.state.clock = lambda moment=moment: moment
        page = hr.get(f"/referrals/{referral_id}")
        assert expected in page.text, (moment, expected)


def test_the_working_days_page_lists_the_years_days_off_and_transfers(settings, client) -> None:  # type: ignore[no-untyped-def]
    from portal.cases.calendar import set_override

    with_db(settings, lambda s: set_override(s, date(2026, 3, 14), True, "Decree 77", MONDAY))
    english(client)
    login(client, "toqimachi.hr")
    page = client.get("/working-days", params={"year": "2026"})
    assert page.status_code == 200
    assert "9 March 2026" in page.text and "14 March 2026" in page.text and "Decree 77" in page.text
    assert "12 December 2026" in page.text  # the package's own transfer
    assert client.get("/working-days", params={"year": "99999"}).status_code == 200


def test_a_transfer_entered_or_removed_counts_at_once_in_the_same_transaction(settings) -> None:  # type: ignore[no-untyped-def]
    """The calendar is read once per transaction; a day moved or unmoved in that transaction counts at once."""
    from portal.cases import calendar

    moved = date(2026, 3, 4)  # a Wednesday

    async def work(session):  # type: ignore[no-untyped-def]
        seen = [(await calendar.load(session, 2026)).is_working(moved)]
        await calendar.set_override(session, moved, False, "moved by decree", datetime(2026, 3, 1, tzinfo=UTC))
        seen.append((await calendar.load(session, 2026)).is_working(moved))
        await calendar.remove_override(session, moved)
        seen.append((await calendar.load(session, 2026)).is_working(moved))
        await session.rollback()
        return seen

    assert with_db(settings, work) == [True, False, True]
