"""Referrals between partners (the online referral): drafting from a case, sending, answering,
withdrawing; the engagement an acceptance opens and the referral's end closes.

A referral is the parties' common record (see referral_models.REFERRALS): the sender owns it, the
recipient and the reviewing inspection take part once it is sent. Every change is checked by
referral_rules.why_not, audited in the sender's log and written on the case's timeline. A refused
action changes nothing and says why (`Refused`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from portal.access.kernel import Access
from portal.access.sharing import local_date
from portal.access.ways import rows_by_ids
from portal.cases import calendar, referral_notices
from portal.cases.models import Case, Engagement, Referral, ReferralReview
from portal.cases.referral_rules import ACTIONS, KINDS, TARGET, Facts, kind_of, why_not
from portal.cases.timeline import add_event
from portal.edge import clean_text, parse_int
from portal.i18n import gettext as _
from portal.tenants.models import Tenant

MAX_SUBJECT = 300
MAX_TEXT = 4000
MIN_REASON = 10


class Refused(Exception):
    """The action is not allowed now; the message says why. Nothing was changed."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class CaseStub:
    """What a timeline line needs of its case, taken from the referral: a partner acting on a referral
    does not read the case itself."""

    id: int
    tenant_id: int
    client_id: int


def case_of(referral: Referral) -> Any:
    return CaseStub(id=referral.case_id, tenant_id=referral.tenant_id, client_id=referral.client_id)


@dataclass(frozen=True)
class Recipient:
    id: int
    kind: str
    names: dict[str, str]

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names.get("uz", "")


def _names(t: Tenant) -> dict[str, str]:
    return {"uz": t.name_uz, "uz_Cyrl": t.name_uz_cyrl, "ru": t.name_ru, "en": t.name_en}


async def recipients(access: Access, purpose: str = "referral") -> list[Recipient]:
    """The organisations a live clause ties to the actor's for `purpose`: the only ones a referral may go to."""
    ids = await access.partners(purpose)
    if not ids:
        return []
    rows = (
        await access.session.scalars(
            select(Tenant).where(Tenant.id.in_(ids), Tenant.is_active).order_by(Tenant.name_uz)
        )
    ).all()
    return [Recipient(id=t.id, kind=t.kind, names=_names(t)) for t in rows]


async def tenant_names(access: Access, ids: set[int | None]) -> dict[int, dict[str, str]]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {t.id: _names(t) for t in (await access.session.scalars(rows_by_ids(Tenant), {"ids": sorted(wanted)})).all()}


@dataclass
class ReferralForm:
    kind: str = ""
    recipient: str = ""
    subject: str = ""
    message: str = ""
    previous: str = ""
    version: int | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, form: Any) -> ReferralForm:
        values = {name: str(form.get(name, "")) for name in ("kind", "recipient", "subject", "message", "previous")}
        return cls(**values, version=parse_int(form.get("version", "")))

    @classmethod
    def of(cls, referral: Referral) -> ReferralForm:
        return cls(
            kind=referral.kind,
            recipient=str(referral.recipient_tenant_id),
            subject=referral.subject,
            message=referral.message,
            previous=str(referral.previous_id or ""),
            version=referral.version,
        )


async def _check_form(access: Access, form: ReferralForm, case: Case) -> dict[str, Any] | None:
    """Clean the form in place; the values to store, or None with form.errors filled."""
    form.subject, problem = clean_text(form.subject, MAX_SUBJECT)
    if problem:
        form.errors["subject"] = problem
    elif len(form.subject) < 3:
        form.errors["subject"] = _("Say what the client is referred to, e.g. the vacancy, course or service.")
    form.message, problem = clean_text(form.message, MAX_TEXT, multiline=True)
    if problem:
        form.errors["message"] = problem
    kind = KINDS.get(form.kind)
    if kind is None:
        form.errors["kind"] = _("Choose what the client is referred to.")
    offered = {r.id: r for r in await recipients(access, kind.purpose if kind else "referral")}
    recipient = offered.get(parse_int(form.recipient) or 0)
    if recipient is None:
        form.errors["recipient"] = _(
            "Choose an organisation from the list. Only organisations with an agreement in force that shares "
            "data for referrals with yours are offered."
        )
    elif kind is not None and kind.recipient_kinds and recipient.kind not in kind.recipient_kinds:
        form.errors["recipient"] = _("This kind of referral goes to an employer. Choose an employer from the list.")
    previous = await _previous(access, form, case)
    if form.errors:
        return None
    assert recipient is not None and kind is not None
    return {
        "kind": kind.code,
        "recipient_tenant_id": recipient.id,
        "subject": form.subject,
        "message": form.message,
        "previous_id": previous,
    }


