"""What a person may do with an agreement version right now: one rule for the services and the page.

`allowed_actions(standing, actor, now, policy)` combines the version's state by the clock, whether the
actor's tenant drafted it or is a party, whether that party already signed, and the permission Casbin
gives the actor in its tenant. Every service verb calls `require(...)` as its guard, and the version
page offers exactly the actions in `allowed_actions(...)`, so the page never offers what the service
refuses. No role name appears here: roles reach the answer only through the policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from portal.access.guard import Actor
from portal.access.sharing import local_date
from portal.i18n import gettext as _
from portal.partnership.errors import Refused
from portal.partnership.models import DEFAULT_NOTICE_DAYS, AgreementVersion, VersionStatus

OPEN_FOR_SIGNING = (VersionStatus.PROPOSED, VersionStatus.SIGNING)


class Policy(Protocol):
    """The permission store (portal.access.policy.PolicyStore) as the rules need it."""

    def allows(self, user_id: int, tenant_id: int, obj: str, act: str) -> bool: ...


class Action(StrEnum):
    EDIT = "edit"  # change the draft's terms
    PROPOSE = "propose"  # freeze the terms for signing
    COMMENT = "comment"
    SIGN = "sign"
    WITHDRAW = "withdraw"  # end a version before it comes into force
    GIVE_NOTICE = "give_notice"  # end a version in force after the notice period
    STOP_SHARING = "stop_sharing"  # a data owner ends the clauses sharing its own data, at once
    AMEND = "amend"  # draft a new version of a version in force


# The Casbin (object, action) each needs in the actor's tenant.
PERMISSIONS: dict[Action, tuple[str, str]] = {
    Action.EDIT: ("agreement", "draft"),
    Action.PROPOSE: ("agreement", "draft"),
    Action.AMEND: ("agreement", "draft"),
    Action.COMMENT: ("agreement", "comment"),
    Action.SIGN: ("agreement", "sign"),
    Action.WITHDRAW: ("agreement", "terminate"),
    Action.GIVE_NOTICE: ("agreement", "terminate"),
    Action.STOP_SHARING: ("agreement", "terminate"),
}


@dataclass(frozen=True)
class Standing:
    """A version with the facts its rules read, loaded by reading.standing()."""

    version: AgreementVersion
    drafting_tenant_id: int
    party_tenant_ids: frozenset[int]
    signed_tenant_ids: frozenset[int]
    sharing_owner_ids: frozenset[int]  # owners of a clause that has not ended
    open_amendment: bool  # another version of the agreement is being drafted or signed


class Dated(Protocol):
    """What the clock needs of a version: a stored version or a row of the agreements list."""

    status: str
    valid_until: date
    notice_ends_on: date | None


def effective_status(version: Dated, now: datetime) -> VersionStatus:
    """The stored status, except by the clock: an active version past its last day has expired, or
    has been terminated when its last day was set by a party's notice.

    Days are Tashkent calendar days, as in the enforcement query (sharing.local_date)."""
    status = VersionStatus(version.status)
    if status is VersionStatus.ACTIVE and local_date(now) > version.valid_until:
        return VersionStatus.TERMINATED if version.notice_ends_on is not None else VersionStatus.EXPIRED
    return status


def _needs_party(action: Action) -> bool:
    return action not in (Action.EDIT, Action.PROPOSE, Action.AMEND, Action.COMMENT)


def why_not(standing: Standing, actor: Actor, now: datetime, policy: Policy, action: Action) -> str | None:
    """None when the actor may take the action now; otherwise the reason, in the reader's language."""
    v = standing.version
    status = effective_status(v, now)
    party = actor.tenant_id in standing.party_tenant_ids
    drafting = actor.tenant_id == standing.drafting_tenant_id
    obj, act = PERMISSIONS[action]
    if not policy.allows(actor.user_id, actor.tenant_id, obj, act):
        return {
            "draft": _("Your roles in your organisation do not include drafting agreements."),
            "comment": _("Your roles in your organisation do not include commenting on agreements."),
            "sign": _("Only a person allowed to sign for your organisation (a signatory) can sign."),
            "terminate": _("Your roles in your organisation do not include ending agreements."),
        }[act]
    if _needs_party(action) and not party:
        return _("Your organisation is not a party of this version.")
    if action in (Action.EDIT, Action.PROPOSE):
        if not drafting:
            return _("Only the drafting organisation can change or propose a draft.")
        if status is not VersionStatus.DRAFT:
            return _("Only a draft can be changed or proposed; these terms are frozen.")
    elif action is Action.COMMENT:
        if not (party or drafting):
            return _("Your organisation is not a party of this version.")
        if status not in (VersionStatus.DRAFT, *OPEN_FOR_SIGNING):
            return _("Comments are closed once a version is in force or ended.")
    elif action is Action.SIGN:
        if actor.tenant_id in standing.signed_tenant_ids:
            return _("Your organisation has already signed this version.")
        if status not in OPEN_FOR_SIGNING:
            return _("This version is not open for signing.")
        if local_date(now) > v.valid_until:
            return _("The validity window of this version has passed; it can no longer be signed.")
    elif action is Action.WITHDRAW:
        if status not in OPEN_FOR_SIGNING:
            return _("Only a version that is not yet in force can be withdrawn; give notice to end one in force.")
    elif action in (Action.GIVE_NOTICE, Action.STOP_SHARING, Action.AMEND):
        if status is not VersionStatus.ACTIVE:
            return _("Only an agreement in force can be amended or ended.")
        if action is Action.GIVE_NOTICE and v.notice_ends_on is not None:
            return _("Notice has already been given: the agreement ends on %(date)s.") % {
                "date": v.notice_ends_on.strftime("%d.%m.%Y")
            }
        if action is Action.STOP_SHARING and actor.tenant_id not in standing.sharing_owner_ids:
            return _("No clause of this version shares your organisation's data any more.")
        if action is Action.AMEND:
            if not drafting:
                return _("Only the drafting organisation can draft an amendment.")
            if standing.open_amendment:
                return _("An amendment of this agreement is already being prepared.")
            if v.notice_ends_on is not None:
                return _("Notice has been given on this agreement; it can no longer be amended.")
    return None


def allowed_actions(standing: Standing, actor: Actor, now: datetime, policy: Policy) -> frozenset[Action]:
    """Every action the actor may take on the version now."""
    return frozenset(a for a in Action if why_not(standing, actor, now, policy, a) is None)


def notice_days(version: AgreementVersion) -> int:
    return version.notice_days if version.notice_days is not None else DEFAULT_NOTICE_DAYS


def earliest_notice_end(version: AgreementVersion, now: datetime) -> date:
    """The first day a notice given now may name as the agreement's end."""
    return local_date(now) + timedelta(days=notice_days(version))


def require(standing: Standing, actor: Actor, now: datetime, policy: Policy, action: Action) -> None:
    """The guard of every service verb: Refused, with the reason, unless the action is allowed now."""
    reason = why_not(standing, actor, now, policy, action)
    if reason is not None:
        raise Refused(reason)
