"""The facts a clause's conditions read, as the owner records them: engagements and consents.

Only the client's owner records them, for its own clients, and every change is audited. A withdrawn
consent or a closed engagement counts at once: every read checks them in the query that reads data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import aliased

from portal.access.kernel import Access
from portal.access.sharing import local_date
from portal.access.vocabulary import ENGAGEMENT_SOURCES, PURPOSES
from portal.cases import consent_evidence
from portal.cases.models import Client, Consent, Engagement
from portal.i18n import gettext as _
from portal.partnership.models import AgreementParty
from portal.tenants.models import Tenant, User


@dataclass(frozen=True)
class Partner:
    id: int
    names: dict[str, str]

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names.get("uz", "")


async def partners(access: Access) -> list[Partner]:
    """The organisations an engagement or a consent may name: those the actor's organisation shares a
    partnership agreement with, in force, ended or still being drafted. Data reaches a partner only
    through an agreement's clauses, so no other organisation (of a thousand in the country) could
    make use of either; a consent may still come before the agreement it serves is signed."""
    stmt = select(Tenant).where(Tenant.id.in_(_co_parties(access)), Tenant.is_active).order_by(Tenant.name_uz)
    return [_partner(t) for t in (await access.session.scalars(stmt)).all()]


def _co_parties(access: Access) -> Select:
    """The tenants that are parties of an agreement version the actor's tenant is a party of."""
    own = access.actor.tenant_id
    ours, theirs = aliased(AgreementParty), aliased(AgreementParty)
    return (
        select(theirs.tenant_id)
        .join(ours, ours.version_id == theirs.version_id)
        .where(ours.tenant_id == own, theirs.tenant_id != own)
    )


