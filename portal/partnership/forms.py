"""The draft editor's form: parsed from posted fields, validated with a message per field."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from portal.i18n import gettext as _
from portal.partnership.models import CATEGORIES, DEFAULT_NOTICE_DAYS, PURPOSES, SCOPES

ACCESS = {"read": ["read"], "read_comment": ["comment", "read"]}

# Limits of a draft. They keep every page and the PDF of the largest allowed agreement quick to build
# (its PDF takes a few seconds, off the event loop) while leaving room for real terms: the longest
# template's goals are under 1,500 characters, a party's role under 600. The title matches its column.
MAX_TITLE = 300
MAX_GOALS = 10_000  # common goals, and the tools used jointly or separately
MAX_PARTY_TEXT = 4_000  # a party's role and functions, and its resources and contributions
MAX_PARTIES = 50
MAX_CLAUSES = 200


@dataclass
class PartyRow:
    tenant_id: str = ""
    role: str = ""
    resources: str = ""


@dataclass
class ClauseRow:
    owner: str = ""
    recipient: str = ""
    categories: list[str] = field(default_factory=list)
    access: str = "read"
    purpose: str = "referral"
    scope: str = "engaged"
    consent: bool = True
    ends_on: str = ""


@dataclass
class DraftForm:
    title: str = ""
    common_goals: str = ""
    joint_tools: str = ""
    valid_from: str = ""
    valid_until: str = ""
    notice_days: str = str(DEFAULT_NOTICE_DAYS)
    parties: list[PartyRow] = field(default_factory=list)
    clauses: list[ClauseRow] = field(default_factory=list)
    version: int | None = None
    errors: dict[str, str] = field(default_factory=dict)


def number(value: str, limit: int = 2**31 - 1) -> int | None:
    """A whole number typed in ASCII digits and no larger than `limit`; None for anything else ("²", "٣")."""
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        return None
    parsed = int(value)
    return parsed if parsed <= limit else None


def _indexes(form: Any, prefix: str, limit: int) -> list[int]:
    """The row numbers posted for a prefix, at most one more than the limit (enough to refuse them)."""
    pattern = re.compile(rf"^{prefix}-([0-9]{{1,6}})-")
    found = {int(m.group(1)) for key in form.keys() if (m := pattern.match(key))}
    return sorted(found)[: limit + 1]


def parse(form: Any) -> DraftForm:
    """A DraftForm from posted fields (a multidict); nothing is checked here."""
    text = lambda name: str(form.get(name, "")).replace("\x00", "").strip()  # noqa: E731
    version = text("version")
    draft = DraftForm(
        title=text("title"),
        common_goals=text("common_goals"),
        joint_tools=text("joint_tools"),
        valid_from=text("valid_from"),
        valid_until=text("valid_until"),
        notice_days=text("notice_days") if "notice_days" in form else str(DEFAULT_NOTICE_DAYS),
        version=number(version),
    )
    for i in _indexes(form, "party", MAX_PARTIES):
        draft.parties.append(
            PartyRow(
                tenant_id=text(f"party-{i}-tenant_id"),
                role=text(f"party-{i}-role"),
                resources=text(f"party-{i}-resources"),
            )
        )
    for i in _indexes(form, "clause", MAX_CLAUSES):
        draft.clauses.append(
            ClauseRow(
                owner=text(f"clause-{i}-owner"),
                recipient=text(f"clause-{i}-recipient"),
                categories=[str(c) for c in form.getall(f"clause-{i}-categories", []) if str(c) in CATEGORIES],
                access=text(f"clause-{i}-access") or "read",
                purpose=text(f"clause-{i}-purpose"),
                scope=text(f"clause-{i}-scope"),
                consent=form.get(f"clause-{i}-consent") == "on",
                ends_on=text(f"clause-{i}-ends_on"),
            )
        )
    return draft


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class CleanClause:
    owner_tenant_id: int
    recipient_tenant_id: int
    categories: list[str]
    actions: list[str]
    purpose: str
    scope: str
    consent_required: bool
    ends_on: date | None


@dataclass(frozen=True)
class CleanDraft:
    title: str
    common_goals: str
    joint_tools: str
    valid_from: date
    valid_until: date
    parties: list[tuple[int, str, str]]
    clauses: list[CleanClause]
    notice_days: int = DEFAULT_NOTICE_DAYS


def _too_long(limit: int, text: str) -> str:
    return _("Shorten this text to at most %(limit)s characters (it has %(count)s).") % {
        "limit": f"{limit:,}".replace(",", "\u00a0"),
        "count": f"{len(text):,}".replace(",", "\u00a0"),
    }


def validate(draft: DraftForm, known_tenants: set[int], drafting_tenant_id: int) -> CleanDraft | None:
    """Checked terms, or None with draft.errors filled: one message per field, in the user's words."""
    errors = draft.errors
    if not 5 <= len(draft.title) <= MAX_TITLE:
        errors["title"] = _("Give the agreement a title of 5 to 300 characters.")
    if len(draft.common_goals) < 10:
        errors["common_goals"] = _("Describe the common goals (at least 10 characters).")
    elif len(draft.common_goals) > MAX_GOALS:
        errors["common_goals"] = _too_long(MAX_GOALS, draft.common_goals)
    if len(draft.joint_tools) > MAX_GOALS:
        errors["joint_tools"] = _too_long(MAX_GOALS, draft.joint_tools)
    valid_from, valid_until = _date(draft.valid_from), _date(draft.valid_until)
    if valid_from is None:
        errors["valid_from"] = _("Enter the first day of validity as a date, e.g. 2026-01-31.")
    if valid_until is None:
        errors["valid_until"] = _("Enter the last day of validity as a date, e.g. 2027-12-31.")
    elif valid_from is not None and valid_until < valid_from:
        errors["valid_until"] = _("The last day of validity cannot be before the first day.")
    notice = number(draft.notice_days, 365)
    if notice is None or notice < 1:
        errors["notice_days"] = _("Enter the notice period as a number of days from 1 to 365, in digits 0-9.")

    parties: list[tuple[int, str, str]] = []
    seen: set[int] = set()
    for i, row in enumerate(draft.parties):
        tenant_id = number(row.tenant_id)
        if tenant_id is None or tenant_id not in known_tenants:
            errors[f"party-{i}-tenant_id"] = _("Choose a partner organisation.")
            continue
        if tenant_id in seen:
            errors[f"party-{i}-tenant_id"] = _("This organisation is already a party.")
            continue
        if not row.role:
            errors[f"party-{i}-role"] = _("Describe this party's role and functions.")
        elif len(row.role) > MAX_PARTY_TEXT:
            errors[f"party-{i}-role"] = _too_long(MAX_PARTY_TEXT, row.role)
        if len(row.resources) > MAX_PARTY_TEXT:
            errors[f"party-{i}-resources"] = _too_long(MAX_PARTY_TEXT, row.resources)
        seen.add(tenant_id)
        parties.append((tenant_id, row.role, row.resources))
    if len(draft.parties) < 2:
        errors["parties"] = _("An agreement needs at least two parties.")
    elif len(draft.parties) > MAX_PARTIES:
        errors["parties"] = _("An agreement can have at most %(n)s parties.") % {"n": MAX_PARTIES}
    elif drafting_tenant_id not in seen and not any(k.startswith("party-") for k in errors):
        errors["parties"] = _("Your organisation must be one of the parties.")

    clauses: list[CleanClause] = []
    if len(draft.clauses) > MAX_CLAUSES:
        errors["clauses"] = _("An agreement can have at most %(n)s data-sharing clauses.") % {"n": MAX_CLAUSES}
    for i, row in enumerate(draft.clauses):
        key = f"clause-{i}-"
        owner = number(row.owner)
        recipient = number(row.recipient)
        if owner not in seen:
            errors[key + "owner"] = _("The data owner must be a party of this agreement.")
        if recipient not in seen:
            errors[key + "recipient"] = _("The recipient must be a party of this agreement.")
        elif owner == recipient:
            errors[key + "recipient"] = _("The recipient must be another party than the data owner.")
        if not row.categories:
            errors[key + "categories"] = _("Choose at least one category of data.")
        if row.access not in ACCESS:
            errors[key + "access"] = _("Choose what the recipient may do.")
        if row.purpose not in PURPOSES:
            errors[key + "purpose"] = _("Choose the purpose of sharing.")
        if row.scope not in SCOPES:
            errors[key + "scope"] = _("Choose which clients the clause covers.")
        ends_on = None
        if row.ends_on:
            ends_on = _date(row.ends_on)
            if ends_on is None:
                errors[key + "ends_on"] = _("Enter the end date as a date, e.g. 2026-12-31, or leave it empty.")
            elif valid_from is not None and valid_until is not None and not valid_from <= ends_on <= valid_until:
                errors[key + "ends_on"] = _("The clause must end inside the agreement's validity window.")
        if not any(k.startswith(key) for k in errors):
            assert owner is not None and recipient is not None
            clauses.append(
                CleanClause(
                    owner_tenant_id=owner,
                    recipient_tenant_id=recipient,
                    categories=sorted(set(row.categories)),
                    actions=ACCESS[row.access],
                    purpose=row.purpose,
                    scope=row.scope,
                    consent_required=row.consent,
                    ends_on=ends_on,
                )
            )
    if errors:
        return None
    assert valid_from is not None and valid_until is not None and notice is not None
    return CleanDraft(
        title=draft.title,
        common_goals=draft.common_goals,
        joint_tools=draft.joint_tools,
        valid_from=valid_from,
        valid_until=valid_until,
        parties=parties,
        clauses=clauses,
        notice_days=notice,
    )
