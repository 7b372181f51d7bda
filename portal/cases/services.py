"""Clients, engagements and consents: the rules, with no HTTP.

Reads go through portal.access.sharing (one enforcement point) and come back redacted; changes are
made only by the owner tenant and are written to the audit log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from portal.access import audit, sharing
from portal.access.guard import Actor
from portal.access.policy import PolicyStore
from portal.access.redact import ClientView, record_read, redact, view_client
from portal.cases import translit
from portal.cases.models import DISABILITY_GROUPS, ENGAGEMENT_KINDS, Client, Consent, Engagement
from portal.i18n import gettext as _
from portal.partnership.models import PURPOSES
from portal.tenants.models import District, Tenant, User

GENDERS = ("female", "male")
PINFL_RE = re.compile(r"[0-9]{14}")
PHONE_RE = re.compile(r"\+?[0-9 ()-]{7,20}")
LIST_LIMIT = 200


class EditConflict(Exception):
    """Someone else saved this client since the form was opened."""


@dataclass
class ClientForm:
    full_name: str = ""
    full_name_cyrl: str = ""
    pinfl: str = ""
    birth_date: str = ""
    gender: str = ""
    phone: str = ""
    address: str = ""
    district_code: str = ""
    disability_group: str = ""
    disability_until: str = ""
    work_recommendation: str = ""
    benefits: str = ""
    education: str = ""
    skills: str = ""
    employment_history: str = ""
    assessment: str = ""
    action_plan: str = ""
    case_notes: str = ""
    version: int | None = None
    errors: dict[str, str] = field(default_factory=dict)

    TEXT_FIELDS = (
        "address",
        "work_recommendation",
        "benefits",
        "education",
        "skills",
        "employment_history",
        "assessment",
        "action_plan",
        "case_notes",
    )

    @classmethod
    def of(cls, client: Client) -> ClientForm:
        form = cls(version=client.version)
        for name in cls.__dataclass_fields__:
            if name in ("version", "errors"):
                continue
            value = getattr(client, name)
            setattr(form, name, "" if value is None else value.isoformat() if isinstance(value, date) else str(value))
        return form


def _parse_date(form: ClientForm, name: str, value: str, required: bool) -> date | None:
    value = value.strip()
    if not value:
        if required:
            form.errors[name] = _("Enter a date, e.g. 1990-05-21.")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        form.errors[name] = _("Enter a date as year-month-day, e.g. 1990-05-21.")
        return None


async def _validate(session: AsyncSession, actor: Actor, form: ClientForm, now: datetime, client_id: int | None):  # type: ignore[no-untyped-def]
    """Clean the form in place; returns the values to store, or None with form.errors filled."""
    for name in ClientForm.__dataclass_fields__:
        if name not in ("version", "errors"):
            setattr(form, name, str(getattr(form, name)).strip())
    if translit.has_cyrillic(form.full_name) and not form.full_name_cyrl:
        form.full_name, form.full_name_cyrl = translit.to_latin(form.full_name), form.full_name
    if not 3 <= len(form.full_name) <= 200:
        form.errors["full_name"] = _("Enter the person's full name (3 to 200 characters).")
    if len(form.full_name_cyrl) > 200:
        form.errors["full_name_cyrl"] = _("At most 200 characters.")
    if not PINFL_RE.fullmatch(form.pinfl):
        form.errors["pinfl"] = _("The PINFL is exactly 14 digits, as in the passport.")
    elif await session.scalar(
        select(Client.id).where(
            Client.tenant_id == actor.tenant_id, Client.pinfl == form.pinfl, Client.id != (client_id or 0)
        )
    ):
        form.errors["pinfl"] = _("Your organisation already has a client with this PINFL.")
    today = sharing.local_date(now)
    birth = _parse_date(form, "birth_date", form.birth_date, required=True)
    if birth is not None and not date(1900, 1, 1) <= birth <= today:
        form.errors["birth_date"] = _("The birth date must be in the past.")
    if form.gender and form.gender not in GENDERS:
        form.errors["gender"] = _("Choose one of the options.")
    if form.phone and not PHONE_RE.fullmatch(form.phone):
        form.errors["phone"] = _("Enter a phone number like +998 90 123 45 67, or leave it empty.")
    if form.district_code and await session.get(District, form.district_code) is None:
        form.errors["district_code"] = _("Choose a district from the list.")
    if form.disability_group and form.disability_group not in DISABILITY_GROUPS:
        form.errors["disability_group"] = _("Choose group I, II or III, or leave it empty.")
    until = _parse_date(form, "disability_until", form.disability_until, required=False)
    for name in ClientForm.TEXT_FIELDS:
        if len(getattr(form, name)) > 5000:
            form.errors[name] = _("At most 5000 characters.")
    if form.errors:
        return None
    values = {
        name: getattr(form, name) for name in ClientForm.__dataclass_fields__ if name not in ("version", "errors")
    }
    values.update(birth_date=birth, disability_until=until, district_code=form.district_code or None)
    if not values["full_name_cyrl"]:
        values["full_name_cyrl"] = translit.to_cyrillic(form.full_name)
    values["name_key"] = f"{translit.search_key(values['full_name'])} {translit.search_key(values['full_name_cyrl'])}"
    return values


async def _audit(
    session: AsyncSession, actor: Actor, action: str, object_type: str, object_id: int, now: datetime, **detail
) -> None:  # type: ignore[no-untyped-def]
    await audit.record(
        session,
        action=action,
        object_type=object_type,
        object_id=object_id,
        actor_user_id=actor.user_id,
        actor_tenant_id=actor.tenant_id,
        owner_tenant_id=actor.tenant_id,
        detail=detail,
        now=now,
    )


async def create_client(session: AsyncSession, actor: Actor, form: ClientForm, now: datetime) -> int | None:
    """Register a client of the actor's tenant; None with form.errors on bad input."""
    values = await _validate(session, actor, form, now, None)
    if values is None:
        return None
    client = Client(tenant_id=actor.tenant_id, **values)
    session.add(client)
    await session.flush()
    await _audit(session, actor, "client.create", "client", client.id, now)
    return client.id


