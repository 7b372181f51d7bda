"""Verification: the terms hash, the terms against their rows, and every signature's seal."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access.guard import Actor
from portal.partnership import esign, terms
from portal.partnership.lifecycle import signature_record
from portal.partnership.models import AgreementEvent, AgreementVersion, Signature
from portal.partnership.reading import get_version


@dataclass(frozen=True)
class SignatureCheck:
    signature: Signature
    sealed: bool  # the portal's seal over the record holds
    hash_matches: bool  # the record names this version's terms hash

    @property
    def ok(self) -> bool:
        return self.sealed and self.hash_matches


@dataclass(frozen=True)
class Verification:
    frozen: bool  # terms were frozen (not a draft)
    hash_ok: bool  # SHA-256 of the stored terms equals the stored hash
    rows_match: bool  # the stored terms equal the terms read from the rows
    signatures: list[SignatureCheck]

    @property
    def intact(self) -> bool:
        return self.frozen and self.hash_ok and self.rows_match and all(s.ok for s in self.signatures)


async def verify(session: AsyncSession, actor: Actor, version_id: int) -> Verification:
    """Recompute the terms hash, compare the terms with the rows, and check each signature's seal."""
    _agreement, version = await get_version(session, actor, version_id)
    return await verify_version(session, version)


async def verify_version(session: AsyncSession, version: AgreementVersion) -> Verification:
    signatures = (await session.scalars(select(Signature).where(Signature.version_id == version.id))).all()
    if version.terms_json is None or version.terms_hash is None:
        return Verification(False, False, False, [])
    hash_ok = terms.sha256_hex(version.terms_json) == version.terms_hash
    try:
        stored = json.loads(version.terms_json)
    except ValueError:
        stored = None
    rows = await terms.terms_from_rows(session, version)
    events = (
        await session.scalars(
            select(AgreementEvent)
            .where(
                AgreementEvent.version_id == version.id, AgreementEvent.kind.in_(("notice_given", "sharing_stopped"))
            )
            .order_by(AgreementEvent.id.desc())
        )
    ).all()
    rows_match = stored == as_signed(rows, events)
    checks = [
        SignatureCheck(
            signature=s,
            sealed=esign.verify(signature_record(s), s.method, esign.Sealed(s.portal_signature, s.portal_key_id)),
            hash_matches=s.terms_hash == version.terms_hash,
        )
        for s in signatures
    ]
    return Verification(True, hash_ok, rows_match, checks)


def as_signed(rows: dict[str, Any], events: list[AgreementEvent]) -> dict[str, Any]:
    """The terms read from the rows with the recorded ends undone, newest first: a notice's new last
    day and the clauses a data owner ended. What remains must equal the signed terms exactly, so an
    end written without its event (or any other change) still shows as tampering."""
    for event in events:
        detail = event.detail or {}
        if event.kind == "notice_given" and rows.get("valid_until") == detail.get("ends_on"):
            rows["valid_until"] = detail.get("valid_until_before")
        elif event.kind == "sharing_stopped":
            before = {c.get("number"): c.get("ends_on_before") for c in detail.get("clauses", [])}
            for clause in rows.get("clauses", []):
                mine = clause["owner_tenant_id"] == event.tenant_id
                if mine and clause["number"] in before and clause["ends_on"] == detail.get("ends_on"):
                    clause["ends_on"] = before[clause["number"]]
    return rows
