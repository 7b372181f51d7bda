"""The demo's casework, so every role has real work on its home page: the INSON centre's cases at every
stage, referrals in every state (one employer silent past the five working days, one refusal awaiting
the labour inspection's review), a placement whose monthly check-in is late.

Everything is done as the demo's people, through the same functions the pages call, at the moments it
would have happened (the clock moved back), so timelines, deadlines and the audit log read true.
Idempotent: nothing is added once the INSON centre has a case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access.kernel import Access
from portal.access.policy import PolicyStore
from portal.access.sharing import local_date
from portal.cases import placements, referrals
from portal.cases.models import ActionPlan, Assessment, Case, Client, PlanMeasure
from portal.cases.referrals import Answer, ReferralForm
from portal.cases.timeline import add_event, open_case
from portal.db import utcnow
from portal.settings import ROOT
from portal.tenants.models import Tenant
from portal.tenants.services import actor_for

INSON = "inson-yunusobod"
SOCIAL_WORKER = "inson.social"
ANSWERERS = {
    "employer-toqimachi": "toqimachi.hr",
    "employer-yunusobod-non": "non.hr",
    "ngo-sharoit-plus": "ngo.worker",
    "monocentre-tashkent": "mono.case",
}
FINDINGS = {
    "health": "Eshitishda qiyinchilik; imo-ishora tilini biladi.",
    "education": "Kasb-hunar kolleji, tikuvchi.",
    "work_history": "Ikki yil tikuvchilik sexida ishlagan.",
    "family": "Ota-onasi bilan yashaydi.",
    "income": "Nogironlik nafaqasi oladi.",
    "housing": "Oʻz uyi, birinchi qavat.",
    "transport": "Jamoat transportida yuradi.",
    "motivation": "Ishlashni juda xohlaydi.",
}


@dataclass(frozen=True)
class Story:
    """One client's case: the stage it reached and the referrals sent for it."""

    # The client's place among INSON's demo clients (portal.cases.seed.DEMO); the first few are left
    # without a case, for whoever tries opening one.
    pinfl_index: int
    stage: str
    # (recipient slug, kind, subject, days ago sent, what the recipient then did)
    referrals: tuple[tuple[str, str, str, int, tuple[str, ...]], ...] = ()
    placed_days_ago: int | None = None


STORIES = (
    Story(14, "intake"),
    Story(13, "assessment"),
    Story(9, "planning", (("monocentre-tashkent", "training", "Tikuvchilik kursi", 0, ("draft",)),)),
    Story(2, "closed"),
    # Silent past five working days: flagged to the INSON centre and to the inspection.
    Story(8, "implementation", (("employer-toqimachi", "employer_job", "Tikuvchi (moslashtirilgan)", 12, ()),)),
    # Refused with a justification: awaits the inspection's outcome.
    Story(
        4,
        "implementation",
        (("employer-yunusobod-non", "employer_job", "Qadoqlovchi", 6, ("decline",)),),
    ),
    # Just sent: the employer's HR has working days left to answer.
    Story(7, "implementation", (("employer-toqimachi", "employer_job", "Omborchi yordamchisi", 1, ()),)),
    Story(
        10,
        "implementation",
        (
            ("ngo-sharoit-plus", "ngo_service", "Ish joyida hamrohlik", 20, ("accept", "start")),
            ("monocentre-tashkent", "training", "Kompyuter savodxonligi", 30, ("accept", "start", "fail")),
            ("employer-yunusobod-non", "employer_job", "Nonvoy yordamchisi", 25, ("withdraw",)),
        ),
    ),
    Story(
        12,
        "monitoring",
        (("ngo-sharoit-plus", "ngo_service", "Ishga joylashishda koʻmak", 110, ("accept", "start", "complete")),),
        placed_days_ago=75,
    ),
    Story(5, "implementation", (("ngo-sharoit-plus", "ngo_service", "Psixologik maslahat", 9, ("accept",)),)),
)
STAGE_PATH = ("intake", "assessment", "planning", "implementation", "monitoring")


async def seed_casework(session: AsyncSession, now: datetime) -> int:
    """The demo's cases and referrals; the number of cases opened (0 when they are there already)."""
    inson = await session.scalar(select(Tenant.id).where(Tenant.slug == INSON))
    if inson is None or await session.scalar(select(Case.id).where(Case.tenant_id == inson).limit(1)):
        return 0
    clients = (await session.scalars(select(Client.id).where(Client.tenant_id == inson).order_by(Client.id))).all()
    if not clients:
        return 0
    policy = PolicyStore(session.bind, ROOT / "policies.conf")  # the demo's people act under the real policy
    await policy.refresh(session)
    worker = await actor_for(session, SOCIAL_WORKER, INSON)
    slugs = {t.slug: t.id for t in (await session.scalars(select(Tenant).where(Tenant.slug.in_(ANSWERERS)))).all()}
    opened = 0
    for story in STORIES:
        if story.pinfl_index >= len(clients):
            continue
        start = now - timedelta(days=140)
        access = Access(session, policy, worker, start)
        case = await open_case(access, clients[story.pinfl_index], source="outreach")
        opened += 1
        await _advance(access, case, story.stage)
        for slug, kind, subject, days_ago, then in story.referrals:
            if slug not in slugs:
                continue
            sent_at = now - timedelta(days=days_ago, hours=3)
            await _refer(session, policy, worker, case, slugs[slug], slug, kind, subject, sent_at, then)
        if story.placed_days_ago is not None:
            await _place(session, policy, worker, case, now, story.placed_days_ago)
    return opened


