"""Sign-in limits: a progressive delay per login and per socket address, counted atomically.

Why a delay and not a lockout: a lockout lets anyone who knows a login keep its owner out, and one
person at an office behind one address keep the whole office out. Here the first failures are free;
after them each further attempt must wait, and the wait doubles with every failure up to a cap. An
attacker gets a handful of guesses an hour; the owner waits a short while, or asks an administrator
to clear the delay. An attempt made before its time is refused without its password being checked,
so it neither counts nor lengthens the wait. The address allows many more failures than a login.

Why counting comes first: checking a password takes a while, and attempts sent at the same moment
would all read the same count and all be checked. Each attempt therefore takes its slot before the
check, in its own committed transaction, as a compare-and-swap on the counter row (``revision``):
of two attempts that read the same count, one writes and the other reads again. Every attempt
counts as a failure until its password proves right; then the login's count is cleared and the
address gets its slot back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.i18n import gettext as _
from portal.tenants.models import SignInThrottle

# What people read on the page is the time on their wall clock; the portal serves Uzbekistan.
TASHKENT = timezone(timedelta(hours=5), "Asia/Tashkent")
LOGIN = "login"
ADDRESS = "address"
# A compare-and-swap loses only when another attempt won; far more tries than simultaneous attempts.
_TRIES = 200
SWEEP = 200  # stale rows a successful sign-in clears at most


@dataclass(frozen=True)
class Rule:
    free_failures: int
    first_delay: timedelta
    longest_delay: timedelta
    window: timedelta  # failures are forgotten after this long without one

    def delay(self, failures: int) -> timedelta:
        """How long the next attempt must wait after this many failures."""
        if failures < self.free_failures:
            return timedelta(0)
        doublings = min(failures - self.free_failures, 30)
        return min(self.first_delay * 2**doublings, self.longest_delay)


@dataclass(frozen=True)
class SignInLimits:
    per_login: Rule
    per_address: Rule

    @classmethod
    def from_settings(cls, settings) -> SignInLimits:  # type: ignore[no-untyped-def]
        def rule(free: int) -> Rule:
            return Rule(
                free_failures=free,
                first_delay=timedelta(seconds=settings.login_delay_seconds),
                longest_delay=timedelta(minutes=settings.login_max_delay_minutes),
                window=timedelta(minutes=settings.login_window_minutes),
            )

        return cls(per_login=rule(settings.login_max_failures), per_address=rule(settings.login_address_max_failures))


class TooEarly(Exception):
    """The attempt came before the delay ended; nothing was checked or counted."""

    def __init__(self, until: datetime) -> None:
        super().__init__(until.isoformat())
        self.until = until


def wait_message(until: datetime) -> str:
    # Rounded up to the minute: at the time shown the attempt is surely allowed.
    local = until.astimezone(TASHKENT)
    if local.second or local.microsecond:
        local = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return _("Too many failed sign-ins. Wait until %(time)s (Tashkent time) and try again.") % {
        "time": local.strftime("%H:%M")
    }


async def reserve(
    sessionmaker: async_sessionmaker[AsyncSession],
    limits: SignInLimits,
    *,
    address: str,
    login: str | None,
    now: datetime,
) -> None:
    """Count this attempt as a failure, committed, before anything is checked; raise TooEarly instead
    when the address or the login must still wait (then nothing is counted)."""
    async with sessionmaker() as session:
        waits = [await _take_slot(session, ADDRESS, address, limits.per_address, now)]
        if login is not None:
            waits.append(await _take_slot(session, LOGIN, login, limits.per_login, now))
        until = max((w for w in waits if w is not None), default=None)
        if until is not None:
            await session.rollback()
            raise TooEarly(until)
        await session.commit()


async def _take_slot(session: AsyncSession, kind: str, value: str, rule: Rule, now: datetime) -> datetime | None:
    """None when the slot is taken (the count raised); else the time the next attempt may come."""
    key = (SignInThrottle.kind == kind, SignInThrottle.value == value)
    for _attempt in range(_TRIES):
        row = (await session.execute(select(SignInThrottle.__table__).where(*key))).first()
        if row is None:
            await _insert_empty(session, kind, value, now)
            continue
        # A wait is in force only once the failures have earned one: with free attempts left, the time an
        # earlier attempt wrote says nothing, and an attempt whose clock was read a moment before it
        # (it waited for a connection) must not be refused as too early.
        if row.next_attempt_at > now and rule.delay(row.failures) > timedelta(0):
            return row.next_attempt_at
        failures = 1 if row.last_failure_at <= now - rule.window else row.failures + 1
        taken = await session.execute(
            update(SignInThrottle)
            .where(*key, SignInThrottle.revision == row.revision)
            .values(
                failures=failures,
                last_failure_at=now,
                next_attempt_at=now + rule.delay(failures),
                revision=row.revision + 1,
            )
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount == 1:
            return None
    # Only under a flood of simultaneous attempts: refuse this one rather than let it through uncounted.
    return now + rule.first_delay


async def _insert_empty(session: AsyncSession, kind: str, value: str, now: datetime) -> None:
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    values = {"kind": kind, "value": value, "failures": 0, "revision": 0}
    await session.execute(
        dialect.insert(SignInThrottle)
        .values(**values, last_failure_at=now, next_attempt_at=now)
        .on_conflict_do_nothing(index_elements=["kind", "value"])
    )


async def succeeded(
    session: AsyncSession, *, address: str, login: str | None, now: datetime, window: timedelta
) -> None:
    """The password (or identity) proved right: the login starts afresh and the address gets its slot back.

    Runs in the caller's transaction, so it holds only if the sign-in is saved. Rows are locked in the
    order `reserve` locks them, the address before the login: the other order let two sign-ins of one
    person from one address (or one office behind one address) wait on each other in a cycle."""
    await give_back(session, address)
    if login is not None:
        await session.execute(delete(SignInThrottle).where(SignInThrottle.kind == LOGIN, SignInThrottle.value == login))
    # Rows nobody failed with for a whole window hold nothing worth keeping; one a running attempt holds
    # is left for a later sweep rather than waited for.
    stale = (
        select(SignInThrottle.kind, SignInThrottle.value)
        .where(SignInThrottle.last_failure_at < now - window, SignInThrottle.next_attempt_at <= now)
        .limit(SWEEP)
        .with_for_update(skip_locked=True)
    )
    await session.execute(delete(SignInThrottle).where(tuple_(SignInThrottle.kind, SignInThrottle.value).in_(stale)))


async def give_back(session: AsyncSession, address: str) -> None:
    """Return an address's slot for an attempt that was not the person's failure (a provider was down)."""
    await session.execute(
        update(SignInThrottle)
        .where(SignInThrottle.kind == ADDRESS, SignInThrottle.value == address, SignInThrottle.failures > 0)
        .values(failures=SignInThrottle.failures - 1, revision=SignInThrottle.revision + 1)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class LoginDelay:
    failures: int
    until: datetime

    @property
    def until_local(self) -> str:
        return self.until.astimezone(TASHKENT).strftime("%d.%m.%Y %H:%M")


async def delay_of(session: AsyncSession, login: str, now: datetime) -> LoginDelay | None:
    """The delay a login must still wait out, if any (shown to its tenant's administrators)."""
    row = await session.get(SignInThrottle, (LOGIN, login))
    if row is None or row.next_attempt_at <= now:
        return None
    return LoginDelay(failures=row.failures, until=row.next_attempt_at)


async def clear(session: AsyncSession, login: str) -> bool:
    """Forget a login's failures; True when there was a delay to clear."""
    result = await session.execute(
        delete(SignInThrottle).where(SignInThrottle.kind == LOGIN, SignInThrottle.value == login)
    )
    return bool(result.rowcount)
