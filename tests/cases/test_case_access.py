"""Who reaches a case: the owner runs it; a partner whose clause shares the assessment reads it (redacted,
audited, read-only); every other organisation gets a 404 on every case route, and a role without the
grant a 403, with nothing of the case in the answer and nothing changed."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from portal.access.models import AuditEntry
from portal.access.sharing import local_date
from portal.cases.models import Case
from portal.db import utcnow
from tests.cases.casework import (
    SAIDOVA,
    SHAHZOD,
    assess,
    client_id_of,
    measure,
    move,
    open_case,
    plan_form,
    share_assessment_with_ngo,
    state,
    tenant,
)
from tests.conftest import login, post_form, with_db
from tests.factories import english, make_client

pytestmark = pytest.mark.usefixtures("no_demo_agreements")


def attempts(browser, case_id: int, client_id: int, own: int) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Every case route, each with a well-formed request, as the owner's case manager would send it."""
    today = "2026-01-10"
    return {
        "case": browser.get(f"/cases/{case_id}"),
        "open": post_form(browser, f"/clients/{client_id}/cases"),
        "stage": post_form(browser, f"/cases/{case_id}/stage", {"from": "assessment", "to": "planning"}),
        "manager": post_form(browser, f"/cases/{case_id}/manager", {"manager": "1"}),
        "assessment form": browser.get(f"/cases/{case_id}/assessment"),
        "assessment": post_form(
            browser,
            f"/cases/{case_id}/assessment",
            {"finding_health": "x" * 5, "readiness": "ready", "assessed_on": today, "version": "1"},
        ),
        "plan form": browser.get(f"/cases/{case_id}/plan"),
        "plan": post_form(browser, f"/cases/{case_id}/plan", plan_form("A goal", [measure(own)], 1)),
        "plan row": post_form(browser, f"/cases/{case_id}/plan", {"goal": "x", "action": "add"}),
        "agreement page": browser.get(f"/cases/{case_id}/agreement"),
        "agreement": post_form(browser, f"/cases/{case_id}/agreement", {"terms": "y" * 20, "signed_on": today}),
        "amendment": post_form(
            browser, f"/cases/{case_id}/agreement/amendments", {"terms": "z" * 20, "signed_on": today, "latest": "1"}
        ),
        "end": post_form(browser, f"/cases/{case_id}/agreement/end", {"reason": "gone", "ended_on": today}),
        "closure form": browser.get(f"/cases/{case_id}/closure"),
        "closure": post_form(
            browser, f"/cases/{case_id}/closure", {"reason": "moved_away", "summary": "s" * 20, "closed_on": today}
        ),
        "addendum": post_form(browser, f"/cases/{case_id}/addenda", {"body": "An addendum"}),
    }


@pytest.fixture
def running_case(client, settings):  # type: ignore[no-untyped-def]
    """INSON's case for Shahzod, assessed and at the planning stage, with an agreement recorded."""
    english(client)
    login(client, "inson.social")
    client_id = client_id_of(settings)
    case_id = open_case(client, client_id)
    assert move(client, case_id, "intake", "assessment").status_code == 303
    assert assess(client, case_id, finding_family="Lives with parents in Yunusobod.").status_code == 303
    assert move(client, case_id, "assessment", "planning").status_code == 303
    terms = {"terms": "Sewing course, then a job near home.", "signed_on": local_date(utcnow()).isoformat()}
    assert post_form(client, f"/cases/{case_id}/agreement", {**terms, "latest": "0"}).status_code == 303
    client.cookies.clear()
    return case_id, client_id


def reads_of(settings, case_id: int) -> list[tuple[int, int, str]]:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        stmt = select(AuditEntry).where(AuditEntry.action == "case.read", AuditEntry.object_id == str(case_id))
        return [(r.actor_tenant_id, r.owner_tenant_id, r.kind) for r in (await session.scalars(stmt)).all()]

    return with_db(settings, work)


def test_a_partner_whose_clause_shares_the_assessment_reads_the_case_and_changes_nothing(
    client, settings, running_case
) -> None:  # type: ignore[no-untyped-def]
    case_id, client_id = running_case
    share_assessment_with_ngo(settings)
    english(client)
    login(client, "ngo.worker")
    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert SHAHZOD in page.text and "Action planning" in page.text and "Lives with parents in Yunusobod." in page.text
    assert "Why you can see this case" in page.text and "Yunusobod pilot" in page.text
    assert "Sewing course, then a job near home." in page.text and "Opened the case." in page.text
    for control in (
        'name="to"',
        'name="manager"',
        *(f"/cases/{case_id}/{p}" for p in ("assessment", "plan", "closure", "agreement")),
    ):
        assert control not in page.text, control
    ngo, inson = tenant(settings, "ngo-sharoit-plus"), tenant(settings, "inson-yunusobod")
    assert (ngo, inson, "open") in reads_of(settings, case_id)
    listing = client.get("/cases")
    assert f'href="/cases/{case_id}"' in listing.text and "Shared with us" in listing.text

    before = state(settings, case_id)
    tried = attempts(client, case_id, client_id, ngo)
    tried.pop("case")
    for what, response in tried.items():
        assert response.status_code == 404, (what, response.status_code)  # type: ignore[attr-defined]
    assert state(settings, case_id) == before


