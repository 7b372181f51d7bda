"""Drafting agreements: new drafts from templates, saving, proposing, amending, commenting."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from portal.access.guard import Actor
from portal.i18n import gettext as _
from portal.partnership import terms
from portal.partnership.agreement_templates import TEMPLATES
from portal.partnership.errors import EditConflict, Refused
from portal.partnership.forms import ClauseRow, CleanDraft, DraftForm, PartyRow, validate
from portal.partnership.models import (
    DEFAULT_NOTICE_DAYS,
    Agreement,
    AgreementComment,
    AgreementParty,
    AgreementVersion,
    Clause,
)
from portal.partnership.reading import audit_version as _audit
from portal.partnership.reading import get_version, partner_tenants, record_event, standing
from portal.partnership.states import Action, Policy, require
from portal.tenants.models import Tenant


def a_year_later(day: date) -> date:
    """The same day a year later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def form_from_template(
    key: str | None, drafting: Tenant, partners: list[Tenant], language: str, today: Any
) -> DraftForm:
    """A new draft's form: blank, or pre-filled from a template by the kinds of the chosen parties."""
    tenants = [drafting, *[t for t in partners if t.id != drafting.id]]
    template = TEMPLATES.get(key or "")
    form = DraftForm(valid_from=today.isoformat(), valid_until=a_year_later(today).isoformat())
    if template is None:
        form.parties = [PartyRow(tenant_id=str(t.id)) for t in tenants]
        return form
    form.title = template.text(template.title, language)
    form.common_goals = template.text(template.common_goals, language)
    form.joint_tools = template.text(template.joint_tools, language)
    form.parties = [
        PartyRow(
            tenant_id=str(t.id),
            role=template.text(template.roles.get(t.kind, {}), language),
            resources=template.text(template.resources.get(t.kind, {}), language),
        )
        for t in tenants
    ]
    for rule in template.rules:
        for owner in tenants:
            for recipient in tenants:
                if owner.kind == rule.owner_kind and recipient.kind == rule.recipient_kind and owner.id != recipient.id:
                    form.clauses.append(
                        ClauseRow(
                            owner=str(owner.id),
                            recipient=str(recipient.id),
                            categories=sorted(rule.categories),
                            access="read_comment" if "comment" in rule.actions else "read",
                            purpose=rule.purpose,
                            scope=rule.scope,
                            consent=rule.consent_required,
                        )
                    )
    return form


async def form_from_version(session: AsyncSession, version: AgreementVersion) -> DraftForm:
    parties = (
        await session.scalars(
            select(AgreementParty).where(AgreementParty.version_id == version.id).order_by(AgreementParty.id)
        )
    ).all()
    clauses = (
        await session.scalars(select(Clause).where(Clause.version_id == version.id).order_by(Clause.number))
    ).all()
    return DraftForm(
        title=version.title,
        common_goals=version.common_goals,
        joint_tools=version.joint_tools,
        valid_from=version.valid_from.isoformat(),
        valid_until=version.valid_until.isoformat(),
        notice_days=str(version.notice_days if version.notice_days is not None else DEFAULT_NOTICE_DAYS),
        parties=[PartyRow(str(p.tenant_id), p.role, p.resources) for p in parties],
        clauses=[
            ClauseRow(
                owner=str(c.owner_tenant_id),
                recipient=str(c.recipient_tenant_id),
                categories=list(c.categories),
                access="read_comment" if "comment" in c.actions else "read",
                purpose=c.purpose,
                scope=c.scope,
                consent=c.consent_required,
                ends_on=c.ends_on.isoformat() if c.ends_on else "",
            )
            for c in clauses
        ],
        version=version.version,
    )


async def _clean(session: AsyncSession, actor: Actor, form: DraftForm) -> CleanDraft | None:
    known = {t.id for t in await partner_tenants(session)}
    return validate(form, known, actor.tenant_id)


