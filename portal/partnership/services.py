"""The rules of partnership agreements: draft, propose, sign, activate, amend, terminate, verify.

No HTTP here. Every verb takes the session, the actor and an injected `now`, checks its guard
clauses, changes rows and writes the audit entry in the caller's transaction. Activation,
termination and supersession change the compiled Casbin lines in that same transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from portal.access import audit
from portal.access.guard import Actor
from portal.access.sharing import local_date
from portal.i18n import gettext as _
from portal.partnership import compiler, signing, terms
from portal.partnership.agreement_templates import TEMPLATES
from portal.partnership.forms import ClauseRow, CleanDraft, DraftForm, PartyRow, validate
from portal.partnership.models import (
    Agreement,
    AgreementComment,
    AgreementParty,
    AgreementVersion,
    Clause,
    Signature,
)
from portal.tenants.models import Tenant, User

OPEN_FOR_SIGNING = ("proposed", "signing")
SIGNING_ROLES = ("signatory",)
TERMINATING_ROLES = ("signatory", "tenant_admin")


class NotFound(LookupError):
    """Missing, or not visible to the actor's tenant: the caller answers 404 either way."""


class Refused(Exception):
    """A guard clause said no; `message` is shown to the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EditConflict(Exception):
    """Someone else saved the draft since the form was opened."""


def effective_status(version: AgreementVersion, now: datetime) -> str:
    """The stored status, except that an active version past its last day is expired (by the clock).

    Days are Tashkent calendar days, as in the enforcement query (sharing.local_date)."""
    if version.status == "active" and local_date(now) > version.valid_until:
        return "expired"
    return version.status


# --- reading ----------------------------------------------------------------------------------


def _visible_to(tenant_id: int):  # type: ignore[no-untyped-def]
    party = select(AgreementParty.id).where(
        AgreementParty.version_id == AgreementVersion.id, AgreementParty.tenant_id == tenant_id
    )
    return or_(Agreement.tenant_id == tenant_id, party.exists())


async def get_version(session: AsyncSession, actor: Actor, version_id: int) -> tuple[Agreement, AgreementVersion]:
    """A version the actor's tenant drafted or is a party to; NotFound for anything else."""
    row = (
        await session.execute(
            select(Agreement, AgreementVersion)
            .join(AgreementVersion, AgreementVersion.agreement_id == Agreement.id)
            .where(AgreementVersion.id == version_id, _visible_to(actor.tenant_id))
        )
    ).first()
    if row is None:
        raise NotFound(version_id)
    return row[0], row[1]


@dataclass(frozen=True)
class AgreementRow:
    agreement_id: int
    version_id: int
    number: int
    title: str
    status: str
    valid_from: Any
    valid_until: Any


async def list_agreements(session: AsyncSession, actor: Actor, now: datetime) -> list[AgreementRow]:
    """Every version the actor's tenant drafted or is a party to, newest agreement first."""
    rows = (
        await session.execute(
            select(Agreement, AgreementVersion)
            .join(AgreementVersion, AgreementVersion.agreement_id == Agreement.id)
            .where(_visible_to(actor.tenant_id))
            .order_by(Agreement.id.desc(), AgreementVersion.number.desc())
        )
    ).all()
    return [
        AgreementRow(a.id, v.id, v.number, v.title, effective_status(v, now), v.valid_from, v.valid_until)
        for a, v in rows
    ]


async def versions_of(session: AsyncSession, actor: Actor, agreement_id: int) -> list[AgreementVersion]:
    rows = (
        await session.scalars(
            select(AgreementVersion)
            .join(Agreement, Agreement.id == AgreementVersion.agreement_id)
            .where(AgreementVersion.agreement_id == agreement_id, _visible_to(actor.tenant_id))
            .order_by(AgreementVersion.number)
        )
    ).all()
    return list(rows)


async def partner_tenants(session: AsyncSession) -> list[Tenant]:
    """Organisations that can be invited as parties."""
    return list(
        (await session.scalars(select(Tenant).where(Tenant.is_active.is_(True)).order_by(Tenant.name_uz))).all()
    )


@dataclass
class VersionDetail:
    agreement: Agreement
    version: AgreementVersion
    status: str
    parties: list[tuple[AgreementParty, Tenant]]
    clauses: list[Clause]
    signatures: list[Signature]
    comments: list[tuple[AgreementComment, str]]
    tenants: dict[int, Tenant] = field(default_factory=dict)

    @property
    def signed_tenants(self) -> set[int]:
        return {s.tenant_id for s in self.signatures}


