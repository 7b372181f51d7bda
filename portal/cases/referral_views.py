"""What the referral pages and the dashboards read: one referral with its client (as the clauses
share it for the referral's purpose), the lists of referrals sent and received, and the small
summaries the dashboards show. Every read goes through the kernel; every deadline is derived from
the clock and the working-day calendar on each read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select, union_all

from portal.access.kernel import Access
from portal.access.redact import View
from portal.access.sharing import local_date
from portal.cases import calendar, due_order
from portal.cases.facts import user_names
from portal.cases.inspection import review_of
from portal.cases.models import Client, Referral
from portal.cases.referral_rules import KINDS, allowed_actions
from portal.cases.referrals import facts_of, tenant_names

OPEN_STATES = ("sent", "accepted", "in_progress")
ANSWERED = ("accepted", "declined", "in_progress", "completed", "failed", "withdrawn")
LIST_LIMIT = 200
PAGE_SIZE = 50  # rows in one page of the referrals page's lists
DUE_ORDER = (due_order.due_day(), Referral.id)


@dataclass(frozen=True)
class Deadline:
    """The answer's deadline as of today: the last day, and how near or past it is."""

    due_on: date
    working_days_left: int  # working days after today up to the due day
    overdue: bool
    due_soon: bool  # due today or on the next working day
    days_late: int  # calendar days past the due day


def deadline(cal: calendar.WorkingCalendar, state: str, due_on: date | None, today: date) -> Deadline | None:
    """Only a sent, unanswered referral with a due day has a running deadline."""
    if state != "sent" or due_on is None:
        return None
    left = cal.working_days_left(today, due_on)
    overdue = today > due_on
    return Deadline(
        due_on=due_on,
        working_days_left=left,
        overdue=overdue,
        due_soon=not overdue and left <= calendar.DUE_SOON_WORKING_DAYS,
        days_late=(today - due_on).days if overdue else 0,
    )


@dataclass
class ReferralPage:
    referral: View
    parties: tuple[str, ...]  # ("own",) for the sender, else the party columns naming the actor's tenant
    actions: list[str]
    client: View | None  # what the actor may see of the client, for the referral's purpose
    review: View | None
    deadline: Deadline | None
    tenants: dict[int, dict[str, str]]
    users: dict[int, str]
    again_id: int | None  # the referral that sent this one again
    version: int  # the referral's version, for the action forms (a change meanwhile is refused)


async def referral_page(access: Access, referral_id: int) -> ReferralPage:
    """One referral as the actor may see it; a 404 for anyone but its parties (a draft: its sender only)."""
    view = await access.get(Referral, referral_id, "read")
    row, parties = await access.held(Referral, referral_id, "read")
    today = local_date(access.now)
    facts = await facts_of(access, row)
    purpose = KINDS[row.kind].purpose if row.kind in KINDS else "referral"
    client = await access.find(Client, row.client_id, "read", purpose=None if view.own else purpose)
    cal = await calendar.load(access.session, today.year)
    again = await access.session.scalar(
        select(Referral.id).where(Referral.previous_id == row.id, Referral.tenant_id == access.actor.tenant_id)
    )
    review = await review_of(access, row.id)
    user_ids = {row.sent_by, row.answered_by} | ({review.value("recorded_by", None)} if review else set())
    return ReferralPage(
        referral=view,
        parties=parties,
        actions=allowed_actions(row, parties, today, access.allows, facts),
        client=client,
        review=review,
        deadline=deadline(cal, row.state, row.answer_due_on, today),
        tenants=await tenant_names(access, {row.tenant_id, row.recipient_tenant_id, row.inspection_tenant_id}),
        users=await user_names(access, {i for i in user_ids if i}),
        again_id=again,
        version=row.version,
    )


