"""The case itself: opening one per client, reading it whole, listing, moving its stage, and choosing its
responsible case manager. No HTTP here.

Every read goes through the request's Access, so a partner whose clause shares the "assessment"
category reads the case (redacted and audited by the kernel) and anyone else gets a 404. Every change
is the owner's, through `access.own`, guarded by `case_rules.require`, written to the case's timeline
and to the audit log, and bumps the case's version, so two changes made at the same moment cannot
both pass unseen.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from portal.access.kernel import Access
from portal.access.redact import View
from portal.cases import case_rules
from portal.cases.case_rules import CLOSED, NEEDS, Act, CaseRefused
from portal.cases.facts import Partner, user_names
from portal.cases.models import (
    STAGES,
    ActionPlan,
    Assessment,
    Case,
    CaseAddendum,
    Client,
    IntegrationAgreement,
    PlanMeasure,
)
from portal.cases.timeline import add_event, open_case, timeline_of
from portal.i18n import gettext as _
from portal.tenants import services as tenant_services
from portal.tenants.models import Tenant

PAGE_SIZE = 50


class CaseAlreadyOpen(Exception):
    """The client already has an open case; `case_id` is that case."""

    def __init__(self, case_id: int) -> None:
        super().__init__(case_id)
        self.case_id = case_id


@dataclass(frozen=True)
class Manager:
    user_id: int
    full_name: str


@dataclass
class CaseFile:
    """A case and everything about it, as the actor may see it."""

    case: View
    client: View | None
    assessment: View | None
    plan: View | None
    measures: list[View]
    agreements: list[View]
    addenda: list[View]
    timeline: list[View]
    users: dict[int, str]  # the people the page names (the responsible case manager)
    tenants: dict[int, Partner]  # the organisations it names (timeline, measures)
    acts: frozenset[Act]
    next_stage: str | None
    needs: str | None  # what the next stage still needs, when the owner may not move yet
    managers: list[Manager]  # whom the owner may make responsible


# --- small reads -----------------------------------------------------------------------------


async def tenant_names(access: Access, ids: set[int]) -> dict[int, Partner]:
    """The organisations' names in the four languages (organisations are public to every member)."""
    ids = {i for i in ids if i}
    if not ids:
        return {}
    rows = (await access.session.scalars(select(Tenant).where(Tenant.id.in_(sorted(ids))))).all()
    return {
        t.id: Partner(id=t.id, names={"uz": t.name_uz, "uz_Cyrl": t.name_uz_cyrl, "ru": t.name_ru, "en": t.name_en})
        for t in rows
    }


async def managers_for(access: Access) -> list[Manager]:
    """The actor's organisation's active members whom the policy lets update cases."""
    await access.plan(Case)  # loads the current policy, if this request has not yet
    tenant = access.actor.tenant_id
    return [
        Manager(u.user_id, u.full_name)
        for u in await tenant_services.list_tenant_users(access.session, tenant)
        if u.is_active and access.policy.allows(u.user_id, tenant, "case", "update")
    ]


async def _open_case_id(access: Access, client_id: int) -> int | None:
    stmt = select(Case.id).where(
        Case.client_id == client_id, Case.tenant_id == access.actor.tenant_id, Case.stage != CLOSED
    )
    return await access.session.scalar(stmt.limit(1))


async def own_case(access: Access, case_id: int, act: Act) -> Case:
    """The actor's own case, for changing it: 404 for anyone else's (or without the permission to update
    cases); CaseRefused when the case's stage does not allow `act`."""
    case = await access.own(Case, case_id, "update")
    case_rules.require(act, case.stage)
    return case


async def touch(access: Access, case: Case) -> None:
    """Write the case row (its version moves), so a change made at the same moment by someone else fails
    here instead of passing unseen."""
    case.updated_at = access.now
    try:
        await access.session.flush()
    except StaleDataError as exc:
        raise CaseRefused(
            _("Someone else changed this case at the same moment; nothing was saved. Try again.")
        ) from exc


