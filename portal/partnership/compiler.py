"""Compiles an active agreement version's data-sharing clauses into the access kernel's grant rows.

Called in the same transaction as the state change: `install` when the last signature activates a
version, `remove` when it is terminated or superseded. Expiry needs no call: each row carries the
version's window (cut short by a clause's own end) and every read checks it.

The clauses are read from the version's frozen terms — the JSON whose hash every party signed — not
from the editable clause rows, so what is enforced is what was signed. What the parties record after
signing can only end sharing earlier, never widen it: a notice's last day (the version's valid_until)
and a data owner's stop (a clause's ends_on) cut the signed windows short.
"""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access import audit, grants
from portal.access.grants import GrantSpec
from portal.access.sharing import local_date
from portal.partnership.models import Agreement, AgreementVersion, Clause


def clause_ref(version_id: int, clause_number: int) -> str:
    return f"version:{version_id}:clause:{clause_number}"


def _prefix(version_id: int) -> str:
    return f"version:{version_id}:"


def specs_of(
    version: AgreementVersion, signed_on: date | None, ended: dict[int, date] | None = None
) -> list[GrantSpec]:
    """One grant spec per clause of the signed terms; nothing for a version without frozen terms.

    `ended` maps a clause number to the last day a party has since set for it."""
    if not version.terms_json:
        return []
    terms = json.loads(version.terms_json)
    valid_from = date.fromisoformat(terms["valid_from"])
    valid_until = min(date.fromisoformat(terms["valid_until"]), version.valid_until)
    ended = ended or {}
    specs = []
    for clause in terms.get("clauses", []):
        ends_on = date.fromisoformat(clause["ends_on"]) if clause.get("ends_on") else valid_until
        if int(clause["number"]) in ended:
            ends_on = min(ends_on, ended[int(clause["number"])])
        specs.append(
            GrantSpec(
                source=clause_ref(version.id, int(clause["number"])),
                owner_tenant_id=int(clause["owner_tenant_id"]),
                recipient_tenant_id=int(clause["recipient_tenant_id"]),
                categories=tuple(clause["categories"]),
                actions=tuple(clause["actions"]),
                purpose=clause["purpose"],
                scope=clause["scope"],
                consent_required=bool(clause["consent_required"]),
                valid_from=valid_from,
                valid_until=min(valid_until, ends_on),
                agreement_id=int(terms["agreement_id"]),
                agreement_title=str(terms["title"]),
                version_number=int(terms["version"]),
                clause_number=int(clause["number"]),
                signed_on=signed_on,
            )
        )
    return specs


async def install(session: AsyncSession, version_id: int) -> int:
    """Write the grant rows of an active version whose terms and signatures verify; returns how many.

    A version whose terms hash, seals or signers do not verify compiles to nothing (its old rows are
    removed too), and the refusal is audited for the drafting organisation."""
    version = await session.get(AgreementVersion, version_id)
    if version is None:
        return 0
    if not await _signed_by_every_party(session, version):
        await grants.revoke(session, _prefix(version_id))
        await audit.record(
            session,
            action="agreement.compile_refused",
            object_type="agreement_version",
            object_id=version.id,
            owner_tenant_id=await session.scalar(
                select(Agreement.tenant_id).where(Agreement.id == version.agreement_id)
            ),
            detail={"reason": "terms or signatures do not verify"},
        )
        return 0
    signed_on = local_date(version.activated_at) if version.activated_at else None
    rows = await session.execute(
        select(Clause.number, Clause.ends_on).where(Clause.version_id == version_id, Clause.ends_on.is_not(None))
    )
    ended = {number: ends_on for number, ends_on in rows.all()}
    return await grants.install(session, _prefix(version_id), specs_of(version, signed_on, ended))


async def _signed_by_every_party(session: AsyncSession, version: AgreementVersion) -> bool:
    from portal.partnership.verification import verify_version

    check = await verify_version(session, version)
    if not check.intact or not version.terms_json:
        return False
    parties = {int(p["tenant_id"]) for p in json.loads(version.terms_json).get("parties", [])}
    return parties == {c.signature.tenant_id for c in check.signatures if c.ok}


async def remove(session: AsyncSession, version_id: int) -> None:
    await grants.revoke(session, _prefix(version_id))


async def recompile_all(session: AsyncSession) -> int:
    """Compile every active version again from its signed terms (after an upgrade or a key change)."""
    ids = (await session.scalars(select(AgreementVersion.id).where(AgreementVersion.status == "active"))).all()
    return sum([await install(session, version_id) for version_id in ids])
