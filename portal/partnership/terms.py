"""A version's terms as canonical JSON: what parties sign, what verification recomputes, what a diff compares.

Canonical means: sorted keys, no insignificant whitespace, UTF-8 without escapes, lists in a fixed
order (parties by tenant id, clauses by number, categories and actions sorted). The same rows give
the same bytes on every machine, so the SHA-256 of those bytes names exactly one set of terms.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.partnership.models import Agreement, AgreementParty, AgreementVersion, Clause
from portal.tenants.models import Tenant

TERMS_FORMAT = 1


def canonical_json(terms: dict[str, Any]) -> str:
    return json.dumps(terms, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


async def terms_from_rows(session: AsyncSession, version: AgreementVersion) -> dict[str, Any]:
    """Every term of the version, read from its rows, with each party's tenant id and names."""
    agreement = await session.get(Agreement, version.agreement_id)
    assert agreement is not None
    rows = (
        await session.execute(
            select(AgreementParty, Tenant)
            .join(Tenant, Tenant.id == AgreementParty.tenant_id)
            .where(AgreementParty.version_id == version.id)
            .order_by(AgreementParty.tenant_id)
        )
    ).all()
    clauses = (
        await session.scalars(select(Clause).where(Clause.version_id == version.id).order_by(Clause.number))
    ).all()
    supersedes = None
    if version.supersedes_id is not None:
        previous = await session.get(AgreementVersion, version.supersedes_id)
        supersedes = {"number": previous.number, "terms_hash": previous.terms_hash} if previous else None
    stated = {} if version.notice_days is None else {"notice_days": version.notice_days}
    return {
        **stated,  # terms frozen before the notice period existed do not state it: their hash stays
        "format": TERMS_FORMAT,
        "agreement_id": agreement.id,
        "drafting_tenant_id": agreement.tenant_id,
        "template": agreement.template_key,
        "version": version.number,
        "supersedes": supersedes,
        "title": version.title,
        "common_goals": version.common_goals,
        "joint_tools": version.joint_tools,
        "valid_from": version.valid_from.isoformat(),
        "valid_until": version.valid_until.isoformat(),
        "parties": [
            {
                "tenant_id": tenant.id,
                "slug": tenant.slug,
                "kind": tenant.kind,
                "names": {
                    "uz": tenant.name_uz,
                    "uz_Cyrl": tenant.name_uz_cyrl,
                    "ru": tenant.name_ru,
                    "en": tenant.name_en,
                },
                "role": party.role,
                "resources": party.resources,
            }
            for party, tenant in rows
        ],
        "clauses": [
            {
                "number": clause.number,
                "owner_tenant_id": clause.owner_tenant_id,
                "recipient_tenant_id": clause.recipient_tenant_id,
                "categories": sorted(set(clause.categories)),
                "actions": sorted(set(clause.actions)),
                "purpose": clause.purpose,
                "scope": clause.scope,
                "consent_required": bool(clause.consent_required),
                "ends_on": clause.ends_on.isoformat() if clause.ends_on else None,
            }
            for clause in clauses
        ],
    }


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(term, old value, new value) for each term that differs; parties by tenant, clauses by number."""
    changes: list[tuple[str, Any, Any]] = []
    for key in ("title", "common_goals", "joint_tools", "valid_from", "valid_until", "notice_days"):
        if old.get(key) != new.get(key):
            changes.append((key, old.get(key), new.get(key)))
    old_parties = {p["tenant_id"]: p for p in old.get("parties", [])}
    new_parties = {p["tenant_id"]: p for p in new.get("parties", [])}
    for tenant_id in sorted(set(old_parties) | set(new_parties)):
        a, b = old_parties.get(tenant_id), new_parties.get(tenant_id)
        if a != b:
            changes.append((f"party:{tenant_id}", a, b))
    old_clauses = {c["number"]: c for c in old.get("clauses", [])}
    new_clauses = {c["number"]: c for c in new.get("clauses", [])}
    for number in sorted(set(old_clauses) | set(new_clauses)):
        a, b = old_clauses.get(number), new_clauses.get(number)
        if a != b:
            changes.append((f"clause:{number}", a, b))
    return changes
