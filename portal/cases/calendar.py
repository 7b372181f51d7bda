"""Uzbekistan's working-day calendar, on which an employer's 5-working-day answer is counted.

A day is a working day when it is a weekday (Monday to Friday) that is not a public holiday, or a
Saturday or Sunday the government made a working day in exchange for a bridge day off. Public
holidays and the transfers already announced come from the kept `holidays` package (its "UZ"
calendar, with the days off it knows of by decree); a WorkingDayOverride row, entered by the
portal's administrator with `portal working-days add`, wins over the package for its day: a
transfer announced after the package's release, or one it got wrong.

The deadline: the day a referral is sent (its Tashkent calendar day) is day 0, whatever it is; the
answer is due by the end of the 5th working day after it (`due_on`). A referral sent on Monday
2 March 2026 is due on Tuesday 10 March: Tuesday 3 to Friday 6 are days 1 to 4, the weekend and
Monday 9 March (Women's Day, observed) do not count, and Tuesday 10 is day 5. Nothing stores
"overdue": it is `today > due_on`, read from the clock on every page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays
from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.cases.referral_models import WorkingDayOverride

COUNTRY = "UZ"
# "Due soon": the answer is due today or on the next working day.
DUE_SOON_WORKING_DAYS = 1


@lru_cache(maxsize=64)
def _public(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(COUNTRY, years=year)


# The package names the holidays in Uzbek (Latin) and English; an Uzbek Cyrillic page transliterates.
_NAME_LANGUAGES = {"uz": "uz", "uz_Cyrl": "uz", "ru": "en_US", "en": "en_US"}


@lru_cache(maxsize=64)
def _named(year: int, language: str) -> holidays.HolidayBase:
    return holidays.country_holidays(COUNTRY, years=year, language=_NAME_LANGUAGES.get(language, "uz"))


@dataclass(frozen=True)
class NonWorkingDay:
    day: date
    name: str
    source: str  # "holiday" (the package) or "override" (entered here)


@dataclass
class WorkingCalendar:
    """The package's calendar with the entered transfers on top (day -> working?)."""

    overrides: dict[date, bool] = field(default_factory=dict)
    notes: dict[date, str] = field(default_factory=dict)

    def is_working(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        public = _public(day.year)
        if day in public:
            return False
        return day.weekday() < 5 or day in public.weekend_workdays

    def add_working_days(self, start: date, count: int) -> date:
        """The `count`-th working day after `start` (start itself is day 0 and never counts)."""
        day = start
        found = 0
        while found < count:
            day += timedelta(days=1)
            if self.is_working(day):
                found += 1
        return day

    def working_days_left(self, today: date, due: date) -> int:
        """Working days after today up to and including the due day (0 on the due day or after it)."""
        left, day = 0, today
        while day < due:
            day += timedelta(days=1)
            if self.is_working(day):
                left += 1
        return left

    def year(self, year: int, language: str = "uz") -> tuple[list[NonWorkingDay], list[NonWorkingDay]]:
        """(public holidays and rest days falling on weekdays, weekend days made working), for one year."""
        rest: list[NonWorkingDay] = []
        working: list[NonWorkingDay] = []
        public = _named(year, language)
        day = date(year, 1, 1)
        while day.year == year:
            weekend = day.weekday() >= 5
            is_working = self.is_working(day)
            source = "override" if day in self.overrides else "holiday"
            name = self.notes.get(day) or str(public.get(day) or "")
            if not is_working and (not weekend or day in public):
                rest.append(NonWorkingDay(day, name, source))
            elif is_working and weekend:
                working.append(NonWorkingDay(day, name, source))
            day += timedelta(days=1)
        return rest, working


_LOADED = "working calendar read in"  # session.info: (transaction, years, calendar)


# Built once: every page that shows a deadline reads the calendar.
_OVERRIDES = select(WorkingDayOverride).where(
    WorkingDayOverride.day >= bindparam("first"), WorkingDayOverride.day <= bindparam("last")
)


async def load(session: AsyncSession, *years: int) -> WorkingCalendar:
    """The calendar with the overrides of these years (and the next, for deadlines crossing New Year).

    Read once per transaction and years: a home page asks for it from several cards. A change made in
    the transaction (set_override, remove_override) drops the kept one."""
    spread = sorted({y for year in years for y in (year, year + 1)})
    transaction = session.sync_session.get_transaction()
    kept = session.info.get(_LOADED)
    if kept is not None and transaction is not None and kept[0] is transaction and kept[1] == spread:
        return kept[2]
    rows = (await session.scalars(_OVERRIDES, {"first": date(spread[0], 1, 1), "last": date(spread[-1], 12, 31)})).all()
    calendar = WorkingCalendar(overrides={r.day: r.working for r in rows}, notes={r.day: r.note for r in rows})
    session.info[_LOADED] = (session.sync_session.get_transaction(), spread, calendar)
    return calendar


async def due_on(session: AsyncSession, sent_on: date, working_days: int) -> date:
    calendar = await load(session, sent_on.year)
    return calendar.add_working_days(sent_on, working_days)


async def set_override(
    session: AsyncSession, day: date, working: bool, note: str, now: datetime, user_id: int | None = None
) -> None:
    """Record that the government moved `day` (made it a working day, or a rest day); replaces an earlier entry."""
    session.info.pop(_LOADED, None)
    row = await session.get(WorkingDayOverride, day)
    if row is None:
        row = WorkingDayOverride(day=day, working=working, note=note, entered_by=user_id, entered_at=now)
        session.add(row)
    else:
        row.working, row.note, row.entered_by, row.entered_at = working, note, user_id, now
    await session.flush()


async def remove_override(session: AsyncSession, day: date) -> bool:
    session.info.pop(_LOADED, None)
    result = await session.execute(delete(WorkingDayOverride).where(WorkingDayOverride.day == day))
    return bool(result.rowcount)


async def overrides(session: AsyncSession, year: int | None = None) -> list[WorkingDayOverride]:
    stmt = select(WorkingDayOverride).order_by(WorkingDayOverride.day)
    if year is not None:
        stmt = stmt.where(WorkingDayOverride.day >= date(year, 1, 1), WorkingDayOverride.day <= date(year, 12, 31))
    return list((await session.scalars(stmt)).all())
