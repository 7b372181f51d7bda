"""Lists of referrals in the order of their answer's due day, paged by keyset: the recipient's
referrals awaiting its answer and the labour inspection's review queue. A page ends at a cursor,
"YYYY-MM-DD.ID" (the last row's due day and id), and the next page starts after it; a referral with
no due day comes after every deadline."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Select, func, literal_column, tuple_

from portal.cases.models import Referral
from portal.cases.referral_models import NO_DUE_DAY, NO_DUE_DAY_SQL
from portal.edge import parse_int


def due_day():  # type: ignore[no-untyped-def]
    """The answer's due day as the lists sort it: the expression of the index ix_referrals_recipient_due,
    so that a recipient's referrals in one state are read in this order from the index, not sorted."""
    return func.coalesce(Referral.answer_due_on, literal_column(NO_DUE_DAY_SQL, Date))


def ordered(stmt: Select, after: str = "") -> Select:
    """`stmt` by due day, then id, from the place after the cursor `after` (the start for anything that
    names no place)."""
    place = _parse(after)
    if place is not None:
        stmt = stmt.where(tuple_(due_day(), Referral.id) > tuple_(*place))
    return stmt.order_by(due_day(), Referral.id)


def cursor(due: date | None, ident: int) -> str:
    """The cursor that names the place after a referral with this due day and id."""
    return f"{(due or NO_DUE_DAY).isoformat()}.{ident}"


def _parse(text: str) -> tuple[date, int] | None:
    day, _, ident = text.partition(".")
    number = parse_int(ident)
    if number is None or len(day) != 10:
        return None
    try:
        return date.fromisoformat(day), number
    except ValueError:
        return None
