"""The parts of a case through the pages: the needs assessment, the individual action plan (with two
managers saving it at once), the labour-integration agreement, and the responsible case manager."""

from __future__ import annotations

import html
import re

import pytest

from tests.cases.casework import (
    QODIROV,
    add_member,
    agreement_rows,
    assess,
    client_id_of,
    event_kinds,
    measure,
    move,
    open_case,
    plan_form,
    plan_rows,
    share_assessment_with_ngo,
    state,
    tenant,
)
from tests.conftest import login, post_form
from tests.factories import english

# These tests build their own agreements: the partners a measure may name are those they set up.
pytestmark = pytest.mark.usefixtures("no_demo_agreements")


def opened(browser, settings) -> int:  # type: ignore[no-untyped-def]
    english(browser)
    login(browser, "inson.social")
    return open_case(browser, client_id_of(settings))


def version_on(page: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', page)
    assert found, "the form carries the version it was opened at"
    return found.group(1)


# --- the needs assessment --------------------------------------------------------------------------


def test_the_assessment_needs_a_decision_keeps_what_was_typed_and_moves_no_stage(client, settings) -> None:  # type: ignore[no-untyped-def]
    case_id = opened(client, settings)
    assert move(client, case_id, "intake", "assessment").status_code == 303
    form = client.get(f"/cases/{case_id}/assessment")
    assert form.status_code == 200 and "<legend>Findings by domain</legend>" in form.text
    assert "Transport and accessibility" in form.text and "Ready for work with support" in form.text
    before = state(settings, case_id)
    bad = assess(client, case_id, readiness="", finding_housing="Ground floor flat\x07")
    assert bad.status_code == 422
    assert 'id="readiness-error"' in bad.text and 'id="finding_housing-error"' in bad.text
    assert "Walks with a cane; tires after four hours." in bad.text  # what was typed is kept
    assert state(settings, case_id) == before

    assert assess(client, case_id).status_code == 303
    after = state(settings, case_id)
    assert after["stage"] == "assessment" and after["readiness"] == "ready_with_support"
    assert event_kinds(settings, case_id)[-1] == "assessment.saved"
    page = client.get(f"/cases/{case_id}")
    assert "Decision: Ready for work with support." in page.text and "Walks with a cane" in page.text
    assert "Saved the needs assessment: Ready for work with support." in page.text


def test_two_people_saving_the_assessment_at_once_lose_nothing(client, make_client, settings) -> None:  # type: ignore[no-untyped-def]
    case_id = opened(client, settings)
    assert assess(client, case_id).status_code == 303
    other = make_client()
    english(other)
    login(other, "inson.social")
    mine = client.get(f"/cases/{case_id}/assessment")
    theirs = other.get(f"/cases/{case_id}/assessment")
    version = version_on(mine.text)
    assert version_on(theirs.text) == version
    assert assess(other, case_id, finding_family="Lives with a sister who drives.").status_code == 303
    late = assess(client, case_id, finding_health="Mine: needs a ramp.", readiness="ready", version=version)
    assert late.status_code == 409
    text = html.unescape(late.text)
    assert "Someone else saved this assessment" in text
    assert "Lives with a sister who drives." in text and "Mine: needs a ramp." in text
    assert version_on(late.text) != version
    again = assess(
        client, case_id, finding_health="Mine: needs a ramp.", readiness="ready", version=version_on(late.text)
    )
    assert again.status_code == 303 and state(settings, case_id)["readiness"] == "ready"


# --- the individual action plan ----------------------------------------------------------------------


def test_the_plan_offers_the_own_organisation_and_partners_under_a_live_clause(client, settings) -> None:  # type: ignore[no-untyped-def]
    share_assessment_with_ngo(settings)
    case_id = opened(client, settings)
    own, ngo = tenant(settings, "inson-yunusobod"), tenant(settings, "ngo-sharoit-plus")
    outsider, pes = tenant(settings, "employer-chorsu-savdo"), tenant(settings, "pes-yunusobod")
    form = client.get(f"/cases/{case_id}/plan")
    assert form.status_code == 200
    offered = set(re.findall(r'<option value="(\d+)"', form.text.split('id="m-0-partner"', 1)[1].split("</select>")[0]))
    assert offered == {str(own), str(ngo)}
    for stranger in (outsider, pes, 999999, "x"):
        bad = post_form(client, f"/cases/{case_id}/plan", plan_form("A job", [measure(stranger)]))  # type: ignore[arg-type]
        assert bad.status_code == 422 and 'id="m-0-partner-error"' in bad.text
    assert "Choose the organisation responsible" in html.unescape(bad.text)


def test_measures_are_added_changed_and_removed_and_empty_rows_are_left_out(client, settings) -> None:  # type: ignore[no-untyped-def]
    share_assessment_with_ngo(settings)
    case_id = opened(client, settings)
    own, ngo = tenant(settings, "inson-yunusobod"), tenant(settings, "ngo-sharoit-plus")
    more = post_form(client, f"/cases/{case_id}/plan", {**plan_form("A job", [measure(own)]), "action": "add"})
    assert more.status_code == 200 and 'id="m-1-kind"' in more.text  # one more row, nothing saved
    first = plan_form(
        "A job as a seamstress near home",
        [measure(own, "counselling", description="Talk through the options"), measure(ngo), {"kind": ""}],
    )
    assert post_form(client, f"/cases/{case_id}/plan", first).status_code == 303
    goal, version, rows = plan_rows(settings, case_id)
    assert rows == [("counselling", "Talk through the options", own), ("vocational_training", "", ngo)]
    page = client.get(f"/cases/{case_id}/plan")
    ids = re.findall(r'name="m-(\d+)-id" value="(\d+)"', page.text)
    assert len(ids) == 2 and 'id="m-2-kind"' in page.text  # and an empty row to add another
    second = plan_form(
        goal,
        [
            {"id": ids[0][1], **measure(own, "counselling"), "remove": "1"},
            {"id": ids[1][1], **measure(ngo, "vocational_training", status="in_progress", description="Sewing course")},
            measure(own, "job_placement", due="2027-06-01"),
        ],
        version,
    )
    assert post_form(client, f"/cases/{case_id}/plan", second).status_code == 303
    _goal, _v, rows = plan_rows(settings, case_id)
    assert rows == [("vocational_training", "Sewing course", ngo), ("job_placement", "", own)]
    shown = client.get(f"/cases/{case_id}")
    assert "Sewing course" in shown.text and "Job placement" in shown.text and "In progress" in shown.text
    bad = post_form(
        client, f"/cases/{case_id}/plan", plan_form("", [measure(own, "juggling", due="01.06.2027")], version + 1)
    )
    assert bad.status_code == 422
    assert all(f'id="{n}-error"' in bad.text for n in ("goal", "m-0-kind", "m-0-due_on"))
    assert 'value="01.06.2027"' in bad.text and plan_rows(settings, case_id)[2] == rows


def test_two_managers_saving_the_same_plan_see_both_versions_and_lose_nothing(client, make_client, settings) -> None:  # type: ignore[no-untyped-def]
    case_id = opened(client, settings)
    own = tenant(settings, "inson-yunusobod")
    add_member(settings, "inson-yunusobod", "inson.second", ["case_manager"], "Malika Yusupova")
    assert (
        post_form(client, f"/cases/{case_id}/plan", plan_form("A job", [measure(own, "counselling")])).status_code
        == 303
    )
    second = make_client()
    english(second)
    login(second, "inson.second")
    mine, theirs = client.get(f"/cases/{case_id}/plan"), second.get(f"/cases/{case_id}/plan")
    version = version_on(mine.text)
    assert version_on(theirs.text) == version
    measure_id = re.search(r'name="m-0-id" value="(\d+)"', mine.text).group(1)  # type: ignore[union-attr]

    their_plan = plan_form(
        "A job in a bakery",
        [{"id": measure_id, **measure(own, "counselling")}, measure(own, "public_works", description="Theirs")],
        int(version),
    )
    assert post_form(second, f"/cases/{case_id}/plan", their_plan).status_code == 303
    saved = plan_rows(settings, case_id)
    my_plan = plan_form(
        "A job as a seamstress",
        [{"id": measure_id, **measure(own, "counselling", description="Mine")}, measure(own, "benefits_advice")],
        int(version),
    )
    conflict = post_form(client, f"/cases/{case_id}/plan", my_plan)
    assert conflict.status_code == 409
    text = html.unescape(conflict.text)
    assert "Someone else saved this plan" in text
    assert "A job in a bakery" in text and "Theirs" in text  # theirs, as saved
    assert "A job as a seamstress" in text and ">Mine</textarea>" in text  # mine, as typed
    assert plan_rows(settings, case_id) == saved  # nothing of mine was written over theirs
    on_top = plan_form(
        "A job as a seamstress",
        [{"id": measure_id, **measure(own, "counselling", description="Mine")}, measure(own, "benefits_advice")],
        int(version_on(conflict.text)),
    )
    assert post_form(client, f"/cases/{case_id}/plan", on_top).status_code == 303
    goal, _version, rows = plan_rows(settings, case_id)
    assert goal == "A job as a seamstress"
    assert ("counselling", "Mine", own) in rows and ("benefits_advice", "", own) in rows
    assert ("public_works", "Theirs", own) in rows  # the measure they added stays


def test_moving_on_from_planning_needs_a_goal_and_a_measure(client, settings) -> None:  # type: ignore[no-untyped-def]
    case_id = opened(client, settings)
    own = tenant(settings, "inson-yunusobod")
    assert move(client, case_id, "intake", "assessment").status_code == 303
    assert assess(client, case_id).status_code == 303
    assert move(client, case_id, "assessment", "planning").status_code == 303
    page = client.get(f"/cases/{case_id}")
    assert "at least one measure before moving to implementation" in html.unescape(page.text)
    assert post_form(client, f"/cases/{case_id}/plan", plan_form("A job", [measure(own)])).status_code == 303
    page = client.get(f"/cases/{case_id}")
    assert "Move to «Implementation»" in page.text
    assert move(client, case_id, "planning", "implementation").status_code == 303


# --- the labour-integration agreement ----------------------------------------------------------------


def test_the_agreement_is_recorded_amended_and_ended_as_a_history(client, settings) -> None:  # type: ignore[no-untyped-def]
    from portal.access.sharing import local_date
    from portal.db import utcnow

    today = local_date(utcnow()).isoformat()
    case_id = opened(client, settings)
    page = client.get(f"/cases/{case_id}/agreement")
    assert page.status_code == 200 and "Record the agreement" in page.text
    bad = post_form(client, f"/cases/{case_id}/agreement", {"terms": "short", "signed_on": "2020-01-01", "latest": "0"})
    assert bad.status_code == 422 and 'id="terms-error"' in bad.text and 'id="signed_on-error"' in bad.text
    terms = "Attend the sewing course; the centre finds a workplace near home."
    done = post_form(client, f"/cases/{case_id}/agreement", {"terms": terms, "signed_on": today, "latest": "0"})
    assert done.status_code == 303
    twice = post_form(client, f"/cases/{case_id}/agreement", {"terms": terms, "signed_on": today, "latest": "1"})
    assert twice.status_code == 409 and "amend it instead" in twice.text
    amended = "As before, and a trial week at the employer first."
    stale = post_form(
        client, f"/cases/{case_id}/agreement/amendments", {"terms": amended, "signed_on": today, "latest": "0"}
    )
    assert stale.status_code == 409 and amended in stale.text and agreement_rows(settings, case_id)[-1][0] == 1
    ok = post_form(
        client, f"/cases/{case_id}/agreement/amendments", {"terms": amended, "signed_on": today, "latest": "1"}
    )
    assert ok.status_code == 303
    no_reason = post_form(client, f"/cases/{case_id}/agreement/end", {"reason": "", "ended_on": today, "latest": "2"})
    assert no_reason.status_code == 422 and 'id="reason-error"' in no_reason.text
    ended = post_form(
        client,
        f"/cases/{case_id}/agreement/end",
        {"reason": "The client moved away.", "ended_on": today, "latest": "2"},
    )
    assert ended.status_code == 303
    rows = agreement_rows(settings, case_id)
    assert [(n, t, s) for n, t, s, _r in rows] == [(1, terms, "ended"), (2, amended, "ended")]
    assert rows[-1][3] == "The client moved away."
    page = client.get(f"/cases/{case_id}")
    text = html.unescape(page.text)
    assert terms in text and amended in text and "Amendment 1, signed on" in text and "The client moved away." in text
    kinds = event_kinds(settings, case_id)
    assert kinds[-3:] == ["agreement.signed", "agreement.amended", "agreement.ended"]
    after_end = post_form(
        client, f"/cases/{case_id}/agreement/amendments", {"terms": amended, "signed_on": today, "latest": "2"}
    )
    assert (
        after_end.status_code == 409 and "has ended" in after_end.text and len(agreement_rows(settings, case_id)) == 2
    )


# --- the responsible case manager --------------------------------------------------------------------


def test_the_case_manager_is_chosen_among_those_who_may_run_cases(client, settings) -> None:  # type: ignore[no-untyped-def]
    case_id = opened(client, settings)
    colleague = add_member(settings, "inson-yunusobod", "inson.second", ["case_manager"], "Malika Yusupova")
    viewer = add_member(settings, "inson-yunusobod", "inson.viewer", ["viewer"], "Olim Viewer")
    stranger = add_member(settings, "pes-yunusobod", "pes.second", ["case_manager"], "Bobur Boshqa")
    page = client.get(f"/cases/{case_id}")
    assert "Malika Yusupova" in page.text and "Olim Viewer" not in page.text and "Bobur Boshqa" not in page.text
    before = state(settings, case_id)
    for wrong in (viewer, stranger, "", "abc"):
        bad = post_form(client, f"/cases/{case_id}/manager", {"manager": str(wrong)})
        assert bad.status_code == 422 and 'id="manager-error"' in bad.text
    assert state(settings, case_id) == before
    assert post_form(client, f"/cases/{case_id}/manager", {"manager": str(colleague)}).status_code == 303
    assert state(settings, case_id)["manager"] == colleague
    assert "Made Malika Yusupova the responsible case manager." in client.get(f"/cases/{case_id}").text


def test_the_case_list_filters_by_stage_and_by_mine_and_pages_by_keys(client, settings) -> None:  # type: ignore[no-untyped-def]
    first = opened(client, settings)
    second = open_case(client, client_id_of(settings, QODIROV))
    assert move(client, second, "intake", "assessment").status_code == 303
    colleague = add_member(settings, "inson-yunusobod", "inson.second", ["case_manager"], "Malika Yusupova")
    assert post_form(client, f"/cases/{first}/manager", {"manager": str(colleague)}).status_code == 303
    listing = client.get("/cases")
    assert f'href="/cases/{first}"' in listing.text and f'href="/cases/{second}"' in listing.text
    at_intake = client.get("/cases", params={"stage": "intake"})
    assert f'href="/cases/{first}"' in at_intake.text and f'href="/cases/{second}"' not in at_intake.text
    mine = client.get("/cases", params={"mine": "1"})
    assert f'href="/cases/{second}"' in mine.text and f'href="/cases/{first}"' not in mine.text
    fragment = client.get("/cases", params={"stage": "assessment"}, headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="case-rows">') and f'href="/cases/{second}"' in fragment.text
    older = client.get("/cases", params={"before": str(second)})
    assert f'href="/cases/{first}"' in older.text and f'href="/cases/{second}"' not in older.text
    empty = client.get("/cases", params={"stage": "closed", "before": "1"})  # the demo has a closed case
    assert "No case matches these filters." in empty.text