@dataclass(frozen=True)
class ReferralLine:
    """One referral in a list or on a dashboard: what it is, between whom, and its deadline."""

    id: int
    kind: str
    subject: str
    state: str
    sender_id: int
    recipient_id: int
    sent_at: datetime | None
    deadline: Deadline | None
    own: bool
    due_on: date | None = None  # the answer's due day, in any state


def _line(view: View, cal: calendar.WorkingCalendar, today: date) -> ReferralLine:
    return ReferralLine(
        id=view.id,
        kind=view.value("kind"),
        subject=view.value("subject"),
        state=view.value("state"),
        sender_id=view.owner_tenant_id,
        recipient_id=view.value("recipient_tenant_id"),
        sent_at=view.value("sent_at", None),
        deadline=deadline(cal, view.value("state"), view.value("answer_due_on", None), today),
        own=view.own,
        due_on=view.value("answer_due_on", None),
    )


async def _lines(access: Access, stmt, limit: int = LIST_LIMIT, ours: bool = False) -> list[ReferralLine]:  # type: ignore[no-untyped-def]
    """At most `limit` of `stmt`'s referrals; `ours` when it selects the organisation's own (sent) ones."""
    today = local_date(access.now)
    cal = await calendar.load(access.session, today.year)
    views = await access.visible(Referral, stmt.limit(limit), category="referral", own_tenant_only=ours)
    return [_line(v, cal, today) for v in views]


@dataclass(frozen=True)
class ReferralList:
    """One page of a list of referrals, and where the next page starts (None on the last page)."""

    lines: list[ReferralLine]
    next: str | None


async def _page(access: Access, stmt, cursor, ours: bool = False) -> ReferralList:  # type: ignore[no-untyped-def]
    """One page of `stmt`'s referrals in its order; `cursor(line)` names the place after a line; `ours`
    when `stmt` selects the organisation's own (sent) referrals."""
    today = local_date(access.now)
    cal = await calendar.load(access.session, today.year)
    views, more = await access.page(Referral, stmt, PAGE_SIZE, category="referral", own_tenant_only=ours)
    lines = [_line(v, cal, today) for v in views]
    return ReferralList(lines, cursor(lines[-1]) if more and lines else None)


def _received(access: Access, states: tuple[str, ...], *columns):  # type: ignore[no-untyped-def]
    """A select of the referrals other organisations addressed to the actor's, in these states."""
    return select(*(columns or (Referral,))).where(
        Referral.recipient_tenant_id == access.actor.tenant_id,
        Referral.tenant_id != access.actor.tenant_id,
        Referral.state.in_(states),
    )


async def awaiting_page(access: Access, after: str = "") -> ReferralList:
    """Referrals addressed to the actor's organisation still awaiting its answer, the nearest deadline
    first; `after` is the cursor a previous page gave."""
    stmt = due_order.ordered(_received(access, ("sent",)), after)
    return await _page(access, stmt, lambda line: due_order.cursor(line.deadline and line.deadline.due_on, line.id))


async def answered_page(access: Access, before: int | None = None) -> ReferralList:
    """Referrals addressed to the actor's organisation that it has answered (or the sender withdrew),
    newest first; `before` is the id a previous page ended at.

    Each answered state gives its newest visible page and one more from the index on the recipient, the
    state and the id, and the page is the newest of those: the newest of all is among them. Ordered by
    id over every answered state at once, PostgreSQL walked the primary key backwards past every other
    organisation's referrals (45,000 rows, 7 ms, for the recipient of a hundred owners). Each state is
    ordered by the index's whole key, equal to the id's order within it, so that no plan can take the
    primary key's walk instead."""
    newest = []
    for state in ANSWERED:
        arm = _received(access, (state,), Referral.id)
        if before is not None:
            arm = arm.where(Referral.id < before)
        by_index = (Referral.recipient_tenant_id.desc(), Referral.state.desc(), Referral.id.desc())
        arm = await access.scope(arm.order_by(*by_index).limit(PAGE_SIZE + 1), Referral, category="referral")
        newest.append(select(arm.subquery().c.id))  # a subquery each: SQLite orders no member of a UNION
    stmt = select(Referral).where(Referral.id.in_(union_all(*newest))).order_by(Referral.id.desc())
    return await _page(access, stmt, lambda line: str(line.id))


