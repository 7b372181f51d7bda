"""A case's timeline and its opening: the two things every part of the cycle writes.

Every change to a case, by its owner or by a partner acting on a referral of it, adds one line:
who, when, acting for which tenant, what. The audit log records the same change for the owner;
the timeline is what the people running the case read.
"""

from __future__ import annotations

from typing import Any

from litestar.exceptions import NotFoundException
from sqlalchemy import select

from portal.access.kernel import Access
from portal.access.redact import View
from portal.access.sharing import local_date
from portal.cases.models import Case, CaseEvent, Client


async def add_event(access: Access, case: Case, kind: str, **detail: Any) -> CaseEvent:
    """One timeline line for `case`, by the actor, in the request's transaction."""
    event = CaseEvent(
        tenant_id=case.tenant_id,
        case_id=case.id,
        client_id=case.client_id,
        at=access.now,
        actor_user_id=access.actor.user_id,
        actor_tenant_id=access.actor.tenant_id,
        actor_name=access.actor.full_name,
        kind=kind,
        detail=detail,
    )
    access.session.add(event)
    await access.session.flush()
    return event


async def open_case(access: Access, client_id: int, source: str = "") -> Case:
    """Open a case for a client of the actor's organisation, managed by the actor; audited and on the timeline.

    A client of another organisation, or an actor without the permission to open cases, is a 404."""
    client = await access.own(Client, client_id, "read")
    if not access.allows("case", "create"):
        raise NotFoundException
    case = Case(
        tenant_id=client.tenant_id,
        client_id=client.id,
        stage="intake",
        manager_user_id=access.actor.user_id,
        opened_on=local_date(access.now),
        source=source,
    )
    access.session.add(case)
    await access.session.flush()
    await add_event(access, case, "case.opened", source=source)
    await access.record("case.open", "case", case.id, client=client.id)
    return case


async def timeline_of(access: Access, case_id: int) -> list[View]:
    """The case's timeline as the actor may read it, newest first."""
    stmt = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.at.desc(), CaseEvent.id.desc())
    return await access.visible(CaseEvent, stmt, few=True)
