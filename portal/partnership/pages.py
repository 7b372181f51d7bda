"""What the agreement pages share: rendering, loading a version, its terms, its readable clauses, the policy."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from litestar import Request
from litestar.exceptions import NotFoundException
from litestar.response import Template

from portal.access.guard import Actor
from portal.i18n import gettext as _
from portal.partnership import labels, services, terms
from portal.web import now, page

BASE = "/agreements"


def day(value: date | str | None) -> str:
    if value is None or value == "":
        return ""
    return (value if isinstance(value, date) else date.fromisoformat(value)).strftime("%d.%m.%Y")


def render(template: str, status_code: int = 200, **context: Any) -> Template:
    return page(template, status_code=status_code, L=labels, **context)


def version_url(version_id: int, action: str = "") -> str:
    return f"{BASE}/versions/{version_id}" + (f"/{action}" if action else "")


def policy(request: Request) -> services.Policy:
    return request.app.state.policy


async def load(request: Request, db: Any, actor: Actor, version_id: int) -> services.VersionDetail:
    try:
        return await services.detail(db, actor, version_id, now(request))
    except services.NotFound:
        raise NotFoundException from None


def allowed(request: Request, actor: Actor, d: services.VersionDetail) -> frozenset[services.Action]:
    """What the page offers: the same rule each service verb checks as its guard."""
    assert d.standing is not None
    return services.allowed_actions(d.standing, actor, now(request), policy(request))


async def terms_of(db: Any, d: services.VersionDetail) -> dict[str, Any]:
    if d.version.terms_json:
        return json.loads(d.version.terms_json)
    return await terms.terms_from_rows(db, d.version)


@dataclass(frozen=True)
class ClauseGroup:
    """The clauses from one data owner to one recipient, each in plain words."""

    owner: str
    recipient: str
    clauses: list[tuple[dict[str, Any], list[str], str]]  # (clause, category labels, conditions)


def conditions(clause: dict[str, Any], recipient: str, valid_until: str) -> str:
    """A clause's conditions as one sentence, e.g. "only clients engaged with X through a referral or
    case conference, with their written consent, for referrals, until 31.12.2026"."""
    if clause["scope"] == "engaged":
        who = _("only clients engaged with %(recipient)s through a referral or case conference") % {
            "recipient": recipient
        }
    else:
        who = _("all clients of the data owner")
    consent = _("with their written consent") if clause["consent_required"] else _("without asking for consent")
    purpose = {
        "referral": _("for referrals"),
        "case_conference": _("for case conferences"),
        "job_matching": _("for job matching"),
        "monitoring": _("for monitoring"),
    }.get(clause["purpose"], clause["purpose"])
    may = _("may read and comment") if "comment" in clause["actions"] else _("may read")
    until = _("until %(date)s") % {"date": day(clause.get("ends_on") or valid_until)}
    return ", ".join([may, who, consent, purpose, until])


def clause_groups(t: dict[str, Any], language: str) -> list[ClauseGroup]:
    names = {p["tenant_id"]: labels.party_name(p["names"], language) for p in t["parties"]}
    groups: dict[tuple[int, int], ClauseGroup] = {}
    for c in t["clauses"]:
        key = (c["owner_tenant_id"], c["recipient_tenant_id"])
        owner, recipient = names.get(key[0], str(key[0])), names.get(key[1], str(key[1]))
        group = groups.setdefault(key, ClauseGroup(owner, recipient, []))
        group.clauses.append(
            (c, [labels.category(x) for x in c["categories"]], conditions(c, recipient, t["valid_until"]))
        )
    return list(groups.values())


def as_in_force(t: dict[str, Any], d: services.VersionDetail) -> dict[str, Any]:
    """The signed terms with the ends recorded since (a notice's last day, clauses a data owner ended)."""
    t = {**t, "valid_until": d.version.valid_until.isoformat()}
    ends = {c.number: (c.ends_on.isoformat() if c.ends_on else None) for c in d.clauses}
    t["clauses"] = [{**c, "ends_on": ends.get(c["number"], c["ends_on"])} for c in t["clauses"]]
    return t
