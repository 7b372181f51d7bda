"""Compiles an active agreement version's data-sharing clauses into Casbin "p2" policy lines.

Called in the same transaction as the state change: `install` when the last signature activates a
version, `remove` when it is terminated or superseded. Expiry needs no call: the lines stay until
removed, but every cross-tenant read checks the version's state and validity window in SQL.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access.models import CasbinRule
from portal.access.policy import bump_revision, domain
from portal.partnership.models import Clause


def clause_ref(version_id: int, clause_id: int) -> str:
    return f"version:{version_id}:clause:{clause_id}"


def parse_ref(ref: str) -> tuple[int, int]:
    """(version_id, clause_id) from a policy line's ref; ValueError on anything else."""
    kind, version_id, kind2, clause_id = ref.split(":")
    if kind != "version" or kind2 != "clause":
        raise ValueError(ref)
    return int(version_id), int(clause_id)


def condition(clause: Clause) -> str:
    consent = "consent" if clause.consent_required else "no_consent"
    return f"{clause.scope}|{consent}|{clause.purpose}"


async def install(session: AsyncSession, version_id: int) -> int:
    """Write one line per clause, category and action; returns how many."""
    await remove(session, version_id, bump=False)
    clauses = (await session.scalars(select(Clause).where(Clause.version_id == version_id))).all()
    count = 0
    for clause in clauses:
        for category in sorted(set(clause.categories)):
            for action in sorted(set(clause.actions)):
                session.add(
                    CasbinRule(
                        ptype="p2",
                        v0=domain(clause.recipient_tenant_id),
                        v1=domain(clause.owner_tenant_id),
                        v2=category,
                        v3=action,
                        v4=condition(clause),
                        v5=clause_ref(version_id, clause.id),
                    )
                )
                count += 1
    await session.flush()
    await bump_revision(session)
    return count


async def remove(session: AsyncSession, version_id: int, bump: bool = True) -> None:
    await session.execute(
        delete(CasbinRule).where(CasbinRule.ptype == "p2", CasbinRule.v5.like(f"version:{version_id}:clause:%"))
    )
    if bump:
        await bump_revision(session)