async def detail(session: AsyncSession, actor: Actor, version_id: int, now: datetime) -> VersionDetail:
    agreement, version = await get_version(session, actor, version_id)
    parties = (
        await session.execute(
            select(AgreementParty, Tenant)
            .join(Tenant, Tenant.id == AgreementParty.tenant_id)
            .where(AgreementParty.version_id == version.id)
            .order_by(AgreementParty.id)
        )
    ).all()
    clauses = (
        await session.scalars(select(Clause).where(Clause.version_id == version.id).order_by(Clause.number))
    ).all()
    signatures = (
        await session.scalars(select(Signature).where(Signature.version_id == version.id).order_by(Signature.signed_at))
    ).all()
    comments = (
        await session.execute(
            select(AgreementComment, User.full_name)
            .join(User, User.id == AgreementComment.author_user_id)
            .where(AgreementComment.version_id == version.id)
            .order_by(AgreementComment.id)
        )
    ).all()
    return VersionDetail(
        agreement=agreement,
        version=version,
        status=effective_status(version, now),
        parties=[(p, t) for p, t in parties],
        clauses=list(clauses),
        signatures=list(signatures),
        comments=[(c, n) for c, n in comments],
        tenants={t.id: t for _p, t in parties},
    )


def _is_party(d: VersionDetail, tenant_id: int) -> bool:
    return any(p.tenant_id == tenant_id for p, _t in d.parties)


def may_edit(agreement: Agreement, version: AgreementVersion, actor: Actor) -> bool:
    return version.status == "draft" and agreement.tenant_id == actor.tenant_id


# --- drafting ---------------------------------------------------------------------------------


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


# --- signing ----------------------------------------------------------------------------------


def signature_record(s: Signature) -> dict[str, Any]:
    """What the portal key seals: who signed which terms for which party, and when."""
    return {
        "version_id": s.version_id,
        "tenant_id": s.tenant_id,
        "signer_user_id": s.signer_user_id,
        "signer_name": s.signer_name,
        "signed_at": s.signed_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "terms_hash": s.terms_hash,
        "method": s.method,
    }


async def sign(session: AsyncSession, actor: Actor, version_id: int, posted_hash: str, now: datetime) -> Signature:
    """The actor's tenant signs the version's terms hash; the last signature activates the version.

    The first write is a conditional UPDATE of the version row, which locks it (PostgreSQL) or
    takes the database write lock (SQLite) until commit; so concurrent signers run one after the
    other, and exactly one of them sees the full set of signatures and activates.
    """
    version = await _party_version(session, actor, version_id)
    if not set(SIGNING_ROLES) & set(actor.roles):
        raise Refused(_("Only a signatory of your organisation can sign."))
    if version.status not in OPEN_FOR_SIGNING:
        raise Refused(_("This version is not open for signing."))
    if posted_hash != version.terms_hash:
        raise Refused(
            _(
                "The terms you signed are not the terms of this version (they changed or the page is old). "
                "Nothing was signed. Read the terms below and sign again."
            )
        )
    if now.date() > version.valid_until:
        raise Refused(_("The validity window of this version has passed; it can no longer be signed."))
    locked = await session.execute(
        update(AgreementVersion)
        .where(
            AgreementVersion.id == version.id,
            AgreementVersion.status.in_(OPEN_FOR_SIGNING),
            AgreementVersion.terms_hash == posted_hash,
        )
        .values(version=AgreementVersion.version + 1)
        .execution_options(synchronize_session=False)
    )
    if locked.rowcount != 1:
        raise Refused(_("This version is not open for signing."))
    await session.refresh(version)
    already = await session.scalar(
        select(Signature.id).where(Signature.version_id == version.id, Signature.tenant_id == actor.tenant_id)
    )
    if already is not None:
        raise Refused(_("Your organisation has already signed this version."))
    signature = Signature(
        version_id=version.id,
        tenant_id=actor.tenant_id,
        signer_user_id=actor.user_id,
        signer_name=actor.full_name,
        signed_at=now,
        terms_hash=posted_hash,
        method="portal",
    )
    signature.portal_signature, signature.portal_key_id = signing.seal(signature_record(signature))
    session.add(signature)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Refused(_("Your organisation has already signed this version.")) from exc
    await _audit(session, actor, "agreement_signed", version, now, {"terms_hash": posted_hash})
    signed = await session.scalar(select(func.count()).where(Signature.version_id == version.id))
    parties = await session.scalar(select(func.count()).where(AgreementParty.version_id == version.id))
    if signed == parties:
        await _activate(session, actor, version, now)
    else:
        version.status = "signing"
        await session.flush()
    return signature


