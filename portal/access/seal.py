"""The portal's Ed25519 key: it seals agreement signature records and audit checkpoints, so later
edits to them are detectable.

Generated on first use at the path in Settings.signing_key (PORTAL_SIGNING_KEY, by default
var/portal-signing-key.pem); create_app and the command line hand that path to `use_key`. The key
id is the SHA-256 of the raw public key, stored on every signature so a rotated key stays checkable.
A national e-signature (E-IMZO) would sign the same record bytes behind the same two functions.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from portal.settings import VAR

_cache: dict[str, Ed25519PrivateKey] = {}
_derived: dict[tuple[str, bytes], bytes] = {}
_configured: list[Path] = []


def use_key(path: Path) -> None:
    """Seal with the key at `path` from now on (Settings.signing_key)."""
    _configured[:] = [Path(path)]


def key_path() -> Path:
    return _configured[0] if _configured else VAR / "portal-signing-key.pem"


def _load_or_create(path: Path) -> Ed25519PrivateKey:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            # Exclusive create: two workers starting together keep the first key, never two.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def portal_key() -> Ed25519PrivateKey:
    path = str(key_path())
    if path not in _cache:
        _cache[path] = _load_or_create(Path(path))
    return _cache[path]


def key_id(key: Ed25519PrivateKey | None = None) -> str:
    raw = (key or portal_key()).public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def derived_key(label: bytes) -> bytes:
    """A secret for one purpose (e.g. HMACs over grant rows), derived from the portal's key (once per key
    and purpose: a page checks hundreds of grant rows)."""
    path = str(key_path())
    if (path, label) not in _derived:
        raw = portal_key().private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        _derived[(path, label)] = hmac.new(raw, label, hashlib.sha256).digest()
    return _derived[(path, label)]


def record_bytes(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def seal(record: dict[str, Any]) -> tuple[str, str]:
    """(base64 signature, key id) over the record's canonical JSON."""
    key = portal_key()
    return base64.b64encode(key.sign(record_bytes(record))).decode(), key_id(key)


def check(record: dict[str, Any], signature: str, signed_key_id: str) -> bool:
    key = portal_key()
    if signed_key_id != key_id(key):
        return False
    try:
        key.public_key().verify(base64.b64decode(signature, validate=True), record_bytes(record))
    except (InvalidSignature, ValueError):
        return False
    return True
