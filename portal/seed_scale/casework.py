"""Cases and referrals in every state, consistent with the engagements the clauses read.

Each engagement of kind "referral" is the one its referral's acceptance opened (its source_id names
the referral, the referral's engagement_id names it): an open one belongs to a referral accepted or
in progress, a closed one to a referral completed, failed or withdrawn. Every fourth case also has a
referral that opened nothing: a draft, one sent and waiting (an employer's answer due in five
working days, some of them past it), or one declined, a third of those reviewed by the labour
inspection. Each client with a referral has one case, at the stage its referrals suggest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from portal.cases.calendar import WorkingCalendar
from portal.cases.referral_models import ENDED_STATES as FINISHED
from portal.cases.referral_rules import KINDS
from portal.seed_scale.agreements import Ids
from portal.seed_scale.people import TenantRow, base, stream

KIND_FOR = {
    "employer": "employer_job",
    "pes": "pes_vacancy",
    "ngo": "ngo_service",
    "job_carving_unit": "training",
    "inson": "social_service",
    "nasp": "social_service",
    "monocentre": "social_service",
}
SUBJECTS = {
    "employer_job": "Sewing machine operator",
    "pes_vacancy": "Vacancy from the employment office's list",
    "ngo_service": "Peer support and sign-language interpreting",
    "training": "Short course: office computer skills",
    "social_service": "Home help and transport to work",
}
OPEN_STATES = ("accepted", "in_progress")
ENDED_STATES = ("completed", "failed", "withdrawn")
UNENGAGED_STATES = ("draft", "sent", "sent", "declined")
SENT_BEFORE = date(2026, 11, 30)  # the waiting referrals were sent in the days and weeks before
REVIEW_OUTCOMES = ("refusal_upheld", "hire_agreed", "re_referred")


@dataclass
class Casework:
    cases: list[dict[str, Any]] = field(default_factory=list)
    referrals: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def build(
    seed: int,
    engagements: list[dict[str, Any]],
    orgs: list[TenantRow],
    signers: dict[int, tuple[int, str]],
    ids: Ids,
    calendar: WorkingCalendar,
) -> Casework:
    rng = stream(seed, "casework")
    out = Casework()
    by_id = {t.id: t for t in orgs}
    inspections: dict[str, int] = {}
    for t in orgs:
        if t.kind == "labour_inspection":
            inspections.setdefault(t.region, t.id)
    any_inspection = min(inspections.values()) if inspections else None
    partners = [t.id for t in orgs[:-1]]
    case_of: dict[int, dict[str, Any]] = {}

    def case(client: int, owner: int, opened: date) -> dict[str, Any]:
        if client not in case_of:
            row = {
                **base(ids.take("cases")),
                "tenant_id": owner,
                "client_id": client,
                "stage": "implementation",
                "manager_user_id": signers[owner][0],
                "opened_on": opened - timedelta(days=14),
                "source": "",
                "work_readiness": "ready_with_support",
                "closed_on": None,
                "closure_reason": "",
                "closure_summary": "",
            }
            case_of[client] = row
            out.cases.append(row)
        return case_of[client]

    def referral(c: dict[str, Any], recipient: int, state: str, sent_on: date) -> dict[str, Any]:
        kind = KIND_FOR.get(by_id[recipient].kind, "social_service")
        rules = KINDS[kind]
        owner = c["tenant_id"]
        sent = state != "draft"
        row = {
            **base(ids.take("referrals")),
            "tenant_id": owner,
            "case_id": c["id"],
            "client_id": c["client_id"],
            "recipient_tenant_id": recipient,
            "kind": kind,
            "state": state,
            "subject": SUBJECTS[kind],
            "message": "Please see the client's assessment; the client is motivated.",
            "sent_by": signers[owner][0] if sent else None,
            "sent_at": _at(sent_on) if sent else None,
            "answer_due_on": (
                calendar.add_working_days(sent_on, rules.answer_working_days)
                if sent and rules.answer_working_days is not None
                else None
            ),
            "answered_at": None,
            "answered_by": None,
            "decline_reason": "",
            "outcome_note": "",
            "ended_at": None,
            "inspection_tenant_id": (
                inspections.get(by_id[recipient].region, any_inspection) if sent and rules.reviewed_by else None
            ),
            "engagement_id": None,
            "previous_id": None,
        }
        out.referrals.append(row)
        return row

    for n, engagement in enumerate(engagements):
        if engagement["kind"] != "referral":
            continue
        client, owner, recipient = (
            engagement["client_id"],
            engagement["owner_tenant_id"],
            engagement["recipient_tenant_id"],
        )
        opened = engagement["opened_on"]
        c = case(client, owner, opened)
        closed = engagement["closed_on"]
        state = ENDED_STATES[n % len(ENDED_STATES)] if closed else OPEN_STATES[n % len(OPEN_STATES)]
        row = referral(c, recipient, state, opened - timedelta(days=2))
        row["answered_at"], row["answered_by"] = _at(opened, 11), signers[recipient][0]
        row["engagement_id"] = engagement["id"]
        engagement["source_id"] = row["id"]
        if closed:
            row["ended_at"] = _at(closed, 16)
            row["outcome_note"] = {"completed": "Hired; the contract is registered."}.get(state, "The client withdrew.")
    for n, c in enumerate(list(out.cases)):
        if n % 4:
            continue
        recipient = rng.choice(partners)
        if recipient == c["tenant_id"]:
            continue
        state = UNENGAGED_STATES[(n // 4) % len(UNENGAGED_STATES)]
        # Sent a few days ago or long ago: some answers are due, some are late.
        sent_on = SENT_BEFORE - timedelta(days=rng.choice((1, 2, 3, 20, 40)))
        row = referral(c, recipient, state, sent_on)
        if state == "declined":
            row["answered_at"], row["answered_by"] = _at(sent_on + timedelta(days=1), 12), signers[recipient][0]
            row["decline_reason"] = "The workplace is not accessible yet; we cannot take the client on now."
            if row["inspection_tenant_id"] is not None and (n // 4) % 3 == 0:
                out.reviews.append(
                    {
                        **base(ids.take("referral_reviews")),
                        "tenant_id": row["inspection_tenant_id"],
                        "referral_id": row["id"],
                        "client_id": row["client_id"],
                        "sender_tenant_id": row["tenant_id"],
                        "recipient_tenant_id": recipient,
                        "outcome": REVIEW_OUTCOMES[(n // 12) % len(REVIEW_OUTCOMES)],
                        "note": "Checked the workplace with the employer.",
                        "recorded_by": signers[row["inspection_tenant_id"]][0],
                        "recorded_at": _at(sent_on + timedelta(days=8), 15),
                    }
                )
    # A case whose every referral ended is in monitoring, or closed after a completed one.
    open_cases = {r["case_id"] for r in out.referrals if r["state"] not in FINISHED}
    for n, c in enumerate(out.cases):
        if c["id"] in open_cases:
            continue
        if n % 3 == 0:
            c["stage"], c["closed_on"], c["closure_reason"] = "closed", date(2026, 10, 1), "employed_sustained"
            c["closure_summary"] = "In work six months after placement."
        else:
            c["stage"] = "monitoring"
    return out
