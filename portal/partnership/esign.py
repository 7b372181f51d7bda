"""The seam for electronic signatures: how a signature record is signed and later checked.

Today one method exists: the portal's own Ed25519 seal (`signing.py`) over the canonical JSON of the
signature record, made after the signer confirmed on the signing page with their password or a fresh
sign-in. Uzbekistan's qualified e-signature (E-IMZO) plugs in beside it as another `ESignature`: the
signer's own key signs the same record bytes in the browser (the E-IMZO application returns a PKCS#7
/ CMS signature, passed to `sign` as `evidence`), and `verify` checks that signature and its
certificate. Register it in `METHODS` under its `method` name; the method is stored on every
signature, so verification picks the right checker for old and new signatures alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from portal.partnership import signing


@dataclass(frozen=True)
class Sealed:
    signature: str  # base64
    key_id: str  # which key (or certificate) made it


class ESignature(Protocol):
    method: str

    def sign(self, record: dict[str, Any], evidence: str | None = None) -> Sealed:
        """Sign the record (its canonical bytes: signing.record_bytes); `evidence` is what the signer's
        device produced, when the method signs there (E-IMZO); None for the portal seal."""
        ...

    def verify(self, record: dict[str, Any], sealed: Sealed) -> bool: ...


class PortalSeal:
    """The portal's Ed25519 key seals the record; the signer's consent was checked before."""

    method = "portal"

    def sign(self, record: dict[str, Any], evidence: str | None = None) -> Sealed:
        signature, key_id = signing.seal(record)
        return Sealed(signature, key_id)

    def verify(self, record: dict[str, Any], sealed: Sealed) -> bool:
        return signing.check(record, sealed.signature, sealed.key_id)


PORTAL_SEAL = PortalSeal()
METHODS: dict[str, ESignature] = {PORTAL_SEAL.method: PORTAL_SEAL}


def verify(record: dict[str, Any], method: str, sealed: Sealed) -> bool:
    """False for a method the portal does not know: an unknown signature proves nothing."""
    checker = METHODS.get(method)
    return checker is not None and checker.verify(record, sealed)
