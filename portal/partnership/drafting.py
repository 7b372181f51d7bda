"""Drafting agreements: new drafts from templates, saving, proposing, amending, commenting."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from portal.access.guard import Actor
from portal.i18n import gettext as _
from portal.partnership import terms
from portal.partnership.agreement_templates import TEMPLATES
from portal.partnership.errors import EditConflict, Refused
from portal.partnership.forms import ClauseRow, CleanDraft, DraftForm, PartyRow, validate
from portal.partnership.models import Agreement, AgreementComment, AgreementParty, AgreementVersion, Clause
from portal.partnership.reading import audit_version as _audit
from portal.partnership.reading import effective_status, get_version, may_edit, partner_tenants
from portal.tenants.models import Tenant


def form_from_template(
    key: str | None, drafting: Tenant, partners: list[Tenant], language: str, today: Any
) -> DraftForm:
    """A new draft's form: blank, or pre-filled from a template by the kinds of the chosen parties."""
    tenants = [drafting, *[t for t in partners if t.id != drafting.id]]
    template = TEMPLATES.get(key or "")
    form = DraftForm(valid_from=today.isoformat(), valid_until=today.replace(year=today.year + 1).isoformat())
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


async def _write_terms(session: AsyncSession, version: AgreementVersion, clean: CleanDraft) -> None:
    for old in (await session.scalars(select(Clause).where(Clause.version_id == version.id))).all():
        await session.delete(old)
    for party in (await session.scalars(select(AgreementParty).where(AgreementParty.version_id == version.id))).all():
        await session.delete(party)
    await session.flush()
    for tenant_id, role, resources in clean.parties:
        session.add(AgreementParty(version_id=version.id, tenant_id=tenant_id, role=role, resources=resources))
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


async def create_draft(
    session: AsyncSession, actor: Actor, form: DraftForm, now: datetime, template_key: str | None = None
) -> AgreementVersion | None:
    """A new agreement with its first draft version; None with form.errors on bad input."""
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
    )
    session.add(version)
    await session.flush()
    await _write_terms(session, version, clean)
    await _audit(session, actor, "agreement_drafted", version, now, {"template": agreement.template_key})
    return version


async def save_draft(session: AsyncSession, actor: Actor, version_id: int, form: DraftForm, now: datetime) -> bool:
    """Replace a draft's terms; False with form.errors on bad input; EditConflict if saved meanwhile."""
    agreement, version = await get_version(session, actor, version_id)
    if not may_edit(agreement, version, actor):
        raise Refused(_("Only the drafting organisation can change a draft, and only while it is a draft."))
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
    if version.number == 1:
        agreement.title = clean.title
    try:
        await session.flush()
    except StaleDataError as exc:
        raise EditConflict from exc
    await _write_terms(session, version, clean)
    await _audit(session, actor, "agreement_draft_saved", version, now)
    return True


async def propose(session: AsyncSession, actor: Actor, version_id: int, now: datetime) -> AgreementVersion:
    """Freeze the draft's terms as canonical JSON and hash them; the parties can now sign."""
    agreement, version = await get_version(session, actor, version_id)
    if not may_edit(agreement, version, actor):
        raise Refused(_("Only the drafting organisation can propose a draft."))
    parties = await session.scalar(select(func.count()).where(AgreementParty.version_id == version.id))
    if (parties or 0) < 2:
        raise Refused(_("An agreement needs at least two parties."))
    frozen = terms.canonical_json(await terms.terms_from_rows(session, version))
    version.terms_json = frozen
    version.terms_hash = terms.sha256_hex(frozen)
    version.status = "proposed"
    version.proposed_at = now
    await session.flush()
    await _audit(session, actor, "agreement_proposed", version, now, {"terms_hash": version.terms_hash})
    return version


async def amend(session: AsyncSession, actor: Actor, version_id: int, now: datetime) -> AgreementVersion:
    """A new draft copied from the version in force; the old one stays in force until the new is signed."""
    agreement, version = await get_version(session, actor, version_id)
    if agreement.tenant_id != actor.tenant_id:
        raise Refused(_("Only the drafting organisation can draft an amendment."))
    if effective_status(version, now) != "active":
        raise Refused(_("Only an agreement in force can be amended."))
    open_version = await session.scalar(
        select(AgreementVersion.id).where(
            AgreementVersion.agreement_id == agreement.id,
            AgreementVersion.status.in_(("draft", "proposed", "signing")),
        )
    )
    if open_version is not None:
        raise Refused(_("An amendment of this agreement is already being prepared."))
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


async def add_comment(session: AsyncSession, actor: Actor, version_id: int, body: str, now: datetime) -> None:
    """A party's comment on a version still open for discussion."""
    _agreement, version = await get_version(session, actor, version_id)
    if version.status not in ("draft", "proposed", "signing"):
        raise Refused(_("Comments are closed once a version is in force or ended."))
    body = body.strip()
    if not 2 <= len(body) <= 4000:
        raise Refused(_("Write a comment of 2 to 4000 characters."))
    session.add(
        AgreementComment(tenant_id=actor.tenant_id, version_id=version.id, author_user_id=actor.user_id, body=body)
    )
    await session.flush()
    await _audit(session, actor, "agreement_commented", version, now)