async def _previous(access: Access, form: ReferralForm, case: Case) -> int | None:
    """The referral this one sends again, when the labour inspection's review said so."""
    if not form.previous:
        return None
    previous_id = parse_int(form.previous) or 0
    row = await access.session.get(Referral, previous_id) if previous_id else None
    if row is None or row.tenant_id != access.actor.tenant_id or row.case_id != case.id:
        form.errors["previous"] = _("The referral to send again is not one of this case's referrals.")
        return None
    problem = why_not("refer_again", row, ("own",), local_date(access.now), access.allows, await facts_of(access, row))
    if problem:
        form.errors["previous"] = problem
        return None
    return previous_id


async def facts_of(access: Access, referral: Referral) -> Facts:
    outcome = await access.session.scalar(
        select(ReferralReview.outcome).where(ReferralReview.referral_id == referral.id)
    )
    again = await access.session.scalar(select(Referral.id).where(Referral.previous_id == referral.id).limit(1))
    return Facts(review_outcome=outcome, re_referred=again is not None)


async def own_open_case(access: Access, case_id: int) -> Case:
    """The actor's own case, to refer from; 404 for another's. A closed case is read-only."""
    case = await access.own(Case, case_id, "read")
    if case.stage == "closed":
        raise Refused(_("The case is closed: it can no longer send referrals."))
    return case


async def create_draft(access: Access, case_id: int, form: ReferralForm) -> Referral | None:
    """A draft referral from the actor's own case; None with form.errors on bad input."""
    case = await own_open_case(access, case_id)
    values = await _check_form(access, form, case)
    if values is None:
        return None
    referral = Referral(tenant_id=case.tenant_id, case_id=case.id, client_id=case.client_id, state="draft", **values)
    access.session.add(referral)
    await access.session.flush()
    await add_event(access, case, "referral.drafted", referral=referral.id, referral_kind=referral.kind)
    await access.record("referral.draft", "referral", referral.id, client=case.client_id)
    return referral


async def update_draft(access: Access, referral_id: int, form: ReferralForm) -> Referral | None:
    """Save the sender's changes to a draft; None with form.errors; Refused when it is no longer a draft
    or someone saved it meanwhile (nothing is overwritten)."""
    referral, parties = await access.held(Referral, referral_id, "send")
    _refuse(why_not("edit", referral, parties, local_date(access.now), access.allows))
    if form.version != referral.version:
        raise Refused(_changed_meanwhile())
    case = await own_open_case(access, referral.case_id)
    values = await _check_form(access, form, case)
    if values is None:
        return None
    for name, value in values.items():
        setattr(referral, name, value)
    await _flush(access)
    await access.record("referral.edit", "referral", referral.id)
    return referral


def _changed_meanwhile() -> str:
    return _(
        "Someone else changed this referral while you had it open, so nothing was changed. "
        "Its current state is shown below; check it and try again."
    )


def _refuse(problem: str | None) -> None:
    if problem:
        raise Refused(problem)


async def _flush(access: Access) -> None:
    try:
        await access.session.flush()
    except StaleDataError as exc:
        raise Refused(_changed_meanwhile()) from exc