# --- opening ---------------------------------------------------------------------------------


async def open_case_for_client(access: Access, client_id: int, source: str = "") -> int:
    """Open a case for a client of the actor's organisation; CaseAlreadyOpen when one is open already.

    A client of another organisation, or an actor without the permission to open cases, is a 404."""
    client = await access.own(Client, client_id, "read")
    existing = await _open_case_id(access, client.id)
    if existing is not None and access.allows("case", "create"):
        raise CaseAlreadyOpen(existing)
    try:
        case = await open_case(access, client.id, source)
    except IntegrityError:
        # Someone opened one at the same moment: the database's index kept the rule.
        await access.session.rollback()
        existing = await _open_case_id(access, client_id)
        if existing is None:
            raise
        raise CaseAlreadyOpen(existing) from None
    return case.id


# --- reading ---------------------------------------------------------------------------------


async def needs_before_moving(access: Access, case: Case) -> str | None:
    """What the case's stage still needs before the case may move forward (None when nothing)."""
    if case.stage == "assessment":
        ready = await access.session.scalar(
            select(Assessment.id).where(Assessment.case_id == case.id, Assessment.readiness != "")
        )
        missing = NEEDS["assessment"]
        return None if ready else _(missing)
    if case.stage == "planning":
        plan = await access.session.scalar(select(ActionPlan).where(ActionPlan.case_id == case.id))
        count = 0
        if plan is not None and plan.goal.strip():
            count = await access.session.scalar(
                select(func.count(PlanMeasure.id)).where(PlanMeasure.plan_id == plan.id)
            )
        missing = NEEDS["planning"]
        return None if count else _(missing)
    return None


async def read_case(access: Access, case_id: int) -> CaseFile:
    """The case with its client, assessment, plan, integration agreement, addenda and timeline, as the
    actor may see them (redacted, audited); 404 when the actor may not read the case."""
    case = await access.get(Case, case_id)
    assessments = await access.visible(Assessment, select(Assessment).where(Assessment.case_id == case.id), few=True)
    plans = await access.visible(ActionPlan, select(ActionPlan).where(ActionPlan.case_id == case.id), few=True)
    measures: list[View] = []
    if plans:
        stmt = select(PlanMeasure).where(PlanMeasure.plan_id == plans[0].id)
        measures = await access.visible(PlanMeasure, stmt.order_by(PlanMeasure.position, PlanMeasure.id), few=True)
    agreement_rows = select(IntegrationAgreement).where(IntegrationAgreement.case_id == case.id)
    agreement_rows = agreement_rows.order_by(IntegrationAgreement.number)
    agreements = await access.visible(IntegrationAgreement, agreement_rows, few=True)
    addendum_rows = select(CaseAddendum).where(CaseAddendum.case_id == case.id)
    addendum_rows = addendum_rows.order_by(CaseAddendum.written_at, CaseAddendum.id)
    addenda = await access.visible(CaseAddendum, addendum_rows, few=True)
    timeline = await timeline_of(access, case.id)
    # The link column of the case the kernel has just let the actor read, taken from the session.
    row = await access.session.get(Case, case.id)
    client = await access.find(Client, row.client_id if row is not None else 0)
    stage = str(case.value("stage"))
    may_update = access.allows("case", "update")
    acts = case_rules.allowed_actions(stage, case.own, may_update)
    needs, managers = None, []
    if case.own and acts:
        row = await access.own(Case, case.id, "update")
        needs = await needs_before_moving(access, row) if Act.ADVANCE in acts else None
        managers = await managers_for(access)
    people = {case.value("manager_user_id", None)}
    organisations = {e.value("actor_tenant_id", None) for e in timeline} | {case.owner_tenant_id}
    organisations |= {m.value("partner_tenant_id", None) for m in measures}
    return CaseFile(
        case=case,
        client=client,
        assessment=assessments[0] if assessments else None,
        plan=plans[0] if plans else None,
        measures=measures,
        agreements=agreements,
        addenda=addenda,
        timeline=timeline,
        users=await user_names(access, {p for p in people if p}),
        tenants=await tenant_names(access, {o for o in organisations if o}),
        acts=acts,
        next_stage=case_rules.next_stage(stage) if Act.ADVANCE in acts else None,
        needs=needs,
        managers=managers,
    )


