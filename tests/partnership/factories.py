"""Small factories for agreements, driven through the services as people would drive them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access import grants
from portal.access.models import AccessGrant
from portal.access.policy import PolicyStore
from portal.partnership import services
from portal.partnership.forms import ClauseRow, DraftForm, PartyRow
from portal.partnership.seed import SIGNATORIES, actor_for
from portal.settings import ROOT
from portal.tenants.models import Tenant

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ADMINS = {"pes-yunusobod": "pes.admin", "inson-yunusobod": "inson.admin", "ngo-sharoit-plus": "ngo.admin"}


async def policy_of(session: AsyncSession) -> PolicyStore:
    """The real Casbin policy stored in the test's database, as the app loads it."""
    policy = PolicyStore(session.bind, ROOT / "policies.conf")
    await policy.refresh(session)
    return policy


async def tenant_ids(session: AsyncSession) -> dict[str, int]:
    return {t.slug: t.id for t in (await session.scalars(select(Tenant))).all()}


def clause(owner: int, recipient: int, categories: list[str], **extra: Any) -> ClauseRow:
    return ClauseRow(owner=str(owner), recipient=str(recipient), categories=categories, **extra)


async def make_agreement(
    session: AsyncSession,
    parties: tuple[str, ...] = ("pes-yunusobod", "ngo-sharoit-plus"),
    clauses: list[tuple[str, str, list[str]]] | None = None,
    signed: tuple[str, ...] | bool = False,
    valid: tuple[date, date] = (date(2026, 1, 1), date(2026, 12, 31)),
    now: datetime = NOW,
) -> int:
    """An agreement drafted by the first party and proposed; signed by all (True) or by the named parties."""
    ids = await tenant_ids(session)
    drafter = await actor_for(session, ADMINS[parties[0]], parties[0])
    if clauses is None:
        clauses = [(parties[0], parties[1], ["identity", "disability"])]
    form = DraftForm(
        title="Hamkorlik memorandumi",
        common_goals="Nogironligi bo‘lgan shaxslarni ishga joylashtirish",
        valid_from=valid[0].isoformat(),
        valid_until=valid[1].isoformat(),
        parties=[PartyRow(str(ids[s]), role="Hamkor") for s in parties],
        clauses=[clause(ids[o], ids[r], cats) for o, r, cats in clauses],
    )
    policy = await policy_of(session)
    version = await services.create_draft(session, drafter, form, now, policy=policy)
    assert version is not None, form.errors
    await services.propose(session, drafter, version.id, now, policy=policy)
    signers = parties if signed is True else (signed or ())
    for slug in signers:
        signer = await actor_for(session, SIGNATORIES[slug], slug)
        await services.sign(session, signer, version.id, version.terms_hash, now, policy=policy)
    return version.id


async def lines_of(session: AsyncSession, version_id: int) -> list[tuple[str, ...]]:
    """The version's grant rows as "p2" lines: (recipient, owner, category, act)."""
    rows = (
        await session.scalars(select(AccessGrant).where(AccessGrant.source.like(f"version:{version_id}:clause:%")))
    ).all()
    return sorted(grants.line(r)[:4] for r in rows)


async def all_p2(session: AsyncSession) -> list[tuple[str, ...]]:
    rows = (await session.scalars(select(AccessGrant))).all()
    return sorted((*grants.line(r)[:4], r.source) for r in rows)


async def count(session: AsyncSession, statement: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(statement.subquery())) or 0)
