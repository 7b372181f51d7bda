"""Signing, activation, withdrawal, notice and stopping the sharing of one's own data.

Each verb's guard is `states.require(...)`: the same rule the version page reads to decide what to
offer. Changes after signing (a notice's end date, a clause ended by its owner) are written as
events that keep what they replaced, so verification tells them apart from tampering.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from portal.access.guard import Actor
from portal.access.sharing import local_date
from portal.i18n import gettext as _
from portal.partnership import compiler
from portal.partnership.errors import NotFound, Refused
from portal.partnership.esign import PORTAL_SEAL, ESignature
from portal.partnership.models import AgreementParty, AgreementVersion, Clause, Signature
from portal.partnership.reading import audit_version as _audit
from portal.partnership.reading import get_version, record_event, standing
from portal.partnership.states import OPEN_FOR_SIGNING, Action, Policy, earliest_notice_end, require

MIN_REASON = 5


def signature_record(s: Signature) -> dict[str, Any]:
    """What the portal key seals: who signed which terms for which party, and when."""
    return {
        "version_id": s.version_id,
        "tenant_id": s.tenant_id,
        "signer_user_id": s.signer_user_id,
        "signer_name": s.signer_name,
        "signed_at": s.signed_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "terms_hash": s.terms_hash,
        "method": s.method,
    }


async def sign(
    session: AsyncSession,
    actor: Actor,
    version_id: int,
    posted_hash: str,
    now: datetime,
    *,
    policy: Policy,
    esignature: ESignature = PORTAL_SEAL,
    evidence: str | None = None,
) -> Signature:
    """The actor's tenant signs the version's terms hash; the last signature activates the version.

    The person's confirmation (ceremony.py) comes first; this verb makes the signature.

    The first write is a conditional UPDATE of the version row, which locks it (PostgreSQL) or
    takes the database write lock (SQLite) until commit; so concurrent signers run one after the
    other, and exactly one of them sees the full set of signatures and activates.
    """
    version = await _party_version(session, actor, version_id)
    require(await standing(session, actor, version_id, now), actor, now, policy, Action.SIGN)
    if posted_hash != version.terms_hash:
        raise Refused(
            _(
                "The terms you signed are not the terms of this version (they changed or the page is old). "
                "Nothing was signed. Read the terms below and sign again."
            )
        )
    locked = await session.execute(
        update(AgreementVersion)
        .where(
            AgreementVersion.id == version.id,
            AgreementVersion.status.in_(OPEN_FOR_SIGNING),
            AgreementVersion.terms_hash == posted_hash,
        )
        .values(version=AgreementVersion.version + 1)
        .execution_options(synchronize_session=False)
    )
    if locked.rowcount != 1:
        raise Refused(_("This version is not open for signing."))
    await session.refresh(version)
    already = await session.scalar(
        select(Signature.id).where(Signature.version_id == version.id, Signature.tenant_id == actor.tenant_id)
    )
    if already is not None:
        raise Refused(_("Your organisation has already signed this version."))
    signature = Signature(
        version_id=version.id,
        tenant_id=actor.tenant_id,
        signer_user_id=actor.user_id,
        signer_name=actor.full_name,
        signed_at=now,
        terms_hash=posted_hash,
        method=esignature.method,
    )
    sealed = esignature.sign(signature_record(signature), evidence)
    signature.portal_signature, signature.portal_key_id = sealed.signature, sealed.key_id
    session.add(signature)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Refused(_("Your organisation has already signed this version.")) from exc
    await _audit(session, actor, "agreement_signed", version, now, {"terms_hash": posted_hash})
    await record_event(session, actor, version, "signed", now)
    signed = await session.scalar(select(func.count()).where(Signature.version_id == version.id))
    parties = await session.scalar(select(func.count()).where(AgreementParty.version_id == version.id))
    if signed == parties:
        await _activate(session, actor, version, now)
    else:
        version.status = "signing"
        await session.flush()
    return signature


async def _activate(session: AsyncSession, actor: Actor, version: AgreementVersion, now: datetime) -> None:
    """All parties signed: the version comes into force, its clauses become policy, and it supersedes."""
    version.status = "active"
    version.activated_at = now
    await session.flush()
    lines = await compiler.install(session, version.id)
    await _audit(session, actor, "agreement_activated", version, now, {"policy_lines": lines})
    await record_event(session, actor, version, "activated", now)
    if version.supersedes_id is not None:
        old = await session.get(AgreementVersion, version.supersedes_id, with_for_update=True)
        if old is not None and old.status == "active":
            old.status = "superseded"
            old.ended_at = now
            old.end_reason = f"superseded by version {version.number}"
            await session.flush()
            await compiler.remove(session, old.id)
            await _audit(session, actor, "agreement_superseded", old, now, {"by_version": version.id})
            await record_event(session, actor, old, "superseded", now)


async def _party_version(session: AsyncSession, actor: Actor, version_id: int) -> AgreementVersion:
    """The version, when the actor's tenant is one of its parties; NotFound otherwise (a drafter that
    is not a party may read its draft but neither sign nor terminate it)."""
    _agreement, version = await get_version(session, actor, version_id)
    is_party = await session.scalar(
        select(AgreementParty.id).where(
            AgreementParty.version_id == version.id, AgreementParty.tenant_id == actor.tenant_id
        )
    )
    if is_party is None:
        raise NotFound(version_id)
    return version


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not MIN_REASON <= len(reason) <= 2000 or "\x00" in reason:
        raise Refused(_("Give the reason (5 to 2000 characters)."), field="reason")
    return reason


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except StaleDataError as exc:
        raise Refused(_("The agreement changed meanwhile. Reload the page and try again.")) from exc


async def withdraw(
    session: AsyncSession, actor: Actor, version_id: int, reason: str, now: datetime, *, policy: Policy
) -> None:
    """A party ends a version that is not yet in force; nothing was shared under it."""
    version = await _party_version(session, actor, version_id)
    require(await standing(session, actor, version_id, now), actor, now, policy, Action.WITHDRAW)
    reason = _reason(reason)
    version.status = "terminated"
    version.ended_at = now
    version.end_reason = reason
    version.ended_by_tenant_id = actor.tenant_id
    await _flush(session)
    await record_event(session, actor, version, "withdrawn", now, reason=reason)
    await _audit(session, actor, "agreement_terminated", version, now, {"reason": reason})


async def give_notice(
    session: AsyncSession,
    actor: Actor,
    version_id: int,
    reason: str,
    ends_on: date | None,
    now: datetime,
    *,
    policy: Policy,
) -> None:
    """A party gives notice: the agreement stays in force until `ends_on`, its last day, then ends by the clock.

    The version's valid_until becomes that day, so every read's window check (in every worker, with no
    policy reload) ends the sharing then; the replaced day is kept in the event for verification."""
    version = await _party_version(session, actor, version_id)
    require(await standing(session, actor, version_id, now), actor, now, policy, Action.GIVE_NOTICE)
    reason = _reason(reason)
    earliest = earliest_notice_end(version, now)
    if ends_on is None:
        raise Refused(_("Enter the last day of the agreement as a date, e.g. 31.12.2026."), field="ends_on")
    if ends_on < earliest:
        raise Refused(
            _("The terms require %(days)s days of notice: the last day can be %(date)s at the earliest.")
            % {"days": (earliest - local_date(now)).days, "date": earliest.strftime("%d.%m.%Y")},
            field="ends_on",
        )
    if ends_on > version.valid_until:
        raise Refused(
            _("The agreement ends on %(date)s anyway; choose a day before it.")
            % {"date": version.valid_until.strftime("%d.%m.%Y")},
            field="ends_on",
        )
    before = version.valid_until
    version.valid_until = ends_on
    version.notice_given_at = now
    version.notice_by_tenant_id = actor.tenant_id
    version.notice_reason = reason
    version.notice_ends_on = ends_on
    version.end_reason = reason
    version.ended_by_tenant_id = actor.tenant_id
    await _flush(session)
    await record_event(
        session,
        actor,
        version,
        "notice_given",
        now,
        reason=reason,
        detail={"ends_on": ends_on.isoformat(), "valid_until_before": before.isoformat()},
    )
    await _audit(session, actor, "agreement_notice_given", version, now, {"reason": reason, "ends_on": str(ends_on)})
    # Recompiled once the notice is on record (verification reads it): the rows end on its last day.
    await compiler.install(session, version.id)


async def stop_sharing(
    session: AsyncSession, actor: Actor, version_id: int, reason: str, now: datetime, *, policy: Policy
) -> list[int]:
    """A data owner stops sharing its own data at once: its clauses end yesterday (a clause's ends_on
    is its last day, so today nothing more is read); the other clauses and the agreement go on.

    Returns the numbers of the clauses ended."""
    version = await _party_version(session, actor, version_id)
    require(await standing(session, actor, version_id, now), actor, now, policy, Action.STOP_SHARING)
    reason = _reason(reason)
    today = local_date(now)
    ended_on = today - timedelta(days=1)
    clauses = (
        await session.scalars(
            select(Clause)
            .where(Clause.version_id == version.id, Clause.owner_tenant_id == actor.tenant_id)
            .order_by(Clause.number)
            .with_for_update()
        )
    ).all()
    ended = [c for c in clauses if c.ends_on is None or c.ends_on >= today]
    before = [{"number": c.number, "ends_on_before": c.ends_on.isoformat() if c.ends_on else None} for c in ended]
    for clause in ended:
        clause.ends_on = ended_on
    version.version += 1  # two parties ending clauses at once: the second waits or is told to reload
    await _flush(session)
    await record_event(
        session,
        actor,
        version,
        "sharing_stopped",
        now,
        reason=reason,
        detail={"clauses": before, "ends_on": str(ended_on)},
    )
    await _audit(
        session,
        actor,
        "agreement_sharing_stopped",
        version,
        now,
        {"reason": reason, "clauses": [c.number for c in ended]},
    )
    # Recompiled once the stop is on record (verification reads it): those clauses' rows end.
    await compiler.install(session, version.id)
    return [c.number for c in ended]
