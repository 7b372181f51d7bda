"""What the official paper of a version says, and the public page that checks a paper against the portal.

A printed agreement is read by anyone who holds it, so its QR code points at a page that needs no
sign-in: /verify/<terms hash>. That page shows only what the paper already shows (title, validity,
status, parties, who signed when, each seal's fingerprint) and whether the hash and every seal still
verify; nothing about clients, comments or the other versions of the agreement.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access.sharing import TASHKENT
from portal.partnership import labels
from portal.partnership.models import AgreementVersion, Signature
from portal.partnership.reading import effective_status
from portal.partnership.verification import Verification, verify_version

TERMS_HASH = re.compile(r"^[0-9a-f]{64}$")


def seal_fingerprint(portal_signature: str) -> str:
    """A short, readable fingerprint of an Ed25519 seal: the first 16 hex digits of the SHA-256 of its
    bytes, in groups of four. The paper and the verify page print the same fingerprint."""
    try:
        raw = base64.b64decode(portal_signature, validate=True)
    except (binascii.Error, ValueError):
        raw = portal_signature.encode()
    digest = hashlib.sha256(raw).hexdigest()[:16].upper()
    return " ".join(digest[i : i + 4] for i in range(0, 16, 4))


def tashkent_time(moment: datetime) -> str:
    """DD.MM.YYYY HH:MM in Tashkent time (UTC+5)."""
    return moment.astimezone(TASHKENT).strftime("%d.%m.%Y %H:%M")


def day(value: date | str | None) -> str:
    """DD.MM.YYYY from a date or its ISO form ("" for none)."""
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return value.strftime("%d.%m.%Y")


@dataclass(frozen=True)
class SignatureBlock:
    organisation: str
    signer: str | None  # None: this party has not signed
    signed_at: str = ""  # DD.MM.YYYY HH:MM, Tashkent
    fingerprint: str = ""
    sealed: bool | None = None  # whether the seal verifies (known on the verify page)


@dataclass(frozen=True)
class Paper:
    """Everything the PDF prints, as plain text in the reader's language (no database objects), so it
    can be laid out in a worker thread."""

    language: str
    title: str
    number: int
    valid_from: str
    valid_until: str
    status: str
    terms: dict[str, Any]
    names: dict[int, str]  # party tenant id -> organisation name in the reader's language
    signatures: list[SignatureBlock]
    terms_hash: str | None
    verify_url: str | None


def signature_blocks(
    terms: dict[str, Any], names: dict[int, str], signatures: list[Signature], sealed: dict[int, bool] | None = None
) -> list[SignatureBlock]:
    """One block per party, in the order of the terms; a party that has not signed gets an empty block."""
    by_tenant = {s.tenant_id: s for s in signatures}
    blocks = []
    for party in terms["parties"]:
        tenant_id = party["tenant_id"]
        s = by_tenant.get(tenant_id)
        if s is None:
            blocks.append(SignatureBlock(names[tenant_id], None))
            continue
        blocks.append(
            SignatureBlock(
                organisation=names[tenant_id],
                signer=s.signer_name,
                signed_at=tashkent_time(s.signed_at),
                fingerprint=seal_fingerprint(s.portal_signature),
                sealed=None if sealed is None else sealed.get(s.id, False),
            )
        )
    for s in signatures:
        if s.tenant_id not in names:  # a signature by no party of these terms: shown, never hidden
            blocks.append(
                SignatureBlock(
                    organisation=f"#{s.tenant_id}",
                    signer=s.signer_name,
                    signed_at=tashkent_time(s.signed_at),
                    fingerprint=seal_fingerprint(s.portal_signature),
                    sealed=None if sealed is None else False,
                )
            )
    return blocks


def paper(
    version: AgreementVersion,
    status: str,
    terms: dict[str, Any],
    signatures: list[Signature],
    language: str,
    verify_url: str | None,
) -> Paper:
    names = {p["tenant_id"]: labels.party_name(p["names"], language) for p in terms["parties"]}
    return Paper(
        language=language,
        title=terms["title"],
        number=terms["version"],
        valid_from=day(terms["valid_from"]),
        valid_until=day(terms["valid_until"]),
        status=labels.status(status),
        terms=terms,
        names=names,
        signatures=signature_blocks(terms, names, signatures),
        terms_hash=version.terms_hash,
        verify_url=verify_url if version.terms_hash else None,
    )


@dataclass(frozen=True)
class PublicCheck:
    """The public verify page: the paper's own facts and whether they still verify."""

    title: str
    number: int
    valid_from: str
    valid_until: str
    status: str
    terms_hash: str
    parties: list[str]
    signatures: list[SignatureBlock]
    report: Verification


async def public_check(session: AsyncSession, terms_hash: str, language: str, now: datetime) -> PublicCheck | None:
    """The version frozen with this terms hash, checked; None for an unknown or malformed hash."""
    terms_hash = terms_hash.lower()
    if not TERMS_HASH.match(terms_hash):
        return None
    version = await session.scalar(
        select(AgreementVersion).where(AgreementVersion.terms_hash == terms_hash).order_by(AgreementVersion.id).limit(1)
    )
    if version is None or version.terms_json is None:
        return None
    report = await verify_version(session, version)
    try:
        terms = json.loads(version.terms_json)
        names = {p["tenant_id"]: labels.party_name(p["names"], language) for p in terms["parties"]}
    except (ValueError, KeyError, TypeError):
        terms, names = {"parties": []}, {}
    sealed = {check.signature.id: check.ok for check in report.signatures}
    signatures = [check.signature for check in report.signatures]
    return PublicCheck(
        title=version.title,
        number=version.number,
        valid_from=day(version.valid_from),
        valid_until=day(version.valid_until),
        status=labels.status(effective_status(version, now)),
        terms_hash=terms_hash,
        parties=list(names.values()),
        signatures=signature_blocks(terms, names, signatures, sealed),
        report=report,
    )
