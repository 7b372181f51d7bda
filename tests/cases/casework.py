"""Steps of the case cycle as a person takes them through the pages, and what the database then holds."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient
from sqlalchemy import func, select

from portal.access.policy import write_memberships
from portal.access.sharing import local_date
from portal.cases.models import ActionPlan, Case, CaseEvent, Client, IntegrationAgreement, PlanMeasure
from portal.db import utcnow
from portal.tenants.models import Membership, User
from portal.tenants.services import hash_password
from tests.cases.test_client_routes import share_with_ngo
from tests.conftest import DEMO_PASSWORD, post_form, with_db
from tests.factories import tenant_id

SHAHZOD = "Oʻrinboyev Shahzod Akmal oʻgʻli"  # demo client of INSON, engaged with the NGO, consent given
QODIROV = "Qodirov Sanjar Ravshan oʻgʻli"  # demo client of INSON, engaged with no one
SAIDOVA = "Saidova Lola Abdurashid qizi"  # demo client of the PES office

ASSESSMENT = {
    "finding_health": "Walks with a cane; tires after four hours.",
    "finding_education": "Vocational college, sewing.",
    "finding_motivation": "Wants to work near home.",
    "readiness": "ready_with_support",
}


def client_id_of(settings: Any, name: str = SHAHZOD) -> int:
    return with_db(settings, lambda s: s.scalar(select(Client.id).where(Client.full_name == name)))


def tenant(settings: Any, slug: str) -> int:
    return with_db(settings, lambda s: tenant_id(s, slug))


def open_case(browser: TestClient, client_id: int) -> int:
    response = post_form(browser, f"/clients/{client_id}/cases")
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def state(settings: Any, case_id: int) -> dict[str, Any]:
    """The case as stored, with the number of its timeline lines."""

    async def work(session):  # type: ignore[no-untyped-def]
        case = await session.get(Case, case_id)
        events = await session.scalar(select(func.count(CaseEvent.id)).where(CaseEvent.case_id == case_id))
        return {
            "stage": case.stage,
            "manager": case.manager_user_id,
            "version": case.version,
            "readiness": case.work_readiness,
            "closed_on": case.closed_on,
            "reason": case.closure_reason,
            "events": events,
        }

    return with_db(settings, work)


def event_kinds(settings: Any, case_id: int) -> list[str]:
    stmt = select(CaseEvent.kind).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
    return with_db(settings, lambda s: _all(s, stmt))


async def _all(session, stmt):  # type: ignore[no-untyped-def]
    return list((await session.scalars(stmt)).all())


def move(browser: TestClient, case_id: int, seen: str, target: str):  # type: ignore[no-untyped-def]
    return post_form(browser, f"/cases/{case_id}/stage", {"from": seen, "to": target})


def assess(browser: TestClient, case_id: int, **values: str):  # type: ignore[no-untyped-def]
    form = browser.get(f"/cases/{case_id}/assessment")
    version = {}
    if 'name="version"' in form.text:
        version = {"version": form.text.split('name="version" value="', 1)[1].split('"', 1)[0]}
    today = {"assessed_on": local_date(utcnow()).isoformat()}
    return post_form(browser, f"/cases/{case_id}/assessment", {**ASSESSMENT, **today, **version, **values})


def plan_form(goal: str, measures: list[dict[str, str]], version: int | None = None) -> dict[str, str]:
    data = {"goal": goal}
    if version is not None:
        data["version"] = str(version)
    for index, measure in enumerate(measures):
        data.update({f"m-{index}-{key}": value for key, value in measure.items()})
    return data


def measure(partner: int, kind: str = "vocational_training", due: str = "2027-03-01", **more: str) -> dict[str, str]:
    return {"kind": kind, "partner": str(partner), "due_on": due, "status": "planned", **more}


def plan_rows(settings: Any, case_id: int) -> tuple[str, int, list[tuple[str, str, int | None]]]:
    """The saved plan's goal and version, and its measures (kind, description, partner) in order."""

    async def work(session):  # type: ignore[no-untyped-def]
        plan = await session.scalar(select(ActionPlan).where(ActionPlan.case_id == case_id))
        stmt = select(PlanMeasure).where(PlanMeasure.plan_id == plan.id).order_by(PlanMeasure.position, PlanMeasure.id)
        rows = (await session.scalars(stmt)).all()
        return plan.goal, plan.version, [(m.kind, m.description, m.partner_tenant_id) for m in rows]

    return with_db(settings, work)


def agreement_rows(settings: Any, case_id: int) -> list[tuple[int, str, str, str]]:
    async def work(session):  # type: ignore[no-untyped-def]
        stmt = select(IntegrationAgreement).where(IntegrationAgreement.case_id == case_id)
        rows = (await session.scalars(stmt.order_by(IntegrationAgreement.number))).all()
        return [(r.number, r.terms, r.state, r.end_reason) for r in rows]

    return with_db(settings, work)


def add_member(settings: Any, slug: str, login: str, roles: list[str], full_name: str = "Nodira Qosimova") -> int:
    """A new member of a demo organisation, who signs in with the demo password."""

    async def work(session):  # type: ignore[no-untyped-def]
        tenant_id_ = await tenant_id(session, slug)
        user = User(login=login, full_name=full_name, password_hash=hash_password(DEMO_PASSWORD))
        session.add(user)
        await session.flush()
        session.add(Membership(user_id=user.id, tenant_id=tenant_id_, roles=roles))
        await write_memberships(session, user.id, tenant_id_, roles)
        return user.id

    return with_db(settings, work)


def share_assessment_with_ngo(settings: Any, **clause: Any) -> int:
    """An agreement in force: INSON shares identity and the assessment with the NGO, for referrals, for
    clients engaged with it who consented (the demo's Shahzod is)."""
    return share_with_ngo(settings, **{"categories": ["identity", "assessment"], **clause})
