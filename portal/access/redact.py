"""Redaction, explanation and audit of client reads.

The redactor copies a client's fields into a view model by FIELD_CATEGORIES, and only the fields of
categories the decision allows: a field that has no category is never copied, so a new column can
only be missing from a page, never leak onto it. Templates receive the view model, never the row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access import audit
from portal.access.guard import Actor
from portal.access.sharing import Decision
from portal.cases.models import FIELD_CATEGORIES
from portal.partnership.compiler import parse_ref
from portal.partnership.models import Agreement, AgreementVersion, Clause, Signature


@dataclass(frozen=True)
class Reason:
    """Why a shared field is visible: one clause of one signed agreement version."""

    ref: str
    agreement_id: int
    agreement_title: str
    version_number: int
    clause_number: int
    signed_on: date | None


@dataclass(frozen=True)
class SharedField:
    name: str
    category: str
    value: Any
    reasons: tuple[Reason, ...] = ()


@dataclass
class ClientView:
    """What one viewer may see of one client; fields outside the visible categories are absent."""

    id: int
    owner_tenant_id: int
    own: bool
    version: int | None
    categories: frozenset[str]
    fields: dict[str, SharedField] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return name in self.fields

    def value(self, name: str, default: Any = "") -> Any:
        shared = self.fields.get(name)
        return default if shared is None else shared.value

    @property
    def display_name(self) -> str:
        return str(self.value("full_name", "")) or f"#{self.id}"


async def explain(session: AsyncSession, refs: set[str] | frozenset[str]) -> dict[str, Reason]:
    """Agreement, clause and signing date for each clause ref."""
    clause_ids: dict[int, str] = {}
    for ref in refs:
        try:
            clause_ids[parse_ref(ref)[1]] = ref
        except ValueError:
            continue
    if not clause_ids:
        return {}
    signed = (
        select(Signature.version_id, func.max(Signature.signed_at).label("signed_at"))
        .group_by(Signature.version_id)
        .subquery()
    )
    rows = await session.execute(
        select(Clause, AgreementVersion, Agreement, signed.c.signed_at)
        .join(AgreementVersion, AgreementVersion.id == Clause.version_id)
        .join(Agreement, Agreement.id == AgreementVersion.agreement_id)
        .outerjoin(signed, signed.c.version_id == AgreementVersion.id)
        .where(Clause.id.in_(clause_ids))
    )
    reasons = {}
    for clause, version, agreement, signed_at in rows.all():
        ref = clause_ids[clause.id]
        if parse_ref(ref)[0] != version.id:
            continue
        when: datetime | None = signed_at or version.activated_at
        reasons[ref] = Reason(
            ref=ref,
            agreement_id=agreement.id,
            agreement_title=version.title or agreement.title,
            version_number=version.number,
            clause_number=clause.number,
            signed_on=when.date() if when else None,
        )
    return reasons


def redact(decision: Decision, reasons: dict[str, Reason] | None = None) -> ClientView:
    """The view model of an allowed decision: only the permitted categories' fields."""
    client = decision.client
    if not decision.allowed or client is None:
        raise ValueError("nothing to show for a denied decision")
    reasons = reasons or {}
    view = ClientView(
        id=client.id,
        owner_tenant_id=client.tenant_id,
        own=decision.own,
        version=client.version if decision.own else None,
        categories=decision.categories,
    )
    for name, category in FIELD_CATEGORIES.items():
        if category not in decision.categories:
            continue
        why = tuple(reasons[r] for r in decision.refs.get(category, ()) if r in reasons)
        view.fields[name] = SharedField(name=name, category=category, value=getattr(client, name), reasons=why)
    return view


async def view_client(session: AsyncSession, actor: Actor, decision: Decision, now: datetime) -> ClientView:
    """Redact, explain and, for a cross-tenant read, write its one audit entry."""
    reasons = await explain(session, set(decision.clause_refs)) if decision.cross_tenant else {}
    view = redact(decision, reasons)
    if decision.cross_tenant:
        await record_read(session, actor, decision, now)
    return view


async def record_read(session: AsyncSession, actor: Actor, decision: Decision, now: datetime) -> None:
    client = decision.client
    assert client is not None
    await audit.record(
        session,
        action="client.read",
        object_type="client",
        object_id=client.id,
        actor_user_id=actor.user_id,
        actor_tenant_id=actor.tenant_id,
        owner_tenant_id=client.tenant_id,
        detail={"categories": sorted(decision.categories), "clauses": list(decision.clause_refs)},
        now=now,
    )
