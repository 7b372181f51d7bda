"""Placements and the six months of monitoring after them (the ministry's mechanism, step 9).

A placement is recorded by the organisation that holds the case, from the case or from a referral
of it that an employer accepted. Check-ins are monthly: the check-in of month m is due on the same
day m months after the start date (the last day of a shorter month), and is overdue from the day
after. Monitoring stops when the person leaves the job (a "left the job" check-in ends the placement
on its day).

Retention is read at 28 days, 3 months and 6 months after the start, from the check-ins and dates:
- "pending": the point is still ahead (and the person has not left);
- "retained": a check-in on or after the point found the person in work;
- "not_retained": the placement ended on or before the point;
- "unknown": the point has passed and no check-in since confirms either way.
Everything is derived on each read from the stored facts and the clock; nothing is flagged by a job.
"""

from __future__ import annotations

import calendar as month_calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from portal.access.kernel import Access
from portal.access.redact import View
from portal.access.sharing import local_date
from portal.cases.models import Case, CheckIn, Placement, Referral
from portal.cases.referral_models import CHECK_IN_MONTHS, CHECK_IN_STATUSES, RETENTION_POINTS
from portal.cases.timeline import add_event
from portal.edge import clean_text, parse_int
from portal.i18n import gettext as _
from portal.tenants.models import Tenant

# The referral states from which a placement may follow (the employer took the person on).
PLACING_STATES = ("accepted", "in_progress", "completed")
DUE_SOON_DAYS = 7


def add_months(start: date, months: int) -> date:
    year, month = divmod(start.month - 1 + months, 12)
    year, month = start.year + year, month + 1
    return date(year, month, min(start.day, month_calendar.monthrange(year, month)[1]))


def retention_date(start: date, point: str) -> date:
    return {"28_days": start + timedelta(days=28), "3_months": add_months(start, 3), "6_months": add_months(start, 6)}[
        point
    ]


@dataclass(frozen=True)
class MonthRow:
    month: int
    due_on: date
    check_in: View | None
    overdue: bool
    due_soon: bool


@dataclass(frozen=True)
class Monitoring:
    months: list[MonthRow]
    retention: dict[str, str]  # point -> pending | retained | not_retained | unknown
    ended_on: date | None

    @property
    def overdue(self) -> list[MonthRow]:
        return [m for m in self.months if m.overdue]


def monitoring(start: date, ended_on: date | None, check_ins: list[View], today: date) -> Monitoring:
    """The month-by-month schedule and the retention points, derived from the check-ins and today."""
    by_month = {c.value("month"): c for c in check_ins}
    months = []
    for month in range(1, CHECK_IN_MONTHS + 1):
        due = add_months(start, month)
        done = by_month.get(month)
        stopped = ended_on is not None and ended_on < due
        months.append(
            MonthRow(
                month=month,
                due_on=due,
                check_in=done,
                overdue=done is None and not stopped and today > due,
                due_soon=done is None and not stopped and today <= due <= today + timedelta(days=DUE_SOON_DAYS),
            )
        )
    retention = {}
    for point in RETENTION_POINTS:
        when = retention_date(start, point)
        if ended_on is not None and ended_on <= when:
            retention[point] = "not_retained"
        elif any(c.value("checked_on") >= when and c.value("status") != "left_job" for c in check_ins):
            retention[point] = "retained"
        else:
            retention[point] = "pending" if today < when else "unknown"
    return Monitoring(months=months, retention=retention, ended_on=ended_on)


@dataclass
class PlacementForm:
    referral: str = ""
    employer_name: str = ""
    job_title: str = ""
    start_date: str = ""
    contract_registered: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, form: Any) -> PlacementForm:
        names = ("referral", "employer_name", "job_title", "start_date", "contract_registered")
        return cls(**{name: str(form.get(name, "")) for name in names})


async def placing_referrals(access: Access, case_id: int) -> list[Referral]:
    """The case's referrals a placement may follow from (the recipient took the person on)."""
    stmt = select(Referral).where(
        Referral.case_id == case_id,
        Referral.tenant_id == access.actor.tenant_id,
        Referral.state.in_(PLACING_STATES),
    )
    return list((await access.session.scalars(stmt.order_by(Referral.id.desc()))).all())


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text.isascii() else None
    except ValueError:
        return None


async def create_placement(access: Access, case_id: int, form: PlacementForm) -> Placement | None:
    """Record that the client of the actor's own case started a job; None with form.errors."""
    case = await access.own(Case, case_id, "read")
    if case.stage == "closed":
        form.errors["form"] = _("The case is closed: nothing more can be recorded on it.")
        return None
    referral = None
    if form.referral:
        wanted = parse_int(form.referral)
        referral = next((r for r in await placing_referrals(access, case_id) if r.id == wanted), None)
        if referral is None:
            form.errors["referral"] = _("Choose one of this case's accepted referrals, or none.")
    employer_id = referral.recipient_tenant_id if referral is not None else None
    form.employer_name, problem = clean_text(form.employer_name, 300)
    if problem:
        form.errors["employer_name"] = problem
    elif not form.employer_name and employer_id is not None:
        employer = await access.session.get(Tenant, employer_id)
        form.employer_name = employer.name_uz if employer is not None else ""
    if not form.employer_name and "employer_name" not in form.errors:
        form.errors["employer_name"] = _("Name the employer, or choose the referral the job came from.")
    form.job_title, problem = clean_text(form.job_title, 300)
    if problem or len(form.job_title) < 2:
        form.errors["job_title"] = problem or _("Name the job, e.g. sewing machine operator.")
    start = _date(form.start_date)
    today = local_date(access.now)
    if start is None:
        form.errors["start_date"] = _("Enter the first working day as year-month-day, e.g. 2026-03-16.")
    elif not today - timedelta(days=366) <= start <= today + timedelta(days=90):
        form.errors["start_date"] = _("The start date must lie within the last year or the next three months.")
    if form.errors:
        return None
    assert start is not None
    placement = Placement(
        tenant_id=case.tenant_id,
        case_id=case.id,
        client_id=case.client_id,
        referral_id=referral.id if referral is not None else None,
        employer_tenant_id=employer_id,
        employer_name=form.employer_name,
        job_title=form.job_title,
        start_date=start,
        contract_registered=form.contract_registered == "yes",
    )
    access.session.add(placement)
    await access.session.flush()
    await add_event(access, case, "placement.recorded", placement=placement.id)
    await access.record("placement.create", "placement", placement.id, client=case.client_id)
    return placement


