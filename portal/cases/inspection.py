"""The labour inspection's part: which inspection reviews an employer's referral, its review queue
(refusals and silences past the deadline, derived from the clock on every read), and the outcome
it records.

Which inspection: the active labour-inspection tenant of the employer's region (the lowest id when a
region has several); when the region has none, the first active one anywhere, so no refusal goes
unreviewed. It is fixed when the referral is sent and is a party of the referral from then on: it
sees the referral's own record, never another referral's, and of the client only what a clause
shares with it.

"Re-referred" does not create anything by itself: it lets the sender send the referral again (a new
draft linked to this one by previous_id, offered on the referral's page), because only the sender
holds the case and chooses, with the client, where to refer next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from portal.access.kernel import Access
from portal.access.redact import View
from portal.access.sharing import local_date
from portal.cases import due_order
from portal.cases.models import REVIEW_OUTCOMES, Referral, ReferralReview
from portal.cases.referral_rules import why_not
from portal.cases.referrals import Answer, Refused, case_of, facts_of
from portal.cases.timeline import add_event
from portal.edge import clean_text
from portal.i18n import gettext as _
from portal.i18n import lazy
from portal.notifications import services as notifications
from portal.tenants.models import Tenant

MIN_NOTE = 10
MAX_NOTE = 4000
QUEUE_PAGE = 50  # referrals in one page of the review queue


async def inspection_for(access: Access, employer_id: int, kind: str = "labour_inspection") -> int | None:
    """The inspection of the employer's region, or any when that region has none."""
    employer = await access.session.get(Tenant, employer_id)
    query = select(Tenant.id).where(Tenant.kind == kind, Tenant.is_active).order_by(Tenant.id).limit(1)
    if employer is not None:
        in_region = await access.session.scalar(query.where(Tenant.region_code == employer.region_code))
        if in_region is not None:
            return int(in_region)
    found = await access.session.scalar(query)
    return None if found is None else int(found)


def _awaiting(tenant_id: int, today: date):  # type: ignore[no-untyped-def]
    reviewed = exists().where(ReferralReview.referral_id == Referral.id)
    silent = and_(Referral.state == "sent", Referral.answer_due_on < today)
    return and_(Referral.inspection_tenant_id == tenant_id, ~reviewed, or_(Referral.state == "declined", silent))


@dataclass(frozen=True)
class QueueItem:
    referral: View
    refused: bool  # True: declined with a justification; False: left unanswered past the deadline
    days_late: int  # calendar days since the last day to answer (0 for a refusal answered in time)


@dataclass(frozen=True)
class ReviewQueue:
    """One page of the queue, and the cursor of the next (None on the last page)."""

    items: list[QueueItem]
    next: str | None


async def review_queue(access: Access, after: str = "", size: int | None = None) -> ReviewQueue:
    """The refusals and silences awaiting the actor's inspection's review, oldest deadline first: one
    page of `size` (QUEUE_PAGE), from the place after the cursor `after`."""
    today = local_date(access.now)
    stmt = due_order.ordered(select(Referral).where(_awaiting(access.actor.tenant_id, today)), after)
    size = size or QUEUE_PAGE
    views, more = await access.page(Referral, stmt, size, category="referral")
    items = []
    for view in views:
        due = view.value("answer_due_on", None)
        refused = view.value("state") == "declined"
        late = (today - due).days if due is not None and not refused else 0
        items.append(QueueItem(referral=view, refused=refused, days_late=max(late, 0)))
    last = views[-1] if more and views else None
    return ReviewQueue(items, due_order.cursor(last.value("answer_due_on", None), last.id) if last else None)


async def queue_count(access: Access) -> int:
    """How many refusals and silences await the actor's inspection's review."""
    stmt = select(Referral.id).where(_awaiting(access.actor.tenant_id, local_date(access.now)))
    scoped = await access.scope(stmt, Referral, category="referral")
    return int(await access.session.scalar(select(func.count()).select_from(scoped.subquery())) or 0)


async def review_of(access: Access, referral_id: int) -> View | None:
    """The inspection's review of a referral, as the actor may see it (its parties do)."""
    stmt = select(ReferralReview).where(ReferralReview.referral_id == referral_id)
    found = await access.visible(ReferralReview, stmt)
    return found[0] if found else None


REVIEWED = lazy("The labour inspection recorded its outcome on a referral: %(outcome)s.")


async def record_review(access: Access, referral_id: int, outcome: str, answer: Answer) -> ReferralReview | None:
    """The inspector's outcome on a refusal or a silence; None with answer.errors; Refused when not allowed."""
    referral, parties = await access.held(Referral, referral_id, "review")
    today = local_date(access.now)
    problem = why_not("review", referral, parties, today, access.allows, await facts_of(access, referral))
    if problem:
        raise Refused(problem)
    if answer.version != referral.version:
        raise Refused(_("Someone else changed this referral while you had it open, so nothing was changed."))
    answer.text, too_long = clean_text(answer.text, MAX_NOTE, multiline=True)
    if outcome not in REVIEW_OUTCOMES:
        answer.errors["outcome"] = _("Choose the outcome of the review.")
    if too_long:
        answer.errors["text"] = too_long
    elif len(answer.text) < MIN_NOTE:
        answer.errors["text"] = _("Write what the inspection found and did (at least %(n)s characters).") % {
            "n": MIN_NOTE
        }
    if answer.errors:
        return None
    review = ReferralReview(
        tenant_id=access.actor.tenant_id,
        referral_id=referral.id,
        client_id=referral.client_id,
        sender_tenant_id=referral.tenant_id,
        recipient_tenant_id=referral.recipient_tenant_id,
        outcome=outcome,
        note=answer.text,
        recorded_by=access.actor.user_id,
        recorded_at=access.now,
    )
    access.session.add(review)
    try:
        await access.session.flush()
    except IntegrityError as exc:  # another inspector recorded it a moment earlier
        raise Refused(_("The labour inspection has already recorded its review of this referral.")) from exc
    await add_event(access, case_of(referral), "referral.reviewed", referral=referral.id, outcome=outcome)
    for tenant_id, audience in (
        (referral.tenant_id, ("referral", "send")),
        (referral.recipient_tenant_id, ("referral", "answer")),
    ):
        await notifications.notify(
            access.session,
            tenant_id,
            audience=audience,
            kind="referral_reviewed",
            link=("referral", {"referral_id": referral.id}),
            text=REVIEWED,
            params={"outcome": notifications.Label("review_outcome", outcome)},
            now=access.now,
        )
    await access.record("referral.review", "referral", referral.id, owner=referral.tenant_id, outcome=outcome)
    return review