async def own_client(session: AsyncSession, actor: Actor, client_id: int) -> Client | None:
    """A client of the actor's own tenant, or None (the caller answers 404)."""
    return await session.scalar(select(Client).where(Client.id == client_id, Client.tenant_id == actor.tenant_id))


async def update_client(session: AsyncSession, actor: Actor, client_id: int, form: ClientForm, now: datetime) -> bool:
    client = await own_client(session, actor, client_id)
    if client is None:
        raise LookupError(client_id)
    values = await _validate(session, actor, form, now, client_id)
    if values is None:
        return False
    if form.version != client.version:
        raise EditConflict
    changed = sorted(name for name, value in values.items() if getattr(client, name) != value)
    for name, value in values.items():
        setattr(client, name, value)
    try:
        await session.flush()
    except StaleDataError as exc:
        raise EditConflict from exc
    await _audit(session, actor, "client.update", "client", client_id, now, fields=changed)
    return True


async def read_client(
    session: AsyncSession, policy: PolicyStore, actor: Actor, client_id: int, now: datetime
) -> ClientView | None:
    """The client as this actor may see it (redacted, explained, audited), or None."""
    decision = await sharing.authorize(session, actor, "read", client_id, now=now, policy=policy)
    if not decision.allowed:
        return None
    return await view_client(session, actor, decision, now)


async def list_clients(
    session: AsyncSession, policy: PolicyStore, actor: Actor, now: datetime, query: str = ""
) -> list[ClientView]:
    """Clients the actor may read, optionally matching a name (either script) or a PINFL."""
    stmt = select(Client).order_by(Client.full_name, Client.id).limit(LIST_LIMIT)
    query = query.strip()
    if query:
        if query.isdigit():
            stmt = stmt.where(Client.pinfl.startswith(query))
        else:
            key = translit.search_key(query)
            if key:
                stmt = stmt.where(Client.name_key.contains(key, autoescape=True))
    if query:
        # Searching by a name or PINFL narrows the list by identity: a partner who may not see a
        # client's identity must not learn that the client matches what was typed.
        stmt = await sharing.scope(stmt, session, actor, "read", now=now, policy=policy, category="identity")
    decisions = await sharing.visible_clients(session, stmt, actor, "read", now=now, policy=policy)
    views = []
    for decision in decisions:
        views.append(redact(decision))
        if decision.cross_tenant:
            await record_read(session, actor, decision, now)
    return views


# --- engagements and consents -----------------------------------------------------------------


@dataclass(frozen=True)
class Partner:
    id: int
    names: dict[str, str]

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names.get("uz", "")


async def partners(session: AsyncSession, actor: Actor) -> list[Partner]:
    rows = (
        await session.scalars(
            select(Tenant).where(Tenant.id != actor.tenant_id, Tenant.is_active).order_by(Tenant.name_uz)
        )
    ).all()
    return [
        Partner(id=t.id, names={"uz": t.name_uz, "uz_Cyrl": t.name_uz_cyrl, "ru": t.name_ru, "en": t.name_en})
        for t in rows
    ]


