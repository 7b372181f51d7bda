"""Home-page cards about agreements: what waits for our signature, our drafts, what began or ends soon.

Read-only queries for one actor; the home page decides whether the actor may see each card.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access.guard import Actor
from portal.access.policy import PolicyStore
from portal.home.card import Card, Item, Link
from portal.i18n import current_language
from portal.i18n import gettext as _
from portal.labels import local_date, tashkent_day
from portal.partnership.models import Agreement, AgreementParty, AgreementVersion, Signature
from portal.tenants.models import Tenant

SOON = timedelta(days=30)
OPEN_FOR_SIGNING = ("proposed", "signing")


def _is_party(tenant_id: int):  # type: ignore[no-untyped-def]
    return (
        select(AgreementParty.id)
        .where(AgreementParty.version_id == AgreementVersion.id, AgreementParty.tenant_id == tenant_id)
        .exists()
    )


async def unsigned_parties(session: AsyncSession, version_ids: list[int]) -> dict[int, list[Tenant]]:
    """For each version, the parties that have not signed it yet."""
    if not version_ids:
        return {}
    signed = select(Signature.id).where(
        Signature.version_id == AgreementParty.version_id, Signature.tenant_id == AgreementParty.tenant_id
    )
    rows = (
        await session.execute(
            select(AgreementParty.version_id, Tenant)
            .join(Tenant, Tenant.id == AgreementParty.tenant_id)
            .where(AgreementParty.version_id.in_(version_ids), ~signed.exists())
            .order_by(AgreementParty.id)
        )
    ).all()
    pending: dict[int, list[Tenant]] = defaultdict(list)
    for version_id, tenant in rows:
        pending[version_id].append(tenant)
    return pending


async def awaiting_signature(session: AsyncSession, actor: Actor, now: datetime, policy: PolicyStore) -> Card:
    """Versions open for signing where the actor's organisation is a party that has not signed."""
    ours = select(Signature.id).where(
        Signature.version_id == AgreementVersion.id, Signature.tenant_id == actor.tenant_id
    )
    versions = (
        await session.scalars(
            select(AgreementVersion)
            .where(
                AgreementVersion.status.in_(OPEN_FOR_SIGNING),
                AgreementVersion.valid_until >= tashkent_day(now),
                _is_party(actor.tenant_id),
                ~ours.exists(),
            )
            .order_by(AgreementVersion.proposed_at, AgreementVersion.id)
        )
    ).all()
    pending = await unsigned_parties(session, [v.id for v in versions])
    language = current_language()
    items = []
    for version in versions:
        others = [t.name(language) for t in pending.get(version.id, []) if t.id != actor.tenant_id]
        note = (
            _("Still to sign besides you: %(names)s") % {"names": "; ".join(others)}
            if others
            else _("Your organisation is the last to sign: your signature brings it into force.")
        )
        items.append(Item(version.title, f"/agreements/versions/{version.id}/sign", note, version.status))
    return Card(
        key="to-sign",
        title=_("Agreements awaiting your organisation's signature"),
        empty=_(
            "Nothing to sign. When a partner proposes an agreement your organisation is a party to, it appears "
            "here with the parties that still have to sign."
        ),
        items=items,
    )


async def drafts(session: AsyncSession, actor: Actor, now: datetime, policy: PolicyStore) -> Card:
    """Drafts of the actor's organisation that are not yet proposed."""
    rows = (
        await session.scalars(
            select(AgreementVersion)
            .join(Agreement, Agreement.id == AgreementVersion.agreement_id)
            .where(AgreementVersion.status == "draft", Agreement.tenant_id == actor.tenant_id)
            .order_by(AgreementVersion.updated_at.desc())
            .limit(10)
        )
    ).all()
    items = [
        Item(
            v.title,
            f"/agreements/versions/{v.id}",
            _("Last changed %(date)s") % {"date": local_date(v.updated_at)},
            "draft",
        )
        for v in rows
    ]
    return Card(
        key="drafts",
        title=_("Drafts in progress"),
        empty=_("No drafts. Start a new agreement from a template; it stays a draft until you propose it for signing."),
        items=items,
        links=[Link("/agreements/new", _("Start a new agreement"), ("agreement", "draft"))],
    )


async def recent_or_ending(session: AsyncSession, actor: Actor, now: datetime, policy: PolicyStore) -> Card:
    """Agreements of the actor's organisation that came into force lately or end within 30 days."""
    today = tashkent_day(now)
    rows = (
        await session.scalars(
            select(AgreementVersion)
            .where(
                AgreementVersion.status == "active",
                AgreementVersion.valid_until >= today,
                _is_party(actor.tenant_id),
                or_(AgreementVersion.activated_at >= now - SOON, AgreementVersion.valid_until <= today + SOON),
            )
            .order_by(AgreementVersion.valid_until, AgreementVersion.id)
            .limit(10)
        )
    ).all()
    items = []
    for v in rows:
        if v.valid_until <= today + SOON:
            note = _("Ends on %(date)s") % {"date": local_date(v.valid_until)}
        else:
            note = _("In force since %(date)s") % {"date": local_date(v.activated_at)}
        items.append(Item(v.title, f"/agreements/versions/{v.id}", note, "active"))
    return Card(
        key="in-force",
        title=_("Agreements just in force or ending soon"),
        empty=_(
            "No agreement of your organisation came into force in the last 30 days or ends in the next 30. "
            "All agreements are in the list of agreements."
        ),
        items=items,
        links=[Link("/agreements", _("All agreements"))],
    )
