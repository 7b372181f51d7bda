"""Home-page cards of the work itself, computed from the data for whoever may do it: a case manager's
caseload with what is due, a recipient's referrals with the time left to answer, the sender's refused
and unanswered referrals, the labour inspection's review queue, and the check-ins that are late.

Every list goes through the kernel (the same reads as the pages they link to, audited the same way);
an empty card says what will appear there and how to start.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access.guard import Actor
from portal.access.kernel import Access
from portal.access.policy import PolicyStore
from portal.access.sharing import local_date
from portal.cases import inspection, placements, referral_views
from portal.cases.casefile import client_of_cases
from portal.cases.models import STAGES, ActionPlan, Case, Client, PlanMeasure
from portal.cases.referrals import tenant_names
from portal.home.card import Card, Item, Link
from portal.i18n import current_language, ngettext
from portal.i18n import gettext as _
from portal.labels import label
from portal.labels import local_date as shown_date

SHOWN = 8  # lines per card; the link under it opens the whole list
MEASURES_AHEAD_DAYS = 7


def _name(names: dict[int, dict[str, str]], tenant_id: int | None) -> str:
    found = names.get(tenant_id or 0, {})
    return found.get(current_language()) or found.get("uz", "")


def _time_left(deadline: referral_views.Deadline | None) -> str:
    if deadline is None:
        return ""
    if deadline.overdue:
        return ngettext(
            "No answer: %(num)d day past the deadline (%(date)s)",
            "No answer: %(num)d days past the deadline (%(date)s)",
            deadline.days_late,
        ) % {"num": deadline.days_late, "date": shown_date(deadline.due_on)}
    if deadline.working_days_left == 0:
        return _("Answer due today (%(date)s)") % {"date": shown_date(deadline.due_on)}
    return ngettext(
        "%(num)d working day left to answer (until %(date)s)",
        "%(num)d working days left to answer (until %(date)s)",
        deadline.working_days_left,
    ) % {"num": deadline.working_days_left, "date": shown_date(deadline.due_on)}


def _referral_text(line: referral_views.ReferralLine, other: str) -> str:
    what = line.subject or label("referral_kind", line.kind)
    return f"{what} — {other}" if other else what


async def _client_names(access: Access, client_ids: set[int]) -> dict[int, str]:
    if not client_ids:
        return {}
    views = await access.among(Client, client_ids, category="identity")
    return {v.id: v.display_name for v in views}


async def caseload(session: AsyncSession, actor: Actor, now: datetime, policy: PolicyStore) -> Card:
    """The actor's own open cases, the measures of their plans due within a week, and stage counts."""
    access = Access(session, policy, actor, now)
    today = local_date(now)
    mine = (
        select(Case)
        .where(Case.manager_user_id == actor.user_id, Case.stage != "closed")
        .order_by(Case.updated_at.desc(), Case.id.desc())
    )
    # All three read the organisation's own rows (see Access.scope's own_tenant_only).
    cases = await access.visible(Case, mine.limit(SHOWN), own_tenant_only=True)
    counts = dict(
        (
            await session.execute(
                (
                    await access.scope(
                        select(Case.stage, func.count()), Case, category="assessment", own_tenant_only=True
                    )
                )
                .where(Case.manager_user_id == actor.user_id)
                .group_by(Case.stage)
            )
        ).all()
    )
    measures = await access.visible(
        PlanMeasure,
        select(PlanMeasure)
        .where(
            PlanMeasure.status.in_(("planned", "in_progress")),
            PlanMeasure.due_on.is_not(None),
            PlanMeasure.due_on <= date.fromordinal(today.toordinal() + MEASURES_AHEAD_DAYS),
        )
        .order_by(PlanMeasure.due_on)
        .limit(SHOWN),
        own_tenant_only=True,
    )
    clients = await client_of_cases(session, [c.id for c in cases])
    names = await _client_names(access, set(clients.values()))
    plan_cases = await _plan_cases(access, {m.value("plan_id") for m in measures})
    items = [
        Item(
            text=names.get(clients.get(c.id, 0), "") or f"#{c.id}",
            href=f"/cases/{c.id}",
            note=label("stage", c.value("stage")),
        )
        for c in cases
    ]
    for m in measures:
        due = m.value("due_on", None)
        late = due is not None and due < today
        note = (_("Overdue since %(date)s") if late else _("Due %(date)s")) % {"date": shown_date(due)}
        case_id = plan_cases.get(m.value("plan_id"))
        items.append(
            Item(
                text=label("measure_kind", m.value("kind")),
                href=f"/cases/{case_id}" if case_id else None,
                note=note,
            )
        )
    figures = [
        (
            counts.get(stage, 0),
            _("%(stage)s: %(num)d") % {"stage": label("stage", stage), "num": counts.get(stage, 0)},
        )
        for stage in STAGES
        if stage != "closed" and counts.get(stage, 0)
    ]
    return Card(
        key="caseload",
        title=_("Your caseload"),
        empty=_(
            "No open cases in your care. Open a case from a client's page or from a visit on the outreach "
            "list; your cases and the measures of their plans that fall due appear here."
        ),
        items=items,
        figures=figures,
        links=[Link("/cases", _("All cases of your organisation"))],
    )