async def engagements_of(session: AsyncSession, actor: Actor, client_id: int) -> list[Engagement]:
    return list(
        (
            await session.scalars(
                select(Engagement)
                .where(Engagement.client_id == client_id, Engagement.owner_tenant_id == actor.tenant_id)
                .order_by(Engagement.opened_on.desc(), Engagement.id.desc())
            )
        ).all()
    )


async def consents_of(session: AsyncSession, actor: Actor, client_id: int) -> list[Consent]:
    return list(
        (
            await session.scalars(
                select(Consent)
                .where(Consent.client_id == client_id, Consent.owner_tenant_id == actor.tenant_id)
                .order_by(Consent.given_at.desc(), Consent.id.desc())
            )
        ).all()
    )


async def _partner_ok(session: AsyncSession, actor: Actor, recipient_id: int) -> bool:
    return (
        recipient_id != actor.tenant_id
        and await session.scalar(select(Tenant.id).where(Tenant.id == recipient_id, Tenant.is_active)) is not None
    )


async def open_engagement(
    session: AsyncSession, actor: Actor, client_id: int, recipient_id: int, kind: str, now: datetime
) -> dict[str, str]:
    """Record that the client is engaged with a partner (a referral or a case conference)."""
    client = await own_client(session, actor, client_id)
    if client is None:
        raise LookupError(client_id)
    errors = {}
    if not await _partner_ok(session, actor, recipient_id):
        errors["recipient"] = _("Choose a partner organisation.")
    if kind not in ENGAGEMENT_KINDS:
        errors["kind"] = _("Choose a referral or a case conference.")
    if errors:
        return errors
    engagement = Engagement(
        client_id=client.id,
        owner_tenant_id=actor.tenant_id,
        recipient_tenant_id=recipient_id,
        kind=kind,
        opened_on=sharing.local_date(now),
    )
    session.add(engagement)
    await session.flush()
    await _audit(session, actor, "engagement.open", "client", client.id, now, recipient=recipient_id, kind=kind)
    return {}


async def close_engagement(
    session: AsyncSession, actor: Actor, client_id: int, engagement_id: int, now: datetime
) -> None:
    engagement = await session.scalar(
        select(Engagement).where(
            Engagement.id == engagement_id,
            Engagement.client_id == client_id,
            Engagement.owner_tenant_id == actor.tenant_id,
        )
    )
    if engagement is None:
        raise LookupError(engagement_id)
    if engagement.closed_on is None:
        # Closed today: the engagement no longer counts from now on.
        engagement.closed_on = sharing.local_date(now)
        await session.flush()
        await _audit(session, actor, "engagement.close", "client", client_id, now, engagement=engagement_id)


async def give_consent(
    session: AsyncSession, actor: Actor, client_id: int, recipient_id: int, purpose: str, evidence: str, now: datetime
) -> dict[str, str]:
    """Record the client's consent to share with one partner for one purpose (ZRU-547)."""
    client = await own_client(session, actor, client_id)
    if client is None:
        raise LookupError(client_id)
    errors = {}
    evidence = evidence.strip()
    if not await _partner_ok(session, actor, recipient_id):
        errors["recipient"] = _("Choose a partner organisation.")
    if purpose not in PURPOSES:
        errors["purpose"] = _("Choose a purpose.")
    if not 3 <= len(evidence) <= 1000:
        errors["evidence"] = _("Describe the written or electronic consent, e.g. the form number and date.")
    if errors:
        return errors
    consent = Consent(
        client_id=client.id,
        owner_tenant_id=actor.tenant_id,
        recipient_tenant_id=recipient_id,
        purpose=purpose,
        evidence=evidence,
        given_at=now,
        given_recorded_by=actor.user_id,
    )
    session.add(consent)
    await session.flush()
    await _audit(session, actor, "consent.give", "client", client.id, now, recipient=recipient_id, purpose=purpose)
    return {}


async def withdraw_consent(session: AsyncSession, actor: Actor, client_id: int, consent_id: int, now: datetime) -> None:
    """Withdrawal takes effect at once: every read checks consent in the query that reads the client."""
    consent = await session.scalar(
        select(Consent).where(
            Consent.id == consent_id, Consent.client_id == client_id, Consent.owner_tenant_id == actor.tenant_id
        )
    )
    if consent is None:
        raise LookupError(consent_id)
    if consent.withdrawn_at is None:
        consent.withdrawn_at = now
        consent.withdrawn_recorded_by = actor.user_id
        await session.flush()
        await _audit(session, actor, "consent.withdraw", "client", client_id, now, consent=consent_id)


async def districts(session: AsyncSession) -> list[District]:
    return list((await session.scalars(select(District).order_by(District.region_code, District.name_uz))).all())


async def user_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict((await session.execute(select(User.id, User.full_name).where(User.id.in_(ids)))).all())