@dataclass
class CheckInForm:
    month: str = ""
    checked_on: str = ""
    status: str = ""
    note: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, form: Any) -> CheckInForm:
        return cls(**{name: str(form.get(name, "")) for name in ("month", "checked_on", "status", "note")})


async def record_check_in(access: Access, placement_id: int, form: CheckInForm) -> CheckIn | None:
    """One month's check-in on the actor's own placement; None with form.errors."""
    placement = await access.own(Placement, placement_id, "manage")
    today = local_date(access.now)
    month = parse_int(form.month, 1, CHECK_IN_MONTHS)
    taken = set((await access.session.scalars(select(CheckIn.month).where(CheckIn.placement_id == placement.id))).all())
    if month is None:
        form.errors["month"] = _("Choose the month of monitoring, 1 to 6.")
    elif month in taken:
        form.errors["month"] = _("This month's check-in is already recorded.")
    elif placement.ended_on is not None:
        form.errors["month"] = _("The person left this job: monitoring has ended.")
    checked = _date(form.checked_on)
    if checked is None:
        form.errors["checked_on"] = _("Enter the day of the check-in as year-month-day, e.g. 2026-04-16.")
    elif not placement.start_date <= checked <= today:
        form.errors["checked_on"] = _("The check-in day lies between the start of the job and today.")
    if form.status not in CHECK_IN_STATUSES:
        form.errors["status"] = _("Choose how the person is doing in the job.")
    form.note, problem = clean_text(form.note, 2000, multiline=True)
    if problem:
        form.errors["note"] = problem
    if form.errors:
        return None
    assert month is not None and checked is not None
    check_in = CheckIn(
        tenant_id=placement.tenant_id,
        placement_id=placement.id,
        client_id=placement.client_id,
        month=month,
        checked_on=checked,
        status=form.status,
        note=form.note,
        recorded_by=access.actor.user_id,
    )
    access.session.add(check_in)
    if form.status == "left_job":
        placement.ended_on = checked
    await access.session.flush()
    stub = await access.own(Case, placement.case_id, "read")
    await add_event(access, stub, "placement.check_in", placement=placement.id, month=month, status=form.status)
    await access.record("placement.check_in", "placement", placement.id, month=month, status=form.status)
    return check_in


@dataclass(frozen=True)
class PlacementLine:
    placement: View
    monitoring: Monitoring


async def _placement_lines(access: Access, stmt, few: bool = False, ours: bool = False) -> list[PlacementLine]:  # type: ignore[no-untyped-def]
    """The placements `stmt` selects with their check-ins; `few` when it selects one case's or one placement,
    `ours` when it selects the organisation's own."""
    placements = await access.visible(Placement, stmt, few=few, own_tenant_only=ours)
    if not placements:
        return []
    ids = [p.id for p in placements]
    of_these = select(CheckIn).where(CheckIn.placement_id.in_(ids))
    check_ins = await access.visible(CheckIn, of_these, few=few, own_tenant_only=ours)
    by_placement: dict[int, list[View]] = {}
    for c in check_ins:
        by_placement.setdefault(c.value("placement_id"), []).append(c)
    today = local_date(access.now)
    return [
        PlacementLine(
            p, monitoring(p.value("start_date"), p.value("ended_on", None), by_placement.get(p.id, []), today)
        )
        for p in placements
    ]


async def placement_of(access: Access, placement_id: int) -> PlacementLine:
    view = await access.get(Placement, placement_id)
    (line,) = await _placement_lines(access, select(Placement).where(Placement.id == view.id), few=True)
    return line


async def case_placements(access: Access, case_id: int) -> list[PlacementLine]:
    stmt = select(Placement).where(Placement.case_id == case_id).order_by(Placement.start_date.desc())
    return await _placement_lines(access, stmt, few=True)


async def monitored(access: Access) -> list[PlacementLine]:
    """The actor's organisation's placements still in their six months, or whose last check-in is due."""
    start = local_date(access.now) - timedelta(days=31 * (CHECK_IN_MONTHS + 1))
    stmt = select(Placement).where(Placement.start_date >= start).order_by(Placement.start_date).limit(500)
    return await _placement_lines(access, stmt, ours=True)


async def overdue_check_ins(access: Access) -> list[PlacementLine]:
    """Placements with a monthly check-in past its day, for the case manager's dashboard."""
    return [line for line in await monitored(access) if line.monitoring.overdue]
