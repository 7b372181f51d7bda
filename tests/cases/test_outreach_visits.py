"""Visits to the persons on the outreach list, and the case a visit opens: only the list's own
organisation reaches any of it; everyone else gets a 404 (or a 403 for a role without the grant)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.access.models import AuditEntry
from portal.cases.models import Case, CaseEvent, Client, OutreachPerson, OutreachVisit
from tests.cases.outreach_helpers import csv_file, import_id_of, person_row, upload, wait_for_import
from tests.conftest import login, post_form, with_db
from tests.factories import english


@pytest.fixture
def social(client):  # type: ignore[no-untyped-def]
    english(client)
    login(client, "inson.social")
    return client


def imported(client, settings, *rows) -> list[int]:  # type: ignore[no-untyped-def]
    """The ids of the persons an import of these rows added, in file order."""
    location = upload(client, csv_file(list(rows))).headers["location"]
    result = wait_for_import(client, location)
    assert "imported" in result and "Nothing" not in result, result
    job = import_id_of(location)
    stmt = select(OutreachPerson.id).where(OutreachPerson.import_id == job).order_by(OutreachPerson.id)
    return list(with_db(settings, lambda s: s.scalars(stmt)).all())


def person(settings, person_id: int) -> OutreachPerson:  # type: ignore[no-untyped-def]
    return with_db(settings, lambda s: s.get(OutreachPerson, person_id))


def visit(client, person_id: int, outcome: str, day: str = "", note: str = ""):  # type: ignore[no-untyped-def]
    from datetime import date

    day = day or date.today().isoformat()
    return post_form(
        client, f"/outreach/persons/{person_id}/visits", {"visited_on": day, "outcome": outcome, "note": note}
    )


def test_a_visit_is_recorded_and_the_list_filters_by_its_outcome(social, settings) -> None:  # type: ignore[no-untyped-def]
    first, second = imported(social, settings, person_row(1), person_row(2))
    assert visit(social, first, "not_at_home").status_code == 303
    assert visit(social, first, "wants_training", note="Wants to learn sewing").status_code == 303
    page = social.get(f"/outreach/persons/{first}").text
    assert "Wants to learn sewing" in page and "Not at home" in page and "Феруза Алимова" in page
    training = social.get("/outreach", params={"outcome": "wants_training"}).text
    assert f"/outreach/persons/{first}" in training and f"/outreach/persons/{second}" not in training
    fresh = social.get("/outreach", params={"outcome": "none"}).text
    assert f"/outreach/persons/{second}" in fresh and f"/outreach/persons/{first}" not in fresh
    assert person(settings, first).outcome == "wants_training"


def test_a_bad_visit_is_refused_beside_its_fields_and_kept(social, settings) -> None:  # type: ignore[no-untyped-def]
    (first,) = imported(social, settings, person_row(1))
    answer = visit(social, first, "flew_away", day="2020-01-01", note="Typed note")
    assert answer.status_code == 422
    assert 'id="visited_on-error"' in answer.text and 'id="outcome-error"' in answer.text
    assert "Typed note" in answer.text and 'value="2020-01-01"' in answer.text
    visits = select(func.count(OutreachVisit.id)).where(OutreachVisit.person_id == first)
    assert with_db(settings, lambda s: s.scalar(visits)) == 0


def test_a_case_is_opened_from_a_visit_for_a_new_client(social, settings) -> None:  # type: ignore[no-untyped-def]
    (first,) = imported(social, settings, person_row(1))
    refused = post_form(social, f"/outreach/persons/{first}/case")
    assert refused.status_code == 422 and "Record such a visit first" in refused.text
    assert visit(social, first, "wants_work").status_code == 303
    page = social.get(f"/outreach/persons/{first}").text
    assert "Open a case" in page
    opened = post_form(social, f"/outreach/persons/{first}/case")
    assert opened.status_code == 303
    row = person(settings, first)
    assert row.client_id and row.case_id

    async def facts(session):  # type: ignore[no-untyped-def]
        case = await session.get(Case, row.case_id)
        client = await session.get(Client, row.client_id)
        kinds = (await session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id))).all()
        return case.source, case.stage, case.client_id, client.pinfl, client.disability_group, sorted(kinds)

    source, stage, client_id, pinfl, group, kinds = with_db(settings, facts)
    assert (source, stage, client_id, pinfl, group) == ("outreach", "intake", row.client_id, row.pinfl, "II")
    assert kinds == ["case.opened", "outreach.visit"]
    page = social.get(f"/outreach/persons/{first}").text
    assert f"Case no. {row.case_id} is open" in page and f'href="/clients/{row.client_id}"' in page
    # Pressing again opens nothing new.
    assert post_form(social, f"/outreach/persons/{first}/case").status_code == 303
    assert with_db(settings, lambda s: s.scalar(select(func.count(Case.id)).where(Case.client_id == client_id))) == 1


def test_a_case_from_a_visit_links_the_organisations_existing_client(social, settings) -> None:  # type: ignore[no-untyped-def]
    known = with_db(settings, lambda s: s.scalar(select(Client).where(Client.full_name.startswith("Qodirov Sanjar"))))
    (first,) = imported(social, settings, person_row(1, pinfl=known.pinfl))
    assert visit(social, first, "wants_self_employment").status_code == 303
    assert post_form(social, f"/outreach/persons/{first}/case").status_code == 303
    row = person(settings, first)
    assert row.client_id == known.id
    assert with_db(settings, lambda s: s.scalar(select(func.count(Client.id)).where(Client.pinfl == known.pinfl))) == 1


@pytest.mark.parametrize("persona", ["pes.case", "ngo.worker", "outsider.hr", "inson.admin", "coordinator"])
def test_no_one_else_reaches_the_list_its_persons_or_its_imports(social, make_client, settings, persona) -> None:  # type: ignore[no-untyped-def]
    (first,) = imported(social, settings, person_row(1))
    job = with_db(settings, lambda s: s.get(OutreachPerson, first)).import_id
    other = make_client()
    login(other, persona)
    attempts = [
        other.get(f"/outreach/persons/{first}"),
        other.get(f"/outreach/imports/{job}"),
        other.get(f"/outreach/imports/{job}", headers={"HX-Request": "true"}),
        visit(other, first, "wants_work"),
        post_form(other, f"/outreach/persons/{first}/case"),
    ]
    for answer in attempts:
        assert answer.status_code in (403, 404), (persona, answer.request.url, answer.status_code)
        assert "Karimova Dilnoza" not in answer.text and person_row(1)["pinfl"] not in answer.text
    if persona in ("pes.case", "ngo.worker"):
        # Case managers elsewhere have outreach lists of their own: a 404 for ours, never a 403.
        assert {a.status_code for a in attempts} == {404}
        listing = other.get("/outreach")
        assert listing.status_code == 200 and "Karimova Dilnoza" not in listing.text
    assert person(settings, first).outcome == ""

    async def writes(session):  # type: ignore[no-untyped-def]
        return await session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "outreach.visit"))

    assert with_db(settings, writes) == 0