async def _plan_cases(access: Access, plan_ids: set[int]) -> dict[int, int]:
    if not plan_ids:
        return {}
    rows = (
        await access.session.execute(
            select(ActionPlan.id, ActionPlan.case_id).where(
                ActionPlan.id.in_(plan_ids), ActionPlan.tenant_id == access.actor.tenant_id
            )
        )
    ).all()
    return {plan_id: case_id for plan_id, case_id in rows}


async def referrals_to_answer(session: AsyncSession, actor: Actor, now: datetime, policy: PolicyStore) -> Card:
    """Referrals addressed to the actor's organisation, those awaiting an answer first, with the time left."""
    access = Access(session, policy, actor, now)
    lines = await referral_views.referral_inbox(access, limit=SHOWN)
    names = await tenant_names(access, {line.sender_id for line in lines})
    waiting = await referral_views.awaiting_count(access)
    items = [
        Item(
            text=_referral_text(line, _name(names, line.sender_id)),
            href=f"/referrals/{line.id}",
            note=_time_left(line.deadline) or label("referral_state", line.state),
        )
        for line in lines
    ]
    return Card(
        key="referral-inbox",
        title=_("Referrals to your organisation"),
        empty=_(
            "No referrals to answer. When a partner refers a client to your organisation, the referral appears "
            "here with the time left to answer it."
        ),
        items=items,
        figures=[
            (
                waiting,
                ngettext("%(num)d referral awaits your answer", "%(num)d referrals await your answer", waiting)
                % {"num": waiting},
            )
        ],
        links=[Link("/referrals", _("All referrals"))],
    )


async def referrals_needing_attention(session: AsyncSession, actor: Actor, now: datetime, policy: PolicyStore) -> Card:
    """The sender's referrals that were refused or left unanswered past the deadline, and answers due soon."""
    access = Access(session, policy, actor, now)
    alerts = await referral_views.sender_alerts(access, limit=SHOWN)
    soon = await referral_views.due_soon(access, sent_only=True, limit=SHOWN)
    names = await tenant_names(access, {line.recipient_id for line in alerts + soon})
    items = []
    for line in alerts[:SHOWN]:
        note = label("referral_state", line.state) if line.state == "declined" else _time_left(line.deadline)
        items.append(
            Item(text=_referral_text(line, _name(names, line.recipient_id)), href=f"/referrals/{line.id}", note=note)
        )
    for line in soon[: max(0, SHOWN - len(items))]:
        items.append(
            Item(
                text=_referral_text(line, _name(names, line.recipient_id)),
                href=f"/referrals/{line.id}",
                note=_time_left(line.deadline),
            )
        )
    return Card(
        key="referral-alerts",
        title=_("Referrals you sent that need attention"),
        empty=_(
            "Nothing needs attention. A referral you sent that is declined, or not answered by its deadline, "
            "appears here; send one from a case's page."
        ),
        items=items,
        links=[Link("/referrals", _("All referrals"))],
    )


async def review_queue(session: AsyncSession, actor: Actor, now: datetime, policy: PolicyStore) -> Card:
    """The labour inspection's queue: employers' refusals and silences past the deadline, awaiting an outcome."""
    access = Access(session, policy, actor, now)
    queue = (await inspection.review_queue(access, size=SHOWN)).items
    waiting = await inspection.queue_count(access)
    names = await tenant_names(access, {q.referral.value("recipient_tenant_id", None) for q in queue})
    items = []
    for q in queue:
        employer = _name(names, q.referral.value("recipient_tenant_id", None))
        what = q.referral.value("subject") or label("referral_kind", q.referral.value("kind"))
        note = (
            _("Refused with a justification")
            if q.refused
            else ngettext(
                "Not answered: %(num)d day past the deadline",
                "Not answered: %(num)d days past the deadline",
                q.days_late,
            )
            % {"num": q.days_late}
        )
        items.append(
            Item(text=f"{what} — {employer}" if employer else what, href=f"/referrals/{q.referral.id}", note=note)
        )
    return Card(
        key="review-queue",
        title=_("Refusals to review"),
        empty=_(
            "Nothing to review. When an employer refuses a referred person, or lets five working days pass "
            "without an answer, the referral appears here for your outcome."
        ),
        items=items,
        figures=[
            (
                waiting,
                ngettext("%(num)d referral awaits your review", "%(num)d referrals await your review", waiting)
                % {"num": waiting},
            )
        ],
        links=[Link("/reviews", _("The whole review queue"))],
    )


async def late_check_ins(session: AsyncSession, actor: Actor, now: datetime, policy: PolicyStore) -> Card:
    """Placements whose monthly check-in is past its day."""
    access = Access(session, policy, actor, now)
    lines = await placements.overdue_check_ins(access)
    items = []
    for line in lines[:SHOWN]:
        row = next((m for m in line.monitoring.months if m.overdue), None)
        note = (
            _("Check-in of month %(month)d was due %(date)s") % {"month": row.month, "date": shown_date(row.due_on)}
            if row
            else ""
        )
        p = line.placement
        items.append(
            Item(text=f"{p.value('job_title')} — {p.value('employer_name')}", href=f"/placements/{p.id}", note=note)
        )
    return Card(
        key="check-ins",
        title=_("Check-ins after placement"),
        empty=_(
            "No check-in is late. Each placed client is checked on monthly for six months; a check-in past "
            "its day appears here."
        ),
        items=items,
        links=[Link("/placements", _("All placements and their monitoring"))],
    )
