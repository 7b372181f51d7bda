"""Words for the codes stored in agreements, in the reader's language (pages and PDF share them)."""

from __future__ import annotations

from portal.i18n import gettext as _


def category(code: str) -> str:
    return {
        "identity": _("Identity"),
        "pinfl": _("PINFL (personal identification number)"),
        "contact": _("Contact details"),
        "disability": _("Disability and work recommendation"),
        "benefits": _("Benefits"),
        "education": _("Education and skills"),
        "employment": _("Employment history"),
        "assessment": _("Assessment and action plan"),
        "case_notes": _("Case notes"),
    }.get(code, code)


def purpose(code: str) -> str:
    return {
        "referral": _("Referral"),
        "case_conference": _("Case conference"),
        "job_matching": _("Job matching"),
        "monitoring": _("Monitoring"),
    }.get(code, code)


def scope(code: str) -> str:
    return {
        "all": _("All clients of the data owner"),
        "engaged": _("Only clients engaged with the recipient (referral or case conference)"),
    }.get(code, code)


def access(actions: list[str] | str) -> str:
    if actions == "read_comment" or (not isinstance(actions, str) and "comment" in actions):
        return _("Read and comment")
    return _("Read")


def status(code: str) -> str:
    return {
        "draft": _("Draft"),
        "proposed": _("Proposed for signing"),
        "signing": _("Being signed"),
        "active": _("In force"),
        "expired": _("Expired"),
        "terminated": _("Terminated"),
        "superseded": _("Superseded"),
    }.get(code, code)


def term(key: str) -> str:
    kind, _sep, number = key.partition(":")
    return {
        "title": _("Title"),
        "common_goals": _("Common goals"),
        "joint_tools": _("Tools used jointly or separately"),
        "valid_from": _("Valid from"),
        "valid_until": _("Valid until"),
        "notice_days": _("Notice period (days)"),
        "party": _("Party"),
        "clause": _("Clause %(n)s") % {"n": number},
    }.get(kind, key)


def party_name(names: dict[str, str], language: str) -> str:
    return names.get(language) or names.get("uz", "")
