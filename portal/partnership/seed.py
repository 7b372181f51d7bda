"""Demo agreements: the Tashkent ICM pilot, signed by every demo partner, and a memorandum half signed.

Idempotent: an agreement already seeded (same template, same drafting tenant) is left alone.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access.policy import PolicyStore
from portal.db import utcnow
from portal.partnership import services
from portal.partnership.models import Agreement
from portal.settings import ROOT
from portal.tenants.models import Tenant
from portal.tenants.services import actor_for

OUTSIDER = "employer-chorsu-savdo"  # the demo's outsider: never a party to any agreement
PILOT_PARTIES = (
    "pes-yunusobod",
    "nasp-tashkent",
    "inson-yunusobod",
    "monocentre-tashkent",
    "ngo-sharoit-plus",
    "employer-toqimachi",
    "employer-yunusobod-non",
    "job-carving-tashkent",
    "labour-inspection-tashkent",
)
SIGNATORIES = {
    "pes-yunusobod": "pes.sign",
    "nasp-tashkent": "nasp.admin",
    "inson-yunusobod": "inson.sign",
    "monocentre-tashkent": "mono.admin",
    "ngo-sharoit-plus": "ngo.admin",
    "employer-toqimachi": "toqimachi.director",
    "employer-yunusobod-non": "non.hr",
    "job-carving-tashkent": "carving.lead",
    "labour-inspection-tashkent": "inspection.head",
}


async def _tenants(session: AsyncSession, slugs: tuple[str, ...]) -> list[Tenant]:
    found = {t.slug: t for t in (await session.scalars(select(Tenant).where(Tenant.slug.in_(slugs)))).all()}
    return [found[s] for s in slugs if s in found]


async def _seed_one(
    session: AsyncSession, now: datetime, key: str, drafter: tuple[str, str], slugs: tuple[str, ...], signers: int
) -> None:
    actor = await actor_for(session, *drafter)
    exists = await session.scalar(
        select(Agreement.id).where(Agreement.template_key == key, Agreement.tenant_id == actor.tenant_id)
    )
    if exists is not None:
        return
    policy = PolicyStore(session.bind, ROOT / "policies.conf")  # the demo's people act under the real policy
    await policy.refresh(session)
    tenants = await _tenants(session, slugs)
    assert all(t.slug != OUTSIDER for t in tenants)
    drafting = next(t for t in tenants if t.id == actor.tenant_id)
    form = services.form_from_template(key, drafting, tenants, "uz", date(now.year, 1, 1))
    form.valid_until = date(now.year + 2, 12, 31).isoformat()
    version = await services.create_draft(session, actor, form, now, template_key=key, policy=policy)
    assert version is not None, form.errors
    await services.propose(session, actor, version.id, now, policy=policy)
    for tenant in tenants[:signers]:
        signer = await actor_for(session, SIGNATORIES[tenant.slug], tenant.slug)
        await services.sign(session, signer, version.id, version.terms_hash or "", now, policy=policy)


async def seed_agreements(session: AsyncSession, now: datetime) -> None:
    """The pilot agreement fully signed; the monocentre–NGO memorandum with one of two signatures."""
    await _seed_one(session, now, "tashkent-icm-pilot", ("pes.admin", "pes-yunusobod"), PILOT_PARTIES, 99)
    await _seed_one(
        session,
        now,
        "pes-ngo-referral",
        ("mono.admin", "monocentre-tashkent"),
        ("monocentre-tashkent", "ngo-sharoit-plus"),
        1,
    )


async def seed_demo_agreements(session: AsyncSession) -> None:
    await seed_agreements(session, utcnow())
