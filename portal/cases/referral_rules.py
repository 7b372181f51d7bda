"""The referral's kinds and its lifecycle: one registry of kinds, one `allowed_actions`.

States: draft -> sent -> accepted | declined (a reason is required) -> in_progress -> completed |
failed; the sender may withdraw a referral that is sent, accepted or in progress. The service uses
`allowed_actions` as its guard and the page uses it to decide which buttons to offer, so the rule
lives once. A forbidden action is refused with a message saying why, and nothing changes.

Kinds are a registry, not a closed list: a later area (social orders, carved job offers) calls
`register(ReferralKind(...))` with its own code, the purpose whose clauses its recipients must
hold, whether the answer is due within a number of working days and who reviews a refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from portal.cases.referral_models import ANSWER_DUE_KINDS, ANSWER_WORKING_DAYS, REFERRAL_KINDS, Referral
from portal.i18n import gettext as _
from portal.labels import label


@dataclass(frozen=True)
class ReferralKind:
    code: str
    purpose: str = "referral"  # the clauses' purpose a recipient must be tied to the sender by
    answer_working_days: int | None = None  # the recipient answers within this many working days
    reviewed_by: str | None = None  # the tenant kind that reviews refusals and silences
    recipient_kinds: tuple[str, ...] | None = None  # tenant kinds that may receive it (None: any partner)


KINDS: dict[str, ReferralKind] = {}


def register(kind: ReferralKind) -> ReferralKind:
    known = KINDS.get(kind.code)
    if known is not None and known != kind:
        raise ValueError(f"referral kind {kind.code} is registered twice")
    KINDS[kind.code] = kind
    return kind


for _code in REFERRAL_KINDS:
    _due = _code in ANSWER_DUE_KINDS
    register(
        ReferralKind(
            _code,
            answer_working_days=ANSWER_WORKING_DAYS if _due else None,
            reviewed_by="labour_inspection" if _due else None,
            recipient_kinds=("employer",) if _code == "employer_job" else None,
        )
    )


def kind_of(referral: Referral) -> ReferralKind:
    return KINDS.get(referral.kind) or ReferralKind(referral.kind)


# Who may do what: the party, the role's (object, action), and the states it applies to.
SENDER, RECIPIENT, INSPECTION = "own", "recipient_tenant_id", "inspection_tenant_id"
ACTIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "edit": (SENDER, "send", ("draft",)),
    "send": (SENDER, "send", ("draft",)),
    "withdraw": (SENDER, "send", ("sent", "accepted", "in_progress")),
    "accept": (RECIPIENT, "answer", ("sent",)),
    "decline": (RECIPIENT, "answer", ("sent",)),
    "start": (RECIPIENT, "answer", ("accepted",)),
    "complete": (RECIPIENT, "answer", ("in_progress",)),
    "fail": (RECIPIENT, "answer", ("in_progress",)),
    "review": (INSPECTION, "review", ("declined", "sent")),
    "refer_again": (SENDER, "send", ("declined", "sent", "withdrawn", "failed")),
}
# The state each transition leads to.
TARGET = {
    "send": "sent",
    "withdraw": "withdrawn",
    "accept": "accepted",
    "decline": "declined",
    "start": "in_progress",
    "complete": "completed",
    "fail": "failed",
}


def overdue(referral: Referral, today: date) -> bool:
    """Sent, unanswered, and the last day to answer has passed (read from the clock, never stored)."""
    return referral.state == "sent" and referral.answer_due_on is not None and today > referral.answer_due_on


def awaits_review(referral: Referral, today: date) -> bool:
    """A refusal or a silence past the deadline, of a kind the inspection reviews."""
    if referral.inspection_tenant_id is None or kind_of(referral).reviewed_by is None:
        return False
    return referral.state == "declined" or overdue(referral, today)


@dataclass(frozen=True)
class Facts:
    """What the rules read beside the referral: the review, if any, and whether it was already re-referred."""

    review_outcome: str | None = None
    re_referred: bool = False


def _why_not(action: str, referral: Referral, parties: tuple[str, ...], today: date, facts: Facts) -> str | None:
    party, _act, states = ACTIONS[action]
    if party not in parties:
        return {
            SENDER: _("Only the organisation that sent the referral can do this."),
            RECIPIENT: _("Only the organisation the referral is addressed to can do this."),
            INSPECTION: _("Only the labour inspection reviewing this referral can do this."),
        }[party]
    if referral.state not in states:
        return _("This cannot be done to a referral that is %(state)s.") % {"state": _state_word(referral.state)}
    if action == "review":
        if facts.review_outcome is not None:
            return _("The labour inspection has already recorded its review of this referral.")
        if not awaits_review(referral, today):
            return _("Only a refused referral, or one left unanswered past its deadline, is reviewed.")
    if action == "refer_again" and (facts.review_outcome != "re_referred" or facts.re_referred):
        return _("A referral is sent again after the labour inspection's review says so, and only once.")
    return None


def _state_word(state: str) -> str:
    return label("referral_state", state).lower()


def why_not(
    action: str,
    referral: Referral,
    parties: tuple[str, ...],
    today: date,
    allows: Callable[[str, str], bool],
    facts: Facts | None = None,
) -> str | None:
    """None when the actor may do `action` now; otherwise the reason, in the reader's language."""
    if action not in ACTIONS:
        return _("There is no such action on a referral.")
    if not allows("referral", ACTIONS[action][1]):
        return _("Your role in this organisation does not allow this action.")
    return _why_not(action, referral, parties, today, facts or Facts())


def allowed_actions(
    referral: Referral,
    parties: tuple[str, ...],
    today: date,
    allows: Callable[[str, str], bool],
    facts: Facts | None = None,
) -> list[str]:
    """The actions the actor may take on the referral now, in the order the page offers them."""
    return [a for a in ACTIONS if why_not(a, referral, parties, today, allows, facts) is None]
