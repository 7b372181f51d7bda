"""The individual action plan: a goal and its measures, each with the organisation responsible for it,
a due date and a status. No HTTP here.

The whole plan is saved at once, measures added, changed and removed together, and every save moves
the plan's version, so two managers saving the same plan are told (EditConflict): the second sees
both versions and may apply theirs on top, and nothing is lost. Applying on top changes the measures
the form names and removes only those it marks; a measure the other person added stays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from portal.access.kernel import Access
from portal.access.vocabulary import PURPOSES
from portal.cases.case_rules import Act, EditConflict, parse_day
from portal.cases.casefile import own_case, tenant_names, touch
from portal.cases.facts import Partner
from portal.cases.models import MEASURE_KINDS, MEASURE_STATUSES, ActionPlan, Case, PlanMeasure
from portal.cases.timeline import add_event
from portal.edge import clean_text, parse_int
from portal.i18n import gettext as _

MAX_GOAL = 4000
MAX_DESCRIPTION = 2000
MAX_MEASURES = 40
ROW_FIELD = re.compile(r"m-([0-9]{1,2})-(id|kind|description|partner|due_on|status|remove)")


@dataclass
class MeasureRow:
    id: int | None = None  # the saved measure this row shows; None for a new one
    kind: str = ""
    description: str = ""
    partner: str = ""
    due_on: str = ""
    status: str = "planned"
    remove: bool = False

    def blank(self) -> bool:
        return self.id is None and not (self.kind or self.description.strip() or self.partner or self.due_on)


@dataclass
class PlanForm:
    goal: str = ""
    measures: list[MeasureRow] = field(default_factory=list)
    version: int | None = None  # of the saved plan; None before the first save
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, form: Any) -> PlanForm:
        rows: dict[int, dict[str, str]] = {}
        for key in form:
            found = ROW_FIELD.fullmatch(str(key))
            if found:
                rows.setdefault(int(found.group(1)), {})[found.group(2)] = str(form.get(key, ""))
        measures = [
            MeasureRow(
                id=parse_int(row.get("id", "")) or None,
                kind=row.get("kind", ""),
                description=row.get("description", ""),
                partner=row.get("partner", ""),
                due_on=row.get("due_on", ""),
                status=row.get("status", "planned"),
                remove=bool(row.get("remove")),
            )
            for _index, row in sorted(rows.items())
        ]
        return cls(goal=str(form.get("goal", "")), measures=measures, version=parse_int(form.get("version", "")))

    @classmethod
    def of(cls, plan: ActionPlan | None, measures: list[PlanMeasure]) -> PlanForm:
        if plan is None:
            return cls()
        rows = [
            MeasureRow(
                id=m.id,
                kind=m.kind,
                description=m.description,
                partner=str(m.partner_tenant_id or ""),
                due_on=m.due_on.isoformat() if m.due_on else "",
                status=m.status,
            )
            for m in measures
        ]
        return cls(goal=plan.goal, measures=rows, version=plan.version)

    def with_blank_row(self) -> PlanForm:
        """The form with one more empty measure to fill (the "add a measure" button, no script needed)."""
        if len(self.measures) < MAX_MEASURES:
            self.measures.append(MeasureRow())
        return self


async def saved_plan(access: Access, case: Case) -> tuple[ActionPlan | None, list[PlanMeasure]]:
    plan = await access.session.scalar(
        select(ActionPlan).where(ActionPlan.case_id == case.id, ActionPlan.tenant_id == case.tenant_id)
    )
    if plan is None:
        return None, []
    stmt = select(PlanMeasure).where(PlanMeasure.plan_id == plan.id).order_by(PlanMeasure.position, PlanMeasure.id)
    return plan, list((await access.session.scalars(stmt)).all())


async def partner_choices(access: Access, case: Case, keep: set[int] | None = None) -> list[Partner]:
    """Who may be responsible for a measure: the case's own organisation, every partner a live clause
    of ours ties it to (for any purpose), and any organisation a saved measure already names."""
    ids = {case.tenant_id, *(keep or set())}
    for purpose in PURPOSES:
        ids |= set(await access.partners(purpose))
    names = await tenant_names(access, ids)
    others = sorted((p for i, p in names.items() if i != case.tenant_id), key=lambda p: p.names.get("uz", ""))
    return [names[case.tenant_id], *others] if case.tenant_id in names else others


async def plan_form(access: Access, case_id: int) -> tuple[Case, PlanForm, list[Partner]]:
    """The owner's form, filled with the saved plan and one empty measure to add (404 for anyone else's)."""
    case = await own_case(access, case_id, Act.PLAN)
    plan, measures = await saved_plan(access, case)
    choices = await partner_choices(access, case, {m.partner_tenant_id for m in measures if m.partner_tenant_id})
    return case, PlanForm.of(plan, measures).with_blank_row(), choices


def _validate(form: PlanForm, allowed: set[int]) -> list[tuple[MeasureRow, int | None, date | None]]:
    """Clean the form in place; the rows to keep with their partner and due date (form.errors filled)."""
    form.goal, problem = clean_text(form.goal, MAX_GOAL, multiline=True)
    if problem or not form.goal:
        form.errors["goal"] = problem or _("Write the goal the client wants to reach.")
    kept = []
    for index, row in enumerate(form.measures):
        if row.remove or row.blank():
            continue
        key = f"m-{index}-"
        row.description, problem = clean_text(row.description, MAX_DESCRIPTION, multiline=True)
        if problem:
            form.errors[key + "description"] = problem
        if row.kind not in MEASURE_KINDS:
            form.errors[key + "kind"] = _("Choose the kind of measure.")
        partner = parse_int(row.partner)
        if partner not in allowed:
            form.errors[key + "partner"] = _("Choose the organisation responsible for this measure.")
        due = parse_day(row.due_on, form.errors, key + "due_on")
        if row.status not in MEASURE_STATUSES:
            form.errors[key + "status"] = _("Choose the status of the measure.")
        kept.append((row, partner, due))
    if len(kept) > MAX_MEASURES:
        form.errors["form"] = _("A plan holds at most %(n)s measures.") % {"n": MAX_MEASURES}
    return kept


async def save_plan(access: Access, case_id: int, form: PlanForm) -> bool:
    """Save the plan with its measures; False with form.errors on bad input; EditConflict when someone
    saved the plan since the form was opened (nothing saved)."""
    case = await own_case(access, case_id, Act.PLAN)
    plan, measures = await saved_plan(access, case)
    existing = {m.id: m for m in measures}
    choices = await partner_choices(access, case, {m.partner_tenant_id for m in measures if m.partner_tenant_id})
    kept = _validate(form, {p.id for p in choices})
    if form.errors:
        return False
    if (plan.version if plan else None) != form.version:
        raise EditConflict
    if plan is None:
        plan = ActionPlan(tenant_id=case.tenant_id, case_id=case.id, client_id=case.client_id)
        access.session.add(plan)
    plan.goal = form.goal
    plan.updated_at = access.now  # the version moves with every save, measures included
    try:
        await access.session.flush()
    except (StaleDataError, IntegrityError) as exc:
        raise EditConflict from exc
    removed = [existing.pop(row.id) for row in form.measures if row.remove and row.id in existing]
    for measure in removed:
        await access.session.delete(measure)
    added = 0
    for position, (row, partner, due) in enumerate(kept):
        # A row naming a measure that is not in this plan (removed meanwhile) is added again: nothing typed is lost.
        measure = existing.get(row.id or 0)
        if measure is None:
            measure = PlanMeasure(tenant_id=case.tenant_id, plan_id=plan.id, client_id=case.client_id)
            access.session.add(measure)
            added += 1
        measure.position, measure.kind, measure.description = position, row.kind, row.description
        measure.partner_tenant_id, measure.due_on, measure.status = partner, due, row.status
    await access.session.flush()
    await touch(access, case)
    detail = {"measures": len(kept), "added": added, "removed": len(removed)}
    await add_event(access, case, "plan.saved", **detail)
    await access.record("case.plan", "case", case.id, **detail)
    return True
