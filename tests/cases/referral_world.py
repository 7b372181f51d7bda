"""A small world for referral tests: INSON holds a case and shares data for referrals with one
employer and with the NGO; the labour inspection has an inspector; the clock is fixed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select

from portal.access.policy import write_memberships
from portal.cases.models import Case, Client, Engagement, Referral
from portal.tenants.models import Membership, User
from tests.conftest import post_form, with_db
from tests.factories import make_agreement, make_client, set_aside_demo_agreements, tenant_id

# Monday 2 March 2026, 14:00 in Tashkent: the answer to an employer referral is due on Tuesday 10 March
# (Monday 9 March is the observed Women's Day).
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class World:
    case_id: int
    client_id: int
    inson: int
    employer: int
    ngo: int
    inspection: int
    outsider: int
    unshared_employer: int


def build(settings, *, employer_categories=("identity", "disability"), scope="engaged", valid=None) -> World:  # type: ignore[no-untyped-def]
    """The world; `valid` (first day, last day) is the agreement's window (2026 by default: a fixed clock)."""
    window = {} if valid is None else {"valid_from": valid[0], "valid_until": valid[1]}

    async def work(session):  # type: ignore[no-untyped-def]
        await set_aside_demo_agreements(session)
        ids = {
            slug: await tenant_id(session, slug)
            for slug in (
                "inson-yunusobod",
                "employer-toqimachi",
                "ngo-sharoit-plus",
                "labour-inspection-tashkent",
                "employer-chorsu-savdo",
                "employer-yunusobod-non",
            )
        }
        inson = ids["inson-yunusobod"]
        await make_agreement(
            session,
            clauses=[
                {
                    "owner": inson,
                    "recipient": ids["employer-toqimachi"],
                    "categories": list(employer_categories),
                    "scope": scope,
                    "purpose": "referral",
                },
                {"owner": inson, "recipient": ids["ngo-sharoit-plus"], "categories": ["identity"], "scope": "engaged"},
                # Another purpose: the employer's referral page must not show what it shares.
                {
                    "owner": inson,
                    "recipient": ids["employer-toqimachi"],
                    "categories": ["contact"],
                    "scope": "all",
                    "purpose": "job_matching",
                },
                # The other employer is tied to INSON for job matching only: not offered for referrals.
                {
                    "owner": inson,
                    "recipient": ids["employer-yunusobod-non"],
                    "categories": ["identity"],
                    "scope": "all",
                    "purpose": "job_matching",
                },
            ],
            title="Referral pilot",
            **window,
        )
        client = await make_client(session, inson, full_name="Qodirova Nigora Anvar qizi", phone="+998 90 777 66 55")
        manager = await session.scalar(select(User.id).where(User.login == "inson.social"))
        case = Case(
            tenant_id=inson, client_id=client.id, stage="planning", manager_user_id=manager, opened_on=date(2026, 2, 1)
        )
        session.add(case)
        inspector = await session.scalar(select(User.id).where(User.login == "inspector"))
        membership = await session.scalar(
            select(Membership).where(
                Membership.user_id == inspector, Membership.tenant_id == ids["labour-inspection-tashkent"]
            )
        )
        membership.roles = ["inspector"]
        await write_memberships(session, inspector, ids["labour-inspection-tashkent"], ["inspector"])
        await session.flush()
        return World(
            case_id=case.id,
            client_id=client.id,
            inson=inson,
            employer=ids["employer-toqimachi"],
            ngo=ids["ngo-sharoit-plus"],
            inspection=ids["labour-inspection-tashkent"],
            outsider=ids["employer-chorsu-savdo"],
            unshared_employer=ids["employer-yunusobod-non"],
        )

    return with_db(settings, work)


def version_on(page: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', page)
    assert found, "no version on the page"
    return found.group(1)


def draft(client, world: World, **fields) -> int:  # type: ignore[no-untyped-def]
    data = {
        "kind": "employer_job",
        "recipient": str(world.employer),
        "subject": "Sewing machine operator",
        "message": "",
    }
    data.update(fields)
    response = post_form(client, f"/cases/{world.case_id}/referrals", data)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rstrip("/").rsplit("/", 1)[1])


def act(client, referral_id: int, action: str, text: str = "", who: str = "answer"):  # type: ignore[no-untyped-def]
    page = client.get(f"/referrals/{referral_id}")
    offered = re.search(r'name="version" value="(\d+)"', page.text)
    data = {"text": text, "version": offered.group(1) if offered else "0"}
    return post_form(client, f"/referrals/{referral_id}/{who}/{action}", data)


def referral(settings, referral_id: int) -> Referral:  # type: ignore[no-untyped-def]
    return with_db(settings, lambda s: s.get(Referral, referral_id))


def engagement(settings, engagement_id: int) -> Engagement:  # type: ignore[no-untyped-def]
    return with_db(settings, lambda s: s.get(Engagement, engagement_id))


def client_row(settings, client_id: int) -> Client:  # type: ignore[no-untyped-def]
    return with_db(settings, lambda s: s.get(Client, client_id))