_CLIENT_OF_CASES = select(Case.id, Case.client_id).where(Case.id.in_(bindparam("ids", expanding=True)))  # built once


async def client_of_cases(session: AsyncSession, case_ids: list[int]) -> dict[int, int]:
    """The client of each case, by the link column of cases the kernel has just let the actor see. No
    cases, no query: PostgreSQL holds row-level security's test before an empty IN's "false", row by row
    over every case."""
    if not case_ids:
        return {}
    return dict((await session.execute(_CLIENT_OF_CASES, {"ids": case_ids})).all())


async def cases_of_client(access: Access, client_id: int) -> list[View]:
    """The client's cases the actor may read, newest first."""
    stmt = select(Case).where(Case.client_id == client_id).order_by(Case.id.desc())
    return await access.visible(Case, stmt, few=True)


@dataclass(frozen=True)
class CaseRow:
    case: View
    client: View | None
    manager: str


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    older: int | None  # the keyset cursor of the next page, if there is one


async def list_cases(access: Access, stage: str = "", mine: bool = False, before: int | None = None) -> CasePage:
    """One page of the cases the actor may read, newest first; optionally at one stage, or only those
    the actor is responsible for."""
    stmt = select(Case).order_by(Case.id.desc())
    if stage in STAGES:
        stmt = stmt.where(Case.stage == stage)
    if mine:
        stmt = stmt.where(Case.manager_user_id == access.actor.user_id)
    page = stmt.where(Case.id < before) if before is not None else stmt
    views, more = await access.page(Case, page, PAGE_SIZE, own_tenant_only=mine)
    older = views[-1].id if more and views else None
    client_of = await client_of_cases(access.session, [v.id for v in views])
    clients = {c.id: c for c in await access.among(Client, client_of.values())}
    names = await user_names(access, {m for v in views if (m := v.value("manager_user_id", None))})
    rows = [
        CaseRow(
            case=v, client=clients.get(client_of.get(v.id, 0)), manager=names.get(v.value("manager_user_id", 0), "")
        )
        for v in views
    ]
    return CasePage(rows=rows, older=older)


# --- changing --------------------------------------------------------------------------------


async def move_stage(access: Access, case_id: int, seen: str, target: str) -> None:
    """Move the case one stage forward; CaseRefused (nothing changed) for any other move."""
    case = await access.own(Case, case_id, "update")
    prerequisite = await needs_before_moving(access, case) if case.stage != CLOSED else None
    case_rules.refuse_move(case.stage, seen, target, prerequisite)
    before = case.stage
    case.stage = target
    await touch(access, case)
    await add_event(access, case, "case.stage", before=before, after=target)
    await access.record("case.stage", "case", case.id, before=before, after=target)


async def assign_manager(access: Access, case_id: int, user_id: int | None) -> dict[str, str]:
    """Make another member responsible for the case; errors by field, empty when saved."""
    case = await own_case(access, case_id, Act.ASSIGN)
    managers = {m.user_id: m for m in await managers_for(access)}
    if user_id not in managers:
        return {"manager": _("Choose a case manager from the list.")}
    if user_id == case.manager_user_id:
        return {}
    before = (await user_names(access, {case.manager_user_id} if case.manager_user_id else set())).get(
        case.manager_user_id or 0, ""
    )
    case.manager_user_id = user_id
    await touch(access, case)
    await add_event(access, case, "case.manager", before=before, after=managers[user_id].full_name)
    await access.record("case.manager", "case", case.id, manager=user_id)
    return {}