async def partner_names(access: Access, ids: Iterable[int]) -> dict[int, Partner]:
    """The organisations `ids` names (the partners of recorded engagements and consents), by id."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = (await access.session.scalars(select(Tenant).where(Tenant.id.in_(wanted)))).all()
    return {t.id: _partner(t) for t in rows}


def _partner(t: Tenant) -> Partner:
    return Partner(id=t.id, names={"uz": t.name_uz, "uz_Cyrl": t.name_uz_cyrl, "ru": t.name_ru, "en": t.name_en})


async def engagements_of(access: Access, client_id: int) -> list[Engagement]:
    stmt = (
        select(Engagement)
        .where(Engagement.client_id == client_id, Engagement.owner_tenant_id == access.actor.tenant_id)
        .order_by(Engagement.opened_on.desc(), Engagement.id.desc())
    )
    return list((await access.session.scalars(stmt)).all())


async def consents_of(access: Access, client_id: int) -> list[Consent]:
    stmt = (
        select(Consent)
        .where(Consent.client_id == client_id, Consent.owner_tenant_id == access.actor.tenant_id)
        .order_by(Consent.given_at.desc(), Consent.id.desc())
    )
    return list((await access.session.scalars(stmt)).all())


async def _partner_ok(access: Access, recipient_id: int) -> bool:
    """One of the organisations `partners` offers."""
    if not 0 < recipient_id < 2**31:
        return False
    offered = select(Tenant.id).where(Tenant.id == recipient_id, Tenant.id.in_(_co_parties(access)), Tenant.is_active)
    return await access.session.scalar(offered) is not None


async def open_engagement(access: Access, client_id: int, recipient_id: int, kind: str) -> dict[str, str]:
    """Record that the client is engaged with a partner (a referral or a case conference)."""
    client = await access.own(Client, client_id, "read")
    if not access.allows("engagement", "manage"):
        raise LookupError(client_id)
    errors = {}
    if not await _partner_ok(access, recipient_id):
        errors["recipient"] = _("Choose an organisation your organisation has a partnership agreement with.")
    if kind not in ENGAGEMENT_SOURCES:
        errors["kind"] = _("Choose a referral or a case conference.")
    if errors:
        return errors
    access.session.add(
        Engagement(
            client_id=client.id,
            owner_tenant_id=access.actor.tenant_id,
            recipient_tenant_id=recipient_id,
            kind=kind,
            opened_on=local_date(access.now),
        )
    )
    await access.session.flush()
    await access.record("engagement.open", "client", client.id, recipient=recipient_id, kind=kind)
    return {}


async def close_engagement(access: Access, client_id: int, engagement_id: int) -> None:
    engagement = await access.session.scalar(
        select(Engagement).where(
            Engagement.id == engagement_id,
            Engagement.client_id == client_id,
            Engagement.owner_tenant_id == access.actor.tenant_id,
        )
    )
    if engagement is None:
        raise LookupError(engagement_id)
    if engagement.closed_on is None:
        # Closed today: the engagement no longer counts from now on.
        engagement.closed_on = local_date(access.now)
        await access.session.flush()
        await access.record("engagement.close", "client", client_id, engagement=engagement_id)


async def give_consent(
    access: Access,
    client_id: int,
    recipient_id: int,
    purpose: str,
    evidence: str,
    document: tuple[str, bytes] | None = None,
) -> dict[str, str]:
    """Record the client's consent to share with one partner for one purpose (ZRU-547), with the signed
    form (`document`: its file name and content) stored beside it; nothing is stored on any error."""
    client = await access.own(Client, client_id, "read")
    if not access.allows("consent", "manage"):
        raise LookupError(client_id)
    errors = {}
    evidence = evidence.strip()
    if not await _partner_ok(access, recipient_id):
        errors["recipient"] = _("Choose an organisation your organisation has a partnership agreement with.")
    if purpose not in PURPOSES:
        errors["purpose"] = _("Choose a purpose.")
    if not 3 <= len(evidence) <= 1000 or "\x00" in evidence:
        errors["evidence"] = _("Describe the written or electronic consent, e.g. the form number and date.")
    signed, problem = consent_evidence.check(*document) if document else (None, None)
    if document is None:
        problem = _("Attach the signed consent form (PDF, JPEG or PNG).")
    if problem:
        errors["document"] = problem
    if errors or signed is None:
        return errors
    consent = Consent(
        client_id=client.id,
        owner_tenant_id=access.actor.tenant_id,
        recipient_tenant_id=recipient_id,
        purpose=purpose,
        evidence=evidence,
        given_at=access.now,
        given_recorded_by=access.actor.user_id,
    )
    access.session.add(consent)
    await access.session.flush()
    await consent_evidence.attach(access, consent, signed)
    await access.record("consent.give", "client", client.id, recipient=recipient_id, purpose=purpose)
    return {}


async def withdraw_consent(access: Access, client_id: int, consent_id: int) -> None:
    """Withdrawal takes effect at once: every read checks consent in the query that reads the client."""
    consent = await access.session.scalar(
        select(Consent).where(
            Consent.id == consent_id, Consent.client_id == client_id, Consent.owner_tenant_id == access.actor.tenant_id
        )
    )
    if consent is None:
        raise LookupError(consent_id)
    if consent.withdrawn_at is None:
        consent.withdrawn_at = access.now
        consent.withdrawn_recorded_by = access.actor.user_id
        await access.session.flush()
        await access.record("consent.withdraw", "client", client_id, consent=consent_id)


_USER_NAMES = select(User.id, User.full_name).where(User.id.in_(bindparam("ids", expanding=True)))  # built once


async def user_names(access: Access, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict((await access.session.execute(_USER_NAMES, {"ids": list(ids)})).all())


@dataclass(frozen=True)
class Basis:
    """Why a partner sees another organisation's client: whose data, and the facts its clauses read."""

    owner: Partner
    engagements: list[Engagement]
    consents: list[Consent]


async def basis_of(access: Access, client_id: int, owner_tenant_id: int) -> Basis:
    """The owner, and the open engagements and live consents that tie the client to the actor's
    organisation (only the actor's own: another partner's engagements stay unseen)."""
    today = local_date(access.now)
    owner = await access.session.get(Tenant, owner_tenant_id)
    names = {} if owner is None else {"uz": owner.name_uz, "uz_Cyrl": owner.name_uz_cyrl, "ru": owner.name_ru}
    names.update({} if owner is None else {"en": owner.name_en})
    mine = (Engagement.client_id == client_id, Engagement.recipient_tenant_id == access.actor.tenant_id)
    engagements = (
        await access.session.scalars(
            select(Engagement)
            .where(*mine, Engagement.opened_on <= today)
            .where((Engagement.closed_on.is_(None)) | (Engagement.closed_on > today))
            .order_by(Engagement.opened_on)
        )
    ).all()
    consents = (
        await access.session.scalars(
            select(Consent)
            .where(Consent.client_id == client_id, Consent.recipient_tenant_id == access.actor.tenant_id)
            .where(Consent.given_at <= access.now)
            .where((Consent.withdrawn_at.is_(None)) | (Consent.withdrawn_at > access.now))
            .order_by(Consent.given_at)
        )
    ).all()
    return Basis(owner=Partner(id=owner_tenant_id, names=names), engagements=list(engagements), consents=list(consents))
