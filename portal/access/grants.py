"""Grant rows: compiling a source's sharing terms into the kernel's policy, and reading it back.

A source (today an agreement version's data-sharing clauses; tomorrow anything else that may grant
access) hands `install` one `GrantSpec` per clause; each becomes one row per category and action,
the "p2" lines of policies.conf in a typed table. `revoke` removes a source's rows in the caller's
transaction. A malformed spec grants nothing, and each row carries an HMAC (keyed from the portal's
seal) over what it grants: a row written or changed in the database by anyone but the compiler is
refused when it is read, and the refusal is audited for the data owner.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access import seal
from portal.access.models import AccessGrant
from portal.access.vocabulary import ACTIONS, CATEGORIES, PURPOSES, SCOPES


@dataclass(frozen=True)
class GrantSpec:
    """One clause: owner -> recipient, what, why, for how long, and the reason to show."""

    source: str  # e.g. "version:12:clause:34"
    owner_tenant_id: int
    recipient_tenant_id: int
    categories: tuple[str, ...]
    actions: tuple[str, ...]
    purpose: str
    scope: str
    consent_required: bool
    valid_from: date
    valid_until: date  # last day
    agreement_id: int
    agreement_title: str
    version_number: int
    clause_number: int
    signed_on: date | None

    def well_formed(self) -> bool:
        return (
            self.owner_tenant_id != self.recipient_tenant_id
            and self.purpose in PURPOSES
            and self.scope in SCOPES
            and bool(self.categories)
            and set(self.categories) <= set(CATEGORIES)
            and bool(self.actions)
            and set(self.actions) <= set(ACTIONS)
            and self.valid_from <= self.valid_until
            and len(self.source) <= 60
        )


LABEL = b"icm-portal grant rows v1"
_SEALED = (
    "recipient_tenant_id",
    "owner_tenant_id",
    "category",
    "action",
    "purpose",
    "scope",
    "consent_required",
    "valid_from",
    "valid_until",
    "source",
)


def _mac(grant: AccessGrant) -> str:
    return _mac_of(seal.derived_key(LABEL), _sealed_values(grant))


def _sealed_values(grant: Any) -> tuple[str, ...]:
    return tuple(str(getattr(grant, name)) for name in _SEALED)


def _mac_of(key: bytes, values: tuple[str, ...]) -> str:
    body = json.dumps(list(values), separators=(",", ":")).encode()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


@functools.lru_cache(maxsize=2048)  # about 1 KB each; the busiest recipient reads by some 550 rows
def _holds(key: bytes, values: tuple[str, ...], mac: str) -> bool:
    """Whether `mac` is the seal of these values, remembered: a page of the recipient of a hundred owners
    checks the same few hundred rows on every request (20 µs each). The answer depends on nothing else,
    so a row changed in the database is a new question."""
    return hmac.compare_digest(mac, _mac_of(key, values))


def seal_key() -> bytes:
    """The key grant rows are sealed with (derived from the portal's signing key)."""
    return seal.derived_key(LABEL)


def authentic(grant: Any, key: bytes | None = None) -> bool:
    """The row (an AccessGrant or a row of its columns) is as the compiler wrote it: a row added or
    changed in the database grants nothing. `key` is `seal_key()` unless given."""
    return _holds(key or seal_key(), _sealed_values(grant), grant.seal or "")


def rows_of(spec: GrantSpec) -> list[AccessGrant]:
    if not spec.well_formed():
        return []
    rows = [
        AccessGrant(
            recipient_tenant_id=spec.recipient_tenant_id,
            owner_tenant_id=spec.owner_tenant_id,
            category=category,
            action=action,
            purpose=spec.purpose,
            scope=spec.scope,
            consent_required=spec.consent_required,
            valid_from=spec.valid_from,
            valid_until=spec.valid_until,
            source=spec.source,
            agreement_id=spec.agreement_id,
            agreement_title=spec.agreement_title[:300],
            version_number=spec.version_number,
            clause_number=spec.clause_number,
            signed_on=spec.signed_on,
        )
        for category in sorted(set(spec.categories))
        for action in sorted(set(spec.actions))
    ]
    for row in rows:
        row.seal = _mac(row)
    return rows


async def install(session: AsyncSession, source_prefix: str, specs: list[GrantSpec]) -> int:
    """Replace every row of a source (all sources starting with `source_prefix`); returns how many."""
    await revoke(session, source_prefix)
    rows = [row for spec in specs if spec.source.startswith(source_prefix) for row in rows_of(spec)]
    session.add_all(rows)
    await session.flush()
    return len(rows)


async def revoke(session: AsyncSession, source_prefix: str) -> None:
    await session.execute(delete(AccessGrant).where(AccessGrant.source.startswith(source_prefix, autoescape=True)))


def line(grant: AccessGrant) -> tuple[str, str, str, str, str, str]:
    """The row as a "p2" line of policies.conf: recipient, owner, category, act, cond, ref."""
    consent = "consent" if grant.consent_required else "no_consent"
    return (
        f"tenant:{grant.recipient_tenant_id}",
        f"tenant:{grant.owner_tenant_id}",
        grant.category,
        grant.action,
        f"{grant.scope}|{consent}|{grant.purpose}",
        grant.source,
    )


def live_on(today: date) -> ColumnElement[bool]:
    return and_(AccessGrant.valid_from <= today, AccessGrant.valid_until >= today)


async def partners(session: AsyncSession, owner_tenant_id: int, purpose: str, today: date) -> list[int]:
    """The tenants a live grant lets see the owner's data for `purpose` (referral targets, invitees)."""
    rows = await session.scalars(
        select(AccessGrant.recipient_tenant_id)
        .where(AccessGrant.owner_tenant_id == owner_tenant_id, AccessGrant.purpose == purpose, live_on(today))
        .distinct()
    )
    return sorted(rows.all())
