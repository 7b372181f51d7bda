"""The signed consent form behind a consent (law ZRU-547: consent in writing or as an electronic
document): checked by its content, stored beside the consent, and handed only to whoever may see the
consent — the owner, or the consent's recipient while the kernel lets it see the client.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import select

from portal.access.kernel import Access
from portal.cases.models import Client, Consent, ConsentEvidence
from portal.i18n import gettext as _

MAX_BYTES = 5 * 1024 * 1024
# What a signed form may be, told by its first bytes: a name or a browser's content type proves nothing.
MAGIC = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)


@dataclass(frozen=True)
class Document:
    """An upload that passed the checks."""

    filename: str
    content_type: str
    data: bytes


def check(filename: str, data: bytes) -> tuple[Document | None, str | None]:
    """The document, or the message to show beside the field."""
    if not data:
        return None, _("Choose the scanned or photographed signed consent form (PDF, JPEG or PNG).")
    if len(data) > MAX_BYTES:
        return None, _("The file is larger than %(mb)s MB. Scan it at a lower resolution or as a PDF.") % {
            "mb": MAX_BYTES // 2**20
        }
    for magic, content_type, suffix in MAGIC:
        if data.startswith(magic):
            return Document(filename=_safe_name(filename, suffix), content_type=content_type, data=data), None
    return None, _("The signed form must be a PDF, JPEG or PNG file; this file is none of them.")


def _safe_name(filename: str, suffix: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ord(ch) >= 32 and ch not in '"<>;')[:150].strip() or "consent"
    return (
        name
        if name.lower().endswith(suffix) or (suffix == ".jpg" and name.lower().endswith(".jpeg"))
        else name + suffix
    )


async def attach(access: Access, consent: Consent, document: Document) -> None:
    """Store the form with its consent, in the same transaction as the consent."""
    access.session.add(
        ConsentEvidence(
            tenant_id=consent.owner_tenant_id,
            consent_id=consent.id,
            filename=document.filename,
            content_type=document.content_type,
            size=len(document.data),
            sha256=hashlib.sha256(document.data).hexdigest(),
            data=document.data,
            uploaded_at=access.now,
            uploaded_by=access.actor.user_id,
        )
    )
    await access.session.flush()


@dataclass(frozen=True)
class Summary:
    """What a page shows of a stored form: never its content."""

    consent_id: int
    filename: str
    size: int


async def summaries(access: Access, consent_ids: list[int]) -> dict[int, Summary]:
    """The forms behind these consents (the caller shows only consents the actor may see)."""
    if not consent_ids:
        return {}
    rows = await access.session.execute(
        select(ConsentEvidence.consent_id, ConsentEvidence.filename, ConsentEvidence.size).where(
            ConsentEvidence.consent_id.in_(consent_ids)
        )
    )
    return {r.consent_id: Summary(r.consent_id, r.filename, r.size) for r in rows}


async def download(access: Access, client_id: int, consent_id: int) -> ConsentEvidence:
    """The form behind a consent of a client the actor may see: the owner's consent, or one given to the
    actor's organisation. Anything else is a LookupError (a 404)."""
    view = await access.get(Client, client_id)
    mine = Consent.owner_tenant_id if view.own else Consent.recipient_tenant_id
    consent = await access.session.scalar(
        select(Consent).where(Consent.id == consent_id, Consent.client_id == client_id, mine == access.actor.tenant_id)
    )
    if consent is None:
        raise LookupError(consent_id)
    evidence = await access.session.scalar(select(ConsentEvidence).where(ConsentEvidence.consent_id == consent.id))
    if evidence is None:
        raise LookupError(consent_id)
    await access.record("consent.evidence.download", "consent", consent.id, client=client_id)
    return evidence


def disposition(filename: str) -> str:
    """An attachment header naming the file, readable by every browser whatever its script."""
    fallback = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._-") else "_" for ch in filename) or "consent"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