@dataclass
class Answer:
    """What a person typed with an action: the reason of a refusal, the note of an outcome."""

    text: str = ""
    version: int | None = None
    errors: dict[str, str] = field(default_factory=dict)


async def act(access: Access, referral_id: int, action: str, answer: Answer) -> Referral | None:
    """Carry out a lifecycle action (send, withdraw, accept, decline, start, complete, fail); None with
    answer.errors on bad input; Refused when the action is not allowed now. Nothing changes unless it succeeds."""
    if action not in TARGET:
        raise Refused(_("There is no such action on a referral."))
    referral, parties = await access.held(Referral, referral_id, ACTIONS[action][1])
    today = local_date(access.now)
    _refuse(why_not(action, referral, parties, today, access.allows))
    if answer.version != referral.version:
        raise Refused(_changed_meanwhile())
    text, problem = clean_text(answer.text, MAX_TEXT, multiline=True)
    answer.text = text
    if problem:
        answer.errors["text"] = problem
    elif action in ("decline", "fail") and len(text) < MIN_REASON:
        answer.errors["text"] = (
            _("Give the reason for the refusal (at least %(n)s characters); it goes to the labour inspection.")
            if kind_of(referral).reviewed_by
            else _("Give the reason (at least %(n)s characters).")
        ) % {"n": MIN_REASON}
    if answer.errors:
        return None
    if action == "send":
        await _send(access, referral)
    elif action in ("accept", "decline"):
        referral.answered_at, referral.answered_by = access.now, access.actor.user_id
        referral.decline_reason = text if action == "decline" else ""
        if action == "accept":
            await _open_engagement(access, referral)
    elif action in ("complete", "fail", "withdraw"):
        referral.outcome_note = text
        referral.ended_at = access.now
        await _close_engagement(access, referral)
    referral.state = TARGET[action]
    await _flush(access)
    await add_event(access, case_of(referral), f"referral.{TARGET[action]}", referral=referral.id)
    await access.record(f"referral.{action}", "referral", referral.id, owner=referral.tenant_id, state=referral.state)
    await referral_notices.on_action(access, referral, action)
    return referral


async def _send(access: Access, referral: Referral) -> None:
    kind = kind_of(referral)
    if referral.recipient_tenant_id not in await access.partners(kind.purpose):
        raise Refused(
            _(
                "The organisation this referral is addressed to no longer has an agreement in force that shares "
                "data for referrals with yours. Choose another organisation."
            )
        )
    await own_open_case(access, referral.case_id)
    today = local_date(access.now)
    referral.sent_at, referral.sent_by = access.now, access.actor.user_id
    if kind.answer_working_days is not None:
        referral.answer_due_on = await calendar.due_on(access.session, today, kind.answer_working_days)
    if kind.reviewed_by is not None:
        from portal.cases.inspection import inspection_for

        referral.inspection_tenant_id = await inspection_for(access, referral.recipient_tenant_id, kind.reviewed_by)


async def _open_engagement(access: Access, referral: Referral) -> None:
    """The engagement the clauses' "engaged" scope reads: the client with the recipient, from today."""
    engagement = Engagement(
        client_id=referral.client_id,
        owner_tenant_id=referral.tenant_id,
        recipient_tenant_id=referral.recipient_tenant_id,
        kind="referral",
        source_id=referral.id,
        opened_on=local_date(access.now),
    )
    access.session.add(engagement)
    await access.session.flush()
    referral.engagement_id = engagement.id
    await access.record("engagement.open", "client", referral.client_id, owner=referral.tenant_id, referral=referral.id)


async def _close_engagement(access: Access, referral: Referral) -> None:
    """Closed today: from now on the recipient sees of the client only what needs no engagement."""
    if referral.engagement_id is None:
        return
    engagement = await access.session.get(Engagement, referral.engagement_id)
    if engagement is not None and engagement.closed_on is None:
        engagement.closed_on = local_date(access.now)
        await access.record(
            "engagement.close", "client", referral.client_id, owner=referral.tenant_id, referral=referral.id
        )
