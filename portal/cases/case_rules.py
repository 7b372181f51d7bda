"""What may be done with a case right now: one rule for the services and for the case page.

A case moves forward one stage at a time (intake -> assessment -> planning -> implementation ->
monitoring) and may be closed from any stage, with the closure form. A closed case is read-only except
for an addendum. `allowed_actions(stage, own, may_update)` is the answer; every service verb calls
`require(...)` as its guard and the page offers exactly what `allowed_actions` lists, so the page never
offers what the service refuses. No role name appears here: roles reach the answer only through the
policy (`may_update` is Casbin's ("case", "update") for the actor).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from portal.cases.case_models import STAGES
from portal.i18n import gettext as _
from portal.i18n import lazy
from portal.labels import label

CLOSED = "closed"
# The forward path; "closed" is reached only through the closure form.
FORWARD = dict(zip(STAGES[:-2], STAGES[1:-1], strict=True))


class Act(StrEnum):
    ADVANCE = "advance"  # to the next stage
    ASSIGN = "assign"  # change the responsible case manager
    ASSESS = "assess"  # record or revise the needs assessment
    PLAN = "plan"  # edit the individual action plan
    AGREE = "agree"  # record, amend or end the labour-integration agreement
    CLOSE = "close"
    ADDENDUM = "addendum"  # the one thing written to a closed case


OPEN_CASE_ACTS = frozenset({Act.ADVANCE, Act.ASSIGN, Act.ASSESS, Act.PLAN, Act.AGREE, Act.CLOSE})


class CaseRefused(Exception):
    """A guard clause said no; `message` is shown to the person and nothing was changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EditConflict(Exception):
    """Someone else saved this part of the case since the form was opened: nothing was saved."""


def next_stage(stage: str) -> str | None:
    """The one stage a case may move to from `stage` (None from monitoring and from closed)."""
    return FORWARD.get(stage)


def allowed_actions(stage: str, own: bool, may_update: bool) -> frozenset[Act]:
    """The acts the page offers and the services accept: none for a partner's read-only view or
    without the permission to update cases; only an addendum once the case is closed."""
    if not (own and may_update):
        return frozenset()
    if stage == CLOSED:
        return frozenset({Act.ADDENDUM})
    acts = set(OPEN_CASE_ACTS)
    if next_stage(stage) is None:
        acts.discard(Act.ADVANCE)
    return frozenset(acts)


def require(act: Act, stage: str) -> None:
    """Refuse `act` on a case at `stage` with the reason a person can act on (the caller has already
    made sure the case is the actor's own and that the actor may update cases)."""
    if act in allowed_actions(stage, True, True):
        return
    if stage == CLOSED:
        raise CaseRefused(_("This case is closed, so it can no longer be changed. You can add an addendum."))
    if act is Act.ADDENDUM:
        raise CaseRefused(_("An addendum is written to a closed case; while the case is open, change it directly."))
    raise CaseRefused(_("From the stage «%(stage)s» the case can only be closed.") % {"stage": label("stage", stage)})


def refuse_move(stage: str, seen: str, target: str, prerequisite: str | None) -> None:
    """Refuse a stage move that is not the one step forward from the stage the person saw.

    `seen` is the stage the form was opened at; `prerequisite` is what the next stage still needs
    (None when it needs nothing more)."""
    require(Act.ADVANCE, stage)
    if seen != stage:
        moved = _(
            "The case moved to «%(stage)s» while you were looking at it; nothing was changed. Check it and try again."
        )
        raise CaseRefused(moved % {"stage": label("stage", stage)})
    if target == CLOSED:
        raise CaseRefused(_("A case is closed with the closure form, which records the reason and a summary."))
    expected = next_stage(stage)
    if target != expected:
        raise CaseRefused(
            _("A case moves forward one stage at a time: from «%(stage)s» the next stage is «%(next)s».")
            % {"stage": label("stage", stage), "next": label("stage", expected)}
        )
    if prerequisite:
        raise CaseRefused(prerequisite)


# What each stage needs before the case may leave it forward, as a person reads it.
NEEDS = {
    "assessment": lazy("Record the needs assessment with a work-readiness decision before moving to planning."),
    "planning": lazy("Write the plan's goal and at least one measure before moving to implementation."),
}


def parse_day(value: str, errors: dict[str, str], name: str, *, required: bool = True) -> date | None:
    """A date typed as year-month-day (what a date input sends); the message goes beside `name`."""
    text = value.strip()
    if not text:
        if required:
            errors[name] = _("Enter a date, e.g. 2026-05-21.")
        return None
    try:
        if not text.isascii():
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        errors[name] = _("Enter a date as year-month-day, e.g. 2026-05-21.")
        return None
    if not date(2000, 1, 1) <= day <= date(2100, 12, 31):
        errors[name] = _("Enter a date between 2000 and 2100.")
        return None
    return day