async def _advance(access: Access, case: Case, stage: str) -> None:
    """Move the case stage by stage, with the assessment and the plan each stage needs first; a closed
    demo case was assessed, then the person moved away."""
    if stage == "closed":
        await _advance(access, case, "planning")
        case.stage, case.closed_on = "closed", local_date(access.now) + timedelta(days=20)
        case.closure_reason, case.closure_summary = "moved_away", "Oila bilan Samarqand viloyatiga koʻchib ketdi."
        await access.session.flush()
        await add_event(access, case, "case.closed", reason="moved_away")
        return
    for following in STAGE_PATH[1 : STAGE_PATH.index(stage) + 1]:
        if following == "planning":
            access.session.add(
                Assessment(
                    tenant_id=case.tenant_id,
                    case_id=case.id,
                    client_id=case.client_id,
                    findings=FINDINGS,
                    readiness="ready_with_support",
                    assessed_on=local_date(access.now),
                    assessed_by=access.actor.user_id,
                )
            )
            case.work_readiness = "ready_with_support"
            await add_event(access, case, "assessment.saved", readiness="ready_with_support")
        if following == "implementation":
            await _plan(access, case)
        before, case.stage = case.stage, following
        await access.session.flush()
        await add_event(access, case, "case.stage", before=before, after=following)


async def _plan(access: Access, case: Case) -> None:
    plan = ActionPlan(
        tenant_id=case.tenant_id, case_id=case.id, client_id=case.client_id, goal="Doimiy ishga joylashish"
    )
    access.session.add(plan)
    await access.session.flush()
    today = local_date(access.now)
    for position, (kind, days) in enumerate((("counselling", 14), ("vocational_training", 60), ("job_placement", 150))):
        access.session.add(
            PlanMeasure(
                tenant_id=case.tenant_id,
                plan_id=plan.id,
                client_id=case.client_id,
                position=position,
                kind=kind,
                partner_tenant_id=case.tenant_id,
                due_on=today + timedelta(days=days),
                status="done" if days < 30 else "in_progress",
            )
        )
    await access.session.flush()
    await add_event(access, case, "plan.saved", measures=3)


async def _refer(  # noqa: PLR0913 - one referral's whole story
    session: AsyncSession,
    policy: PolicyStore,
    worker,  # type: ignore[no-untyped-def]
    case: Case,
    recipient: int,
    slug: str,
    kind: str,
    subject: str,
    sent_at: datetime,
    then: tuple[str, ...],
) -> None:
    access = Access(session, policy, worker, sent_at - timedelta(hours=1))
    form = ReferralForm(kind=kind, recipient=str(recipient), subject=subject, message="")
    referral = await referrals.create_draft(access, case.id, form)
    if referral is None:
        raise RuntimeError(f"demo referral refused: {form.errors}")
    if then == ("draft",):
        return  # written, not sent yet
    await referrals.act(Access(session, policy, worker, sent_at), referral.id, "send", Answer(version=referral.version))
    answerer = await actor_for(session, ANSWERERS[slug], slug)
    moment = sent_at
    for action in then:
        moment = moment + timedelta(days=1)
        who = worker if action == "withdraw" else answerer
        text = {
            "decline": "Hozircha bu lavozimga moslashtirilgan ish joyi yoʻq; zinapoyasiz kirish imkoni yoʻq.",
            "fail": "Mashgʻulotlarga qatnay olmadi: transport yoʻq.",
            "complete": "Mijoz ishga joylashdi.",
            "withdraw": "Mijoz boshqa taklifni tanladi.",
        }.get(action, "")
        done = await referrals.act(
            Access(session, policy, who, moment), referral.id, action, Answer(text=text, version=referral.version)
        )
        if done is None:
            raise RuntimeError(f"demo referral action {action} refused")


async def _place(session: AsyncSession, policy: PolicyStore, worker, case: Case, now: datetime, days_ago: int) -> None:  # type: ignore[no-untyped-def]
    start = local_date(now) - timedelta(days=days_ago)
    access = Access(session, policy, worker, now - timedelta(days=days_ago))
    form = placements.PlacementForm(
        employer_name="«Sharoit plus» hamkori — «Oq oltin» tikuv sexi",
        job_title="Tikuvchi",
        start_date=start.isoformat(),
        contract_registered="yes",
    )
    placement = await placements.create_placement(access, case.id, form)
    if placement is None:
        raise RuntimeError(f"demo placement refused: {form.errors}")
    first = start + timedelta(days=31)
    check = placements.CheckInForm(month="1", checked_on=first.isoformat(), status="in_work", note="Ishdan mamnun.")
    await placements.record_check_in(
        Access(session, policy, worker, now - timedelta(days=days_ago - 31)), placement.id, check
    )


async def seed_demo_casework(session: AsyncSession) -> int:
    return await seed_casework(session, utcnow())
