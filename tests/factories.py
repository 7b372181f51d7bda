"""Small factories for tests: agreements made active directly (until the signing services land),
clients, engagements, consents, and actors for demo users."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import count
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access.guard import Actor
from portal.cases.models import Client, Consent, Engagement
from portal.partnership import compiler, services, signing, terms
from portal.partnership.models import Agreement, AgreementParty, AgreementVersion, Clause, Signature
from portal.tenants.models import Membership, Tenant, User

_pinfls = count(30000000000000)


async def tenant_id(session: AsyncSession, slug: str) -> int:
    found = await session.scalar(select(Tenant.id).where(Tenant.slug == slug))
    assert found is not None, slug
    return int(found)


async def actor_for(session: AsyncSession, login: str, slug: str | None = None) -> Actor:
    """The actor a demo user would be when signed in (in `slug`, or their first tenant)."""
    user = await session.scalar(select(User).where(User.login == login))
    assert user is not None, login
    query = select(Membership).where(Membership.user_id == user.id).order_by(Membership.id)
    if slug is not None:
        query = query.where(Membership.tenant_id == await tenant_id(session, slug))
    membership = (await session.scalars(query)).first()
    assert membership is not None
    return Actor(
        user_id=user.id,
        login=user.login,
        full_name=user.full_name,
        tenant_id=membership.tenant_id,
        session_id="test",
        roles=tuple(membership.roles),
    )


async def make_agreement(
    session: AsyncSession,
    *,
    clauses: list[dict[str, Any]],
    status: str = "active",
    valid_from: date = date(2026, 1, 1),
    valid_until: date = date(2026, 12, 31),
    title: str = "Pilot data-sharing agreement",
    signed_at: datetime = datetime(2025, 12, 20, 9, 0, tzinfo=UTC),
    install: bool = True,
) -> AgreementVersion:
    """An agreement version with its parties, clauses and signatures, compiled like an activation.

    Each clause: owner, recipient (tenant ids), categories, and optionally actions, purpose, scope,
    consent_required, ends_on.
    """
    creator = await session.scalar(select(User.id).order_by(User.id).limit(1))
    owner0 = clauses[0]["owner"] if clauses else await session.scalar(select(Tenant.id).limit(1))
    agreement = Agreement(tenant_id=owner0, title=title, created_by_user_id=creator)
    session.add(agreement)
    await session.flush()
    version = AgreementVersion(
        agreement_id=agreement.id,
        number=1,
        status=status,
        title=title,
        valid_from=valid_from,
        valid_until=valid_until,
        activated_at=signed_at if status == "active" else None,
    )
    session.add(version)
    await session.flush()
    parties = sorted({c["owner"] for c in clauses} | {c["recipient"] for c in clauses})
    for party in parties:
        session.add(AgreementParty(version_id=version.id, tenant_id=party))
    for number, spec in enumerate(clauses, start=1):
        session.add(
            Clause(
                version_id=version.id,
                number=number,
                owner_tenant_id=spec["owner"],
                recipient_tenant_id=spec["recipient"],
                categories=list(spec["categories"]),
                actions=list(spec.get("actions", ["read"])),
                purpose=spec.get("purpose", "referral"),
                scope=spec.get("scope", "all"),
                consent_required=spec.get("consent_required", False),
                ends_on=spec.get("ends_on"),
            )
        )
    await session.flush()
    # Frozen like a proposal, so the compiler reads the signed terms as it does for a real activation.
    version.terms_json = terms.canonical_json(await terms.terms_from_rows(session, version))
    version.terms_hash = terms.sha256_hex(version.terms_json)
    # Every party signs that hash, sealed by the portal's key, as the signing ceremony does.
    for party in parties:
        signature = Signature(
            version_id=version.id,
            tenant_id=party,
            signer_user_id=creator,
            signer_name="Signatory",
            signed_at=signed_at,
            terms_hash=version.terms_hash,
            method="portal",
        )
        signature.portal_signature, signature.portal_key_id = signing.seal(services.signature_record(signature))
        session.add(signature)
    await session.flush()
    if install and status == "active":
        await compiler.install(session, version.id)
    return version


async def terminate(session: AsyncSession, version: AgreementVersion, remove_lines: bool = True) -> None:
    version.status = "terminated"
    await session.flush()
    if remove_lines:
        await compiler.remove(session, version.id)


async def make_client(session: AsyncSession, owner: int, **fields: Any) -> Client:
    values: dict[str, Any] = {
        "full_name": "Aziza Karimova",
        "full_name_cyrl": "Азиза Каримова",
        "pinfl": str(next(_pinfls)),
        "birth_date": date(1990, 5, 1),
        "disability_group": "II",
        "work_recommendation": "Sitting work, no night shifts",
        "education": "Vocational college, sewing",
        "phone": "+998 90 123 45 67",
    }
    values.update(fields)
    client = Client(tenant_id=owner, **values)
    session.add(client)
    await session.flush()
    return client


async def engage(
    session: AsyncSession, client: Client, recipient: int, opened_on: date = date(2026, 1, 10), **kw: Any
) -> Engagement:
    engagement = Engagement(
        client_id=client.id,
        owner_tenant_id=client.tenant_id,
        recipient_tenant_id=recipient,
        kind=kw.pop("kind", "referral"),
        opened_on=opened_on,
        **kw,
    )
    session.add(engagement)
    await session.flush()
    return engagement


async def consent(
    session: AsyncSession,
    client: Client,
    recipient: int,
    purpose: str = "referral",
    given_at: datetime = datetime(2026, 1, 10, 8, 0, tzinfo=UTC),
    withdrawn_at: datetime | None = None,
) -> Consent:
    recorder = await session.scalar(select(User.id).order_by(User.id).limit(1))
    row = Consent(
        client_id=client.id,
        owner_tenant_id=client.tenant_id,
        recipient_tenant_id=recipient,
        purpose=purpose,
        evidence="Written form",
        given_at=given_at,
        given_recorded_by=recorder,
        withdrawn_at=withdrawn_at,
        withdrawn_recorded_by=recorder if withdrawn_at else None,
    )
    session.add(row)
    await session.flush()
    return row


def english(client: Any) -> None:
    """Pages in English, for tests that read their text (the default language is Uzbek)."""
    client.cookies.set("portal_lang", "en")


async def share_everything_with_ngo(session: AsyncSession) -> int:
    """An agreement in force: INSON shares every category with the NGO for engaged, consenting clients."""
    from datetime import timedelta

    from portal.db import utcnow
    from portal.partnership.models import CATEGORIES

    today = utcnow().date()
    version = await make_agreement(
        session,
        clauses=[
            {
                "owner": await tenant_id(session, "inson-yunusobod"),
                "recipient": await tenant_id(session, "ngo-sharoit-plus"),
                "categories": list(CATEGORIES),
                "scope": "engaged",
                "consent_required": True,
            }
        ],
        valid_from=today - timedelta(days=10),
        valid_until=today + timedelta(days=100),
    )
    return version.agreement_id


async def set_aside_demo_agreements(session: AsyncSession) -> None:
    """Terminate every agreement version in force and drop its grant rows.

    Tests that build their own agreements call this first, so the demo seed's pilot agreement
    does not share the same clients a second time.
    """
    from sqlalchemy import delete, update

    from portal.access.models import AccessGrant

    await session.execute(
        update(AgreementVersion)
        .where(AgreementVersion.status.in_(("active", "signing", "proposed")))
        .values(status="terminated", end_reason="set aside by the test")
    )
    await session.execute(delete(AccessGrant))
    await session.commit()