@pytest.mark.parametrize("categories", [None, ["identity", "education"]])
def test_without_a_clause_sharing_the_assessment_a_partner_gets_404_everywhere(
    client, settings, running_case, categories
) -> None:  # type: ignore[no-untyped-def]
    case_id, client_id = running_case
    if categories:
        share_assessment_with_ngo(settings, categories=categories)
    login(client, "ngo.worker")
    before = state(settings, case_id)
    for what, response in attempts(client, case_id, client_id, tenant(settings, "ngo-sharoit-plus")).items():
        assert response.status_code == 404, (what, response.status_code)  # type: ignore[attr-defined]
        assert "Oʻrinboyev" not in response.text and "Lives with parents" not in response.text  # type: ignore[attr-defined]
    assert f'href="/cases/{case_id}"' not in client.get("/cases").text
    assert state(settings, case_id) == before


@pytest.mark.parametrize("persona", ["pes.case", "outsider.hr", "mono.case", "carving.lead"])
def test_another_organisation_gets_404_on_every_case_route(client, settings, running_case, persona: str) -> None:  # type: ignore[no-untyped-def]
    case_id, client_id = running_case
    login(client, persona)
    before = state(settings, case_id)
    for what, response in attempts(client, case_id, client_id, tenant(settings, "pes-yunusobod")).items():
        assert response.status_code in (403, 404), (what, response.status_code)  # type: ignore[attr-defined]
        assert "Oʻrinboyev" not in response.text  # type: ignore[attr-defined]
        if persona != "outsider.hr":  # the outsider's roles grant no case route at all: 403 before any look-up
            assert response.status_code == 404, (what, response.status_code)  # type: ignore[attr-defined]
    assert state(settings, case_id) == before


@pytest.mark.parametrize("persona", ["inson.sign", "inson.admin", "coordinator"])
def test_a_role_without_the_grant_is_refused_and_a_reader_only_reads(
    client, settings, running_case, persona: str
) -> None:  # type: ignore[no-untyped-def]
    case_id, client_id = running_case
    english(client)
    login(client, persona)
    if persona == "coordinator":
        assert post_form(client, "/tenant", {"tenant_id": str(tenant(settings, "inson-yunusobod"))}).status_code == 303
    before = state(settings, case_id)
    tried = attempts(client, case_id, client_id, tenant(settings, "inson-yunusobod"))
    page = tried.pop("case")
    if persona in ("inson.sign", "inson.admin"):  # a signatory's and an administrator's roles grant no case route
        assert page.status_code == 403  # type: ignore[attr-defined]
    else:  # a coordinator reads the case, and may change nothing
        assert page.status_code == 200 and SHAHZOD in page.text  # type: ignore[attr-defined]
        assert 'name="to"' not in page.text and "/closure" not in page.text  # type: ignore[attr-defined]
    for what, response in tried.items():
        assert response.status_code == 403, (what, response.status_code)  # type: ignore[attr-defined]
    assert state(settings, case_id) == before


def test_someone_elses_case_id_is_a_404_for_the_owner_too(client, make_client, settings, running_case) -> None:  # type: ignore[no-untyped-def]
    case_id, _client_id = running_case
    pes = make_client()
    login(pes, "pes.case")
    theirs = open_case(pes, client_id_of(settings, SAIDOVA))
    login(client, "inson.social")
    assert client.get(f"/cases/{theirs}").status_code == 404
    assert post_form(client, f"/cases/{theirs}/stage", {"from": "intake", "to": "assessment"}).status_code == 404
    assert state(settings, theirs)["stage"] == "intake"
    assert f'href="/cases/{theirs}"' not in client.get("/cases").text
    assert client.get(f"/cases/{case_id}").status_code == 200


def test_the_case_list_pages_by_keys(client, settings) -> None:  # type: ignore[no-untyped-def]
    inson = tenant(settings, "inson-yunusobod")

    async def seed(session):  # type: ignore[no-untyped-def]
        for n in range(55):
            person = await make_client(session, inson, full_name=f"Mijoz Sinov {n:02d}")
            session.add(Case(tenant_id=inson, client_id=person.id, opened_on=date(2026, 1, 1)))
        await session.flush()

    with_db(settings, seed)
    login(client, "inson.social")
    first = client.get("/cases")
    assert len(re.findall(r'href="/cases/\d+"', first.text)) == 50
    assert "Mijoz Sinov 54" in first.text and "Mijoz Sinov 00" not in first.text
    link = first.text.split('class="pager"><a href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    second = client.get(link)
    assert "Mijoz Sinov 00" in second.text and "Mijoz Sinov 54" not in second.text
    assert 'class="pager"' not in second.text
