"""Signing, activation and termination of agreement versions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from portal.access.guard import Actor
from portal.i18n import gettext as _
from portal.partnership import compiler, signing
from portal.partnership.errors import NotFound, Refused
from portal.partnership.models import AgreementParty, AgreementVersion, Signature
from portal.partnership.reading import audit_version as _audit
from portal.partnership.reading import effective_status, get_version

OPEN_FOR_SIGNING = ("proposed", "signing")
SIGNING_ROLES = ("signatory",)
TERMINATING_ROLES = ("signatory", "tenant_admin")


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


async def sign(session: AsyncSession, actor: Actor, version_id: int, posted_hash: str, now: datetime) -> Signature:
    """The actor's tenant signs the version's terms hash; the last signature activates the version.

    The first write is a conditional UPDATE of the version row, which locks it (PostgreSQL) or
    takes the database write lock (SQLite) until commit; so concurrent signers run one after the
    other, and exactly one of them sees the full set of signatures and activates.
    """
    version = await _party_version(session, actor, version_id)
    if not set(SIGNING_ROLES) & set(actor.roles):
        raise Refused(_("Only a signatory of your organisation can sign."))
    if version.status not in OPEN_FOR_SIGNING:
        raise Refused(_("This version is not open for signing."))
    if posted_hash != version.terms_hash:
        raise Refused(
            _(
                "The terms you signed are not the terms of this version (they changed or the page is old). "
                "Nothing was signed. Read the terms below and sign again."
            )
        )
    if now.date() > version.valid_until:
        raise Refused(_("The validity window of this version has passed; it can no longer be signed."))
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
        method="portal",
    )
    signature.portal_signature, signature.portal_key_id = signing.seal(signature_record(signature))
    session.add(signature)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Refused(_("Your organisation has already signed this version.")) from exc
    await _audit(session, actor, "agreement_signed", version, now, {"terms_hash": posted_hash})
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
    if version.supersedes_id is not None:
        old = await session.get(AgreementVersion, version.supersedes_id, with_for_update=True)
        if old is not None and old.status == "active":
            old.status = "superseded"
            old.ended_at = now
            old.end_reason = f"superseded by version {version.number}"
            await session.flush()
            await compiler.remove(session, old.id)
            await _audit(session, actor, "agreement_superseded", old, now, {"by_version": version.id})


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


async def terminate(session: AsyncSession, actor: Actor, version_id: int, reason: str, now: datetime) -> None:
    """A party ends the agreement at once; its policy lines go in the same transaction."""
    version = await _party_version(session, actor, version_id)
    if not set(TERMINATING_ROLES) & set(actor.roles):
        raise Refused(_("Only a signatory or an administrator of a party can terminate."))
    reason = reason.strip()
    if len(reason) < 5:
        raise Refused(_("Give the reason for terminating (at least 5 characters)."))
    if effective_status(version, now) not in ("active", "proposed", "signing"):
        raise Refused(_("Only an agreement in force or being signed can be terminated."))
    was_active = version.status == "active"
    version.status = "terminated"
    version.ended_at = now
    version.end_reason = reason
    version.ended_by_tenant_id = actor.tenant_id
    try:
        await session.flush()
    except StaleDataError as exc:
        raise Refused(_("The agreement changed meanwhile. Reload the page and try again.")) from exc
    if was_active:
        await compiler.remove(session, version.id)
    await _audit(session, actor, "agreement_terminated", version, now, {"reason": reason})