async def _write_terms(
    session: AsyncSession, version: AgreementVersion, clean: CleanDraft, now: datetime, first: bool = False
) -> list[int]:
    """Replace the draft's parties and clauses; returns the tenants that became parties just now.

    A party keeps the moment it joined across saves: that moment decides which earlier comments it reads."""
    for old in (await session.scalars(select(Clause).where(Clause.version_id == version.id))).all():
        await session.delete(old)
    joined: dict[int, datetime | None] = {}
    for party in (await session.scalars(select(AgreementParty).where(AgreementParty.version_id == version.id))).all():
        joined[party.tenant_id] = party.joined_at
        await session.delete(party)
    await session.flush()
    added = [tenant_id for tenant_id, _r, _s in clean.parties if tenant_id not in joined]
    for tenant_id, role, resources in clean.parties:
        session.add(
            AgreementParty(
                version_id=version.id,
                tenant_id=tenant_id,
                role=role,
                resources=resources,
                joined_at=None if first else joined.get(tenant_id, now),
            )
        )
    for number, c in enumerate(clean.clauses, start=1):
        session.add(
            Clause(
                version_id=version.id,
                number=number,
                owner_tenant_id=c.owner_tenant_id,
                recipient_tenant_id=c.recipient_tenant_id,
                categories=c.categories,
                actions=c.actions,
                purpose=c.purpose,
                scope=c.scope,
                consent_required=c.consent_required,
                ends_on=c.ends_on,
            )
        )
    await session.flush()
    return [] if first else added


async def create_draft(
    session: AsyncSession,
    actor: Actor,
    form: DraftForm,
    now: datetime,
    template_key: str | None = None,
    *,
    policy: Policy,
) -> AgreementVersion | None:
    """A new agreement with its first draft version; None with form.errors on bad input."""
    if not policy.allows(actor.user_id, actor.tenant_id, "agreement", "draft"):
        raise Refused(_("Your roles in your organisation do not include drafting agreements."))
    clean = await _clean(session, actor, form)
    if clean is None:
        return None
    agreement = Agreement(
        tenant_id=actor.tenant_id,
        title=clean.title,
        template_key=template_key if template_key in TEMPLATES else None,
        created_by_user_id=actor.user_id,
    )
    session.add(agreement)
    await session.flush()
    version = AgreementVersion(
        agreement_id=agreement.id,
        number=1,
        status="draft",
        title=clean.title,
        common_goals=clean.common_goals,
        joint_tools=clean.joint_tools,
        valid_from=clean.valid_from,
        valid_until=clean.valid_until,
        notice_days=clean.notice_days,
    )
    session.add(version)
    await session.flush()
    await _write_terms(session, version, clean, now, first=True)
    await _audit(session, actor, "agreement_drafted", version, now, {"template": agreement.template_key})
    return version


async def save_draft(
    session: AsyncSession, actor: Actor, version_id: int, form: DraftForm, now: datetime, *, policy: Policy
) -> bool:
    """Replace a draft's terms; False with form.errors on bad input; EditConflict if saved meanwhile.

    Every party is told when another is added (an event on the version)."""
    agreement, version = await get_version(session, actor, version_id)
    require(await standing(session, actor, version_id, now), actor, now, policy, Action.EDIT)
    clean = await _clean(session, actor, form)
    if clean is None:
        return False
    if form.version != version.version:
        raise EditConflict
    version.title = clean.title
    version.common_goals = clean.common_goals
    version.joint_tools = clean.joint_tools
    version.valid_from = clean.valid_from
    version.valid_until = clean.valid_until
    version.notice_days = clean.notice_days
    if version.number == 1:
        agreement.title = clean.title
    try:
        await session.flush()
    except StaleDataError as exc:
        raise EditConflict from exc
    for tenant_id in await _write_terms(session, version, clean, now):
        await record_event(session, actor, version, "party_added", now, subject_tenant_id=tenant_id)
    await _audit(session, actor, "agreement_draft_saved", version, now)
    return True