async def sent_page(access: Access, before: int | None = None) -> ReferralList:
    """The referrals the actor's organisation drafted or sent, newest first, one page."""
    stmt = select(Referral)
    if before is not None:
        stmt = stmt.where(Referral.id < before)
    return await _page(access, stmt.order_by(Referral.id.desc()), lambda line: str(line.id), ours=True)


async def case_referrals(access: Access, case_id: int) -> list[ReferralLine]:
    """The referrals of one of the actor's own cases, newest first."""
    stmt = select(Referral).where(Referral.case_id == case_id)
    return await _lines(access, stmt.order_by(Referral.id.desc()), ours=True)


async def referral_inbox(
    access: Access, states: tuple[str, ...] = OPEN_STATES, limit: int = LIST_LIMIT
) -> list[ReferralLine]:
    """Referrals addressed to the actor's organisation (sent, accepted, in progress by default): those
    awaiting its answer first, the nearest deadline first, then the rest, the earliest due first.

    Each state is read on its own, in that order, from the index on the recipient, the state and the
    due day, and the rest only when fewer than `limit` wait: one statement ordering them all by
    "waiting first" read and sorted every open referral of the recipient (10,000 for the busiest)."""
    by_due = [(state,) for state in states if state != "sent"]
    lines = await _lines(access, _received(access, ("sent",)).order_by(*DUE_ORDER), limit) if "sent" in states else []
    wanted = limit - len(lines)
    if wanted > 0 and by_due:
        rest = [
            line
            for group in by_due
            for line in await _lines(access, _received(access, group).order_by(*DUE_ORDER), wanted)
        ]
        lines += sorted(rest, key=lambda line: (line.due_on or due_order.NO_DUE_DAY, line.id))[:wanted]
    return lines


async def awaiting_count(access: Access) -> int:
    """How many referrals addressed to the actor's organisation await its answer."""
    scoped = await access.scope(_received(access, ("sent",), Referral.id), Referral, category="referral")
    return int(await access.session.scalar(select(func.count()).select_from(scoped.subquery())) or 0)


async def awaiting_answer(access: Access) -> list[ReferralLine]:
    """An employer's referrals still awaiting its answer, the nearest deadline first."""
    return await referral_inbox(access, ("sent",))


async def sender_alerts(access: Access, limit: int = LIST_LIMIT) -> list[ReferralLine]:
    """The sender's referrals that need its attention: refused, or unanswered past the deadline (at
    most `limit`, the earliest due first)."""
    today = local_date(access.now)
    stmt = select(Referral).where(
        or_(Referral.state == "declined", (Referral.state == "sent") & (Referral.answer_due_on < today))
    )
    return await _lines(access, stmt.order_by(Referral.answer_due_on, Referral.id.desc()), limit, ours=True)


async def due_soon(access: Access, sent_only: bool = False, limit: int = LIST_LIMIT) -> list[ReferralLine]:
    """Answers due today or on the next working day, sent by the actor's organisation or addressed to it
    (only sent by it, with `sent_only`), the earliest due first: at most `limit`, the first in that
    order, since the rows read are ordered by due day and the ones due soon come first."""
    me = access.actor.tenant_id
    stmt = select(Referral).where(
        Referral.state == "sent",
        Referral.answer_due_on.is_not(None),
        Referral.answer_due_on >= local_date(access.now),
        Referral.tenant_id == me if sent_only else or_(Referral.tenant_id == me, Referral.recipient_tenant_id == me),
    )
    lines = await _lines(access, stmt.order_by(Referral.answer_due_on, Referral.id), limit, ours=sent_only)
    return [line for line in lines if line.deadline is not None and line.deadline.due_soon]