async def _activate(session: AsyncSession, actor: Actor, version: AgreementVersion, now: datetime) -> None:
    """All parties signed: the version comes into force, its clauses become policy, and it supersedes."""
    version.status = "active"
    version.activated_at = now
    await session.flush()
    lines = await compiler.install(session, version.id)
    await _audit(session, actor, "agreement_activated", version, now, {"policy_lines": lines})
    if version.supersedes_id is not None:
        old = await session.get(AgreementVersion, version.supersedes_id, with_for_update=True)
        if old is not None and old.status == "active":
            old.status = "superseded"
            old.ended_at = now
            old.end_reason = f"superseded by version {version.number}"
            await session.flush()
            await compiler.remove(session, old.id)
            await _audit(session, actor, "agreement_superseded", old, now, {"by_version": version.id})


async def _party_version(session: AsyncSession, actor: Actor, version_id: int) -> AgreementVersion:
    """The version, when the actor's tenant is one of its parties; NotFound otherwise (a drafter that
    is not a party may read its draft but neither sign nor terminate it)."""
    _agreement, version = await get_version(session, actor, version_id)
    is_party = await session.scalar(
        select(AgreementParty.id).where(
            AgreementParty.version_id == version.id, AgreementParty.tenant_id == actor.tenant_id
        )
    )
    if is_party is None:
        raise NotFound(version_id)
    return version


async def terminate(session: AsyncSession, actor: Actor, version_id: int, reason: str, now: datetime) -> None:
    """A party ends the agreement at once; its policy lines go in the same transaction."""
    version = await _party_version(session, actor, version_id)
    if not set(TERMINATING_ROLES) & set(actor.roles):
        raise Refused(_("Only a signatory or an administrator of a party can terminate."))
    reason = reason.strip()
    if len(reason) < 5:
        raise Refused(_("Give the reason for terminating (at least 5 characters)."))
    if effective_status(version, now) not in ("active", "proposed", "signing"):
        raise Refused(_("Only an agreement in force or being signed can be terminated."))
    was_active = version.status == "active"
    version.status = "terminated"
    version.ended_at = now
    version.end_reason = reason
    version.ended_by_tenant_id = actor.tenant_id
    try:
        await session.flush()
    except StaleDataError as exc:
        raise Refused(_("The agreement changed meanwhile. Reload the page and try again.")) from exc
    if was_active:
        await compiler.remove(session, version.id)
    await _audit(session, actor, "agreement_terminated", version, now, {"reason": reason})


# --- verification -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureCheck:
    signature: Signature
    sealed: bool  # the portal's seal over the record holds
    hash_matches: bool  # the record names this version's terms hash

    @property
    def ok(self) -> bool:
        return self.sealed and self.hash_matches


@dataclass(frozen=True)
class Verification:
    frozen: bool  # terms were frozen (not a draft)
    hash_ok: bool  # SHA-256 of the stored terms equals the stored hash
    rows_match: bool  # the stored terms equal the terms read from the rows
    signatures: list[SignatureCheck]

    @property
    def intact(self) -> bool:
        return self.frozen and self.hash_ok and self.rows_match and all(s.ok for s in self.signatures)


async def verify(session: AsyncSession, actor: Actor, version_id: int) -> Verification:
    """Recompute the terms hash, compare the terms with the rows, and check each signature's seal."""
    _agreement, version = await get_version(session, actor, version_id)
    return await verify_version(session, version)


async def verify_version(session: AsyncSession, version: AgreementVersion) -> Verification:
    signatures = (await session.scalars(select(Signature).where(Signature.version_id == version.id))).all()
    if version.terms_json is None or version.terms_hash is None:
        return Verification(False, False, False, [])
    hash_ok = terms.sha256_hex(version.terms_json) == version.terms_hash
    try:
        stored = json.loads(version.terms_json)
    except ValueError:
        stored = None
    rows_match = stored == await terms.terms_from_rows(session, version)
    checks = [
        SignatureCheck(
            signature=s,
            sealed=signing.check(signature_record(s), s.portal_signature, s.portal_key_id),
            hash_matches=s.terms_hash == version.terms_hash,
        )
        for s in signatures
    ]
    return Verification(True, hash_ok, rows_match, checks)


# --- audit ------------------------------------------------------------------------------------


async def _audit(
    session: AsyncSession,
    actor: Actor,
    action: str,
    version: AgreementVersion,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    agreement = await session.get(Agreement, version.agreement_id)
    await audit.record(
        session,
        action=action,
        object_type="agreement_version",
        object_id=version.id,
        actor_user_id=actor.user_id,
        actor_tenant_id=actor.tenant_id,
        owner_tenant_id=agreement.tenant_id if agreement else None,
        detail={"agreement_id": version.agreement_id, "number": version.number, **(detail or {})},
        now=now,
    )
