"""Who is told what when a referral moves, and the reminders its deadline gives.

Stored notifications (and their e-mails) are written in the transaction of the change itself: a
referral received by the recipient's answerers, an answer given to the sender, a refusal to the labour
inspection's reviewers. A deadline that is near, or passed in silence, is derived from the clock on
every read and never stored, so nothing needs a job to notice it. No notice carries client data: its
link leads to the referral, which its reader opens through the access kernel.
"""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access.guard import Actor
from portal.access.kernel import Access
from portal.access.sharing import TASHKENT, local_date
from portal.cases import calendar
from portal.cases.models import Referral
from portal.i18n import lazy
from portal.notifications import services as notifications

# action -> (who is told: "sender", "recipient" or "inspection", the permission that reads it, text)
NOTICES: dict[str, list[tuple[str, tuple[str, str], str]]] = {
    "send": [
        ("recipient", ("referral", "answer"), lazy("%(sender)s sent your organisation a referral: %(subject)s.")),
    ],
    "accept": [("sender", ("referral", "send"), lazy("%(recipient)s accepted your referral: %(subject)s."))],
    "decline": [("sender", ("referral", "send"), lazy("%(recipient)s declined your referral: %(subject)s."))],
    "complete": [("sender", ("referral", "send"), lazy("%(recipient)s completed your referral: %(subject)s."))],
    "fail": [
        ("sender", ("referral", "send"), lazy("%(recipient)s reports your referral did not succeed: %(subject)s."))
    ],
    "withdraw": [("recipient", ("referral", "answer"), lazy("%(sender)s withdrew its referral: %(subject)s."))],
}
REFUSAL_TO_REVIEW = lazy("%(recipient)s refused a referral from %(sender)s; it awaits your review.")


async def on_action(access: Access, referral: Referral, action: str) -> None:
    """Tell the parties of `referral` that `action` was taken, in the request's transaction."""
    tenants = {"sender": referral.tenant_id, "recipient": referral.recipient_tenant_id}
    params: dict[str, notifications.Param] = {
        "sender": notifications.TenantName(referral.tenant_id),
        "recipient": notifications.TenantName(referral.recipient_tenant_id),
        "subject": referral.subject or notifications.Label("referral_kind", referral.kind),
    }
    link = ("referral", {"referral_id": referral.id})
    for who, audience, text in NOTICES.get(action, []):
        await notifications.notify(
            access.session,
            tenants[who],
            audience=audience,
            kind=f"referral_{action}",
            link=link,
            text=text,
            params=params,
            now=access.now,
        )
    if action == "decline" and referral.inspection_tenant_id:
        await notifications.notify(
            access.session,
            referral.inspection_tenant_id,
            audience=("referral", "review"),
            kind="referral_refused",
            link=link,
            text=REFUSAL_TO_REVIEW,
            params={k: v for k, v in params.items() if k != "subject"},
            now=access.now,
        )


def _deadline_moment(day) -> datetime:  # type: ignore[no-untyped-def]
    return datetime.combine(day, time(18, 0), tzinfo=TASHKENT)


# Built once: every page of a recipient's staff sends it for the header (see answers_due).
_SENT_TO = select(Referral.id, Referral.answer_due_on).where(
    Referral.recipient_tenant_id == bindparam("recipient"),
    Referral.state == "sent",
    Referral.answer_due_on.is_not(None),
)


async def answers_due(session: AsyncSession, actor: Actor, now: datetime) -> list[notifications.Item]:
    """The recipient's unanswered referrals whose last day is today or the next working day, or past.

    Reads the referrals' own party fields (id, due day) addressed to the actor's tenant, nothing of
    the client; one indexed query (recipient, state)."""
    today = local_date(now)
    rows = (await session.execute(_SENT_TO, {"recipient": actor.tenant_id})).all()
    if not rows:
        return []
    cal = await calendar.load(session, today.year, today.year + 1)
    items = []
    for referral_id, due in rows:
        late = due < today
        if not late and cal.working_days_left(today, due) > calendar.DUE_SOON_WORKING_DAYS:
            continue
        items.append(
            notifications.Item(
                key=f"referral-due:{referral_id}",
                kind="answer_overdue" if late else "answer_due",
                text=lazy("The answer to a referral was due on %(date)s.")
                if late
                else lazy("The answer to a referral is due on %(date)s."),
                params={"date": due},
                link=notifications.Link("referral", {"referral_id": referral_id}),
                at=_deadline_moment(due),
            )
        )
    return items


async def silences_to_review(session: AsyncSession, actor: Actor, now: datetime) -> list[notifications.Item]:
    """The inspection's referrals left unanswered past their last day (the employer's silence)."""
    today = local_date(now)
    rows = (
        await session.execute(
            select(Referral.id, Referral.answer_due_on).where(
                Referral.inspection_tenant_id == actor.tenant_id,
                Referral.state == "sent",
                Referral.answer_due_on < today,
            )
        )
    ).all()
    return [
        notifications.Item(
            key=f"referral-silent:{referral_id}",
            kind="answer_overdue",
            text=lazy("An employer did not answer a referral by %(date)s; it awaits your review."),
            params={"date": due},
            link=notifications.Link("referral", {"referral_id": referral_id}),
            at=_deadline_moment(due),
        )
        for referral_id, due in rows
    ]


notifications.register_derived(("referral", "answer"), answers_due)
notifications.register_derived(("referral", "review"), silences_to_review)