async def propose(
    session: AsyncSession, actor: Actor, version_id: int, now: datetime, *, policy: Policy
) -> AgreementVersion:
    """Freeze the draft's terms as canonical JSON and hash them; the parties can now sign."""
    _agreement, version = await get_version(session, actor, version_id)
    require(await standing(session, actor, version_id, now), actor, now, policy, Action.PROPOSE)
    parties = await session.scalar(select(func.count()).where(AgreementParty.version_id == version.id))
    if (parties or 0) < 2:
        raise Refused(_("An agreement needs at least two parties."))
    frozen = terms.canonical_json(await terms.terms_from_rows(session, version))
    version.terms_json = frozen
    version.terms_hash = terms.sha256_hex(frozen)
    version.status = "proposed"
    version.proposed_at = now
    await session.flush()
    await record_event(session, actor, version, "proposed", now)
    await _audit(session, actor, "agreement_proposed", version, now, {"terms_hash": version.terms_hash})
    return version


async def amend(
    session: AsyncSession, actor: Actor, version_id: int, now: datetime, *, policy: Policy
) -> AgreementVersion:
    """A new draft copied from the version in force; the old one stays in force until the new is signed.

    Two amendments started at once: the database's one-open-version index refuses the second."""
    agreement, version = await get_version(session, actor, version_id)
    require(await standing(session, actor, version_id, now), actor, now, policy, Action.AMEND)
    # Write first: this UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite) until commit,
    # so a second amendment started at once waits here, then finds the first and is refused.
    await session.execute(
        update(AgreementVersion)
        .where(AgreementVersion.id == version.id)
        .values(version=AgreementVersion.version + 1)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(version)
    require(await standing(session, actor, version_id, now), actor, now, policy, Action.AMEND)
    try:
        async with session.begin_nested():
            return await _copy_as_amendment(session, actor, agreement, version, now)
    except IntegrityError as exc:
        raise Refused(_("An amendment of this agreement is already being prepared.")) from exc


async def _copy_as_amendment(
    session: AsyncSession, actor: Actor, agreement: Agreement, version: AgreementVersion, now: datetime
) -> AgreementVersion:
    number = await session.scalar(
        select(func.max(AgreementVersion.number)).where(AgreementVersion.agreement_id == agreement.id)
    )
    new = AgreementVersion(
        agreement_id=agreement.id,
        number=(number or 0) + 1,
        status="draft",
        title=version.title,
        common_goals=version.common_goals,
        joint_tools=version.joint_tools,
        valid_from=version.valid_from,
        valid_until=version.valid_until,
        notice_days=version.notice_days if version.notice_days is not None else DEFAULT_NOTICE_DAYS,
        supersedes_id=version.id,
    )
    session.add(new)
    await session.flush()
    for party in (await session.scalars(select(AgreementParty).where(AgreementParty.version_id == version.id))).all():
        session.add(
            AgreementParty(version_id=new.id, tenant_id=party.tenant_id, role=party.role, resources=party.resources)
        )
    for c in (await session.scalars(select(Clause).where(Clause.version_id == version.id))).all():
        session.add(
            Clause(
                version_id=new.id,
                number=c.number,
                owner_tenant_id=c.owner_tenant_id,
                recipient_tenant_id=c.recipient_tenant_id,
                categories=list(c.categories),
                actions=list(c.actions),
                purpose=c.purpose,
                scope=c.scope,
                consent_required=c.consent_required,
                ends_on=c.ends_on,
            )
        )
    await session.flush()
    await _audit(session, actor, "agreement_amendment_drafted", new, now, {"supersedes": version.id})
    return new


async def add_comment(
    session: AsyncSession,
    actor: Actor,
    version_id: int,
    body: str,
    now: datetime,
    *,
    policy: Policy,
    later_parties_may_read: bool = False,
) -> None:
    """A party's comment on a version still open for discussion; parties added later read it only
    when its author allows it."""
    _agreement, version = await get_version(session, actor, version_id)
    require(await standing(session, actor, version_id, now), actor, now, policy, Action.COMMENT)
    body = body.strip()
    if not 2 <= len(body) <= 4000 or "\x00" in body:
        raise Refused(_("Write a comment of 2 to 4000 characters."))
    session.add(
        AgreementComment(
            tenant_id=actor.tenant_id,
            version_id=version.id,
            author_user_id=actor.user_id,
            body=body,
            later_parties_may_read=later_parties_may_read,
            created_at=now,
            updated_at=now,
        )
    )
    await session.flush()
    await _audit(session, actor, "agreement_commented", version, now)
