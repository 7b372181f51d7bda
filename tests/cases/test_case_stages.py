"""The case's stages through the pages: opened once per client, forward one step at a time, closed from
any stage with the closure form, and then read-only but for an addendum. Every refused move says why
and changes nothing."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from portal.cases.models import Case
from tests.cases.casework import (
    SHAHZOD,
    assess,
    client_id_of,
    event_kinds,
    measure,
    move,
    open_case,
    plan_form,
    state,
    tenant,
)
from tests.conftest import login, post_form, with_db
from tests.factories import english

FORWARD = ["intake", "assessment", "planning", "implementation", "monitoring"]
CLOSURE = {"reason": "employed_sustained", "summary": "Hired as a seamstress; still in work after six months."}


def closure(settings, **values):  # type: ignore[no-untyped-def]
    from portal.access.sharing import local_date
    from portal.db import utcnow

    return {**CLOSURE, "closed_on": local_date(utcnow()).isoformat(), **values}


def walk_to(browser, settings, case_id: int, stage: str) -> None:  # type: ignore[no-untyped-def]
    """Take the case forward to `stage`, doing what each stage needs on the way."""
    own = tenant(settings, "inson-yunusobod")
    for current, target in zip(FORWARD, FORWARD[1:], strict=False):
        if current == stage:
            return
        if current == "assessment":
            assert assess(browser, case_id).status_code == 303
        if current == "planning":
            data = plan_form("A job near home", [measure(own)])
            assert post_form(browser, f"/cases/{case_id}/plan", data).status_code == 303
        assert move(browser, case_id, current, target).status_code == 303
    assert state(settings, case_id)["stage"] == stage


def test_a_case_is_opened_from_the_client_page_once_at_a_time(client, settings) -> None:  # type: ignore[no-untyped-def]
    client_id = client_id_of(settings)
    english(client)
    login(client, "inson.social")
    page = client.get(f"/clients/{client_id}")
    assert "Open a case" in page.text and f'action="/clients/{client_id}/cases"' in page.text
    case_id = open_case(client, client_id)
    opened = client.get(f"/cases/{case_id}")
    assert opened.status_code == 200 and SHAHZOD in opened.text and "Opened the case." in opened.text
    assert state(settings, case_id)["stage"] == "intake"
    assert "Open a case" not in client.get(f"/clients/{client_id}").text

    again = post_form(client, f"/clients/{client_id}/cases")
    assert again.status_code == 409
    assert "already has an open case" in again.text and f'href="/cases/{case_id}"' in again.text
    count = with_db(settings, lambda s: s.scalar(select(func.count(Case.id)).where(Case.client_id == client_id)))
    assert count == 1


def test_the_case_moves_forward_one_stage_at_a_time_to_monitoring(client, settings) -> None:  # type: ignore[no-untyped-def]
    english(client)
    login(client, "inson.social")
    case_id = open_case(client, client_id_of(settings))
    walk_to(client, settings, case_id, "monitoring")
    kinds = event_kinds(settings, case_id)
    assert kinds.count("case.stage") == 4 and "assessment.saved" in kinds and "plan.saved" in kinds
    page = client.get(f"/cases/{case_id}")
    assert "Moved the case from «Implementation» to «Monitoring»." in page.text
    assert 'name="to"' not in page.text  # from monitoring the case can only be closed


@pytest.mark.parametrize(
    ("stage", "target", "message"),
    [
        ("intake", "planning", "from «Intake» the next stage is «Needs assessment»"),
        ("intake", "intake", "from «Intake» the next stage is «Needs assessment»"),
        ("intake", "closed", "closed with the closure form"),
        ("intake", "nowhere", "from «Intake» the next stage is «Needs assessment»"),
        ("assessment", "intake", "from «Needs assessment» the next stage is «Action planning»"),
        ("assessment", "planning", "Record the needs assessment with a work-readiness decision"),
        ("planning", "implementation", "Write the plan's goal and at least one measure"),
        ("planning", "monitoring", "from «Action planning» the next stage is «Implementation»"),
        ("implementation", "planning", "from «Implementation» the next stage is «Monitoring»"),
        ("monitoring", "closed", "can only be closed"),
        ("monitoring", "implementation", "can only be closed"),
    ],
)
def test_a_forbidden_move_is_refused_with_its_reason_and_changes_nothing(
    client, settings, stage: str, target: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    english(client)
    login(client, "inson.social")
    case_id = open_case(client, client_id_of(settings))
    own = tenant(settings, "inson-yunusobod")
    for current, after in zip(FORWARD, FORWARD[1:], strict=False):
        if current == stage:
            break
        if current == "assessment":
            assess(client, case_id)
        if current == "planning":
            post_form(client, f"/cases/{case_id}/plan", plan_form("A job", [measure(own)]))
        assert move(client, case_id, current, after).status_code == 303
    before = state(settings, case_id)
    assert before["stage"] == stage
    refused = move(client, case_id, stage, target)
    assert refused.status_code == 409 and message in html.unescape(refused.text) and 'role="alert"' in refused.text
    assert state(settings, case_id) == before


def test_a_move_from_a_page_that_is_out_of_date_is_refused(client, make_client, settings) -> None:  # type: ignore[no-untyped-def]
    english(client)
    login(client, "inson.social")
    case_id = open_case(client, client_id_of(settings))
    other = make_client()
    english(other)
    login(other, "inson.social")
    assert move(other, case_id, "intake", "assessment").status_code == 303
    before = state(settings, case_id)
    stale = move(client, case_id, "intake", "assessment")
    assert stale.status_code == 409 and "moved to «Needs assessment» while you were looking at it" in stale.text
    assert state(settings, case_id) == before


@pytest.mark.parametrize("stage", FORWARD)
def test_a_case_is_closed_from_any_stage_with_a_reason_and_a_summary(client, settings, stage: str) -> None:  # type: ignore[no-untyped-def]
    english(client)
    login(client, "inson.social")
    case_id = open_case(client, client_id_of(settings))
    walk_to(client, settings, case_id, stage)
    form = client.get(f"/cases/{case_id}/closure")
    assert form.status_code == 200 and "Employed and kept the job" in form.text
    bad = post_form(client, f"/cases/{case_id}/closure", closure(settings, reason="", summary="short"))
    assert bad.status_code == 422 and 'id="reason-error"' in bad.text and 'id="summary-error"' in bad.text
    assert ">short</textarea>" in bad.text and state(settings, case_id)["stage"] == stage
    done = post_form(client, f"/cases/{case_id}/closure", closure(settings))
    assert done.status_code == 303
    after = state(settings, case_id)
    assert after["stage"] == "closed" and after["reason"] == "employed_sustained" and after["closed_on"]
    page = client.get(f"/cases/{case_id}")
    assert "Hired as a seamstress" in page.text and "Closed the case: Employed and kept the job." in page.text


def test_a_closed_case_refuses_every_change_but_an_addendum(client, settings) -> None:  # type: ignore[no-untyped-def]
    english(client)
    login(client, "inson.social")
    client_id = client_id_of(settings)
    case_id = open_case(client, client_id)
    walk_to(client, settings, case_id, "planning")
    assert post_form(client, f"/cases/{case_id}/closure", closure(settings)).status_code == 303
    own = tenant(settings, "inson-yunusobod")
    manager = state(settings, case_id)["manager"]
    before = state(settings, case_id)
    attempts = {
        "stage": move(client, case_id, "closed", "intake"),
        "stage forward": move(client, case_id, "planning", "implementation"),
        "manager": post_form(client, f"/cases/{case_id}/manager", {"manager": str(manager)}),
        "assessment form": client.get(f"/cases/{case_id}/assessment"),
        "assessment": assess(client, case_id, readiness="ready"),
        "plan form": client.get(f"/cases/{case_id}/plan"),
        "plan": post_form(client, f"/cases/{case_id}/plan", plan_form("Another goal", [measure(own)], 1)),
        "plan row": post_form(client, f"/cases/{case_id}/plan", {"action": "add", "goal": "x"}),
        "agreement page": client.get(f"/cases/{case_id}/agreement"),
        "agreement": post_form(
            client, f"/cases/{case_id}/agreement", {"terms": "Work together on a job", "signed_on": "2026-01-05"}
        ),
        "amendment": post_form(
            client,
            f"/cases/{case_id}/agreement/amendments",
            {"terms": "Changed terms of the work", "signed_on": "2026-01-06", "latest": "1"},
        ),
        "end": post_form(client, f"/cases/{case_id}/agreement/end", {"reason": "x" * 10, "ended_on": "2026-01-07"}),
        "closure form": client.get(f"/cases/{case_id}/closure"),
        "closure": post_form(client, f"/cases/{case_id}/closure", closure(settings, reason="moved_away")),
    }
    for what, response in attempts.items():
        assert response.status_code == 409, (what, response.status_code)
        assert "This case is closed, so it can no longer be changed" in response.text, what
    assert state(settings, case_id) == before
    assert post_form(client, f"/clients/{client_id}/cases").status_code == 303  # a new case may be opened

    empty = post_form(client, f"/cases/{case_id}/addenda", {"body": " "})
    assert empty.status_code == 422 and 'id="addendum-error"' in empty.text
    added = post_form(client, f"/cases/{case_id}/addenda", {"body": "Called six months later: still at work."})
    assert added.status_code == 303
    page = client.get(f"/cases/{case_id}")
    assert "Called six months later: still at work." in page.text and "Wrote an addendum" in page.text
    assert state(settings, case_id)["stage"] == "closed"


def test_an_addendum_is_refused_while_the_case_is_open(client, settings) -> None:  # type: ignore[no-untyped-def]
    english(client)
    login(client, "inson.social")
    case_id = open_case(client, client_id_of(settings))
    before = state(settings, case_id)
    refused = post_form(client, f"/cases/{case_id}/addenda", {"body": "Too early for an addendum."})
    assert refused.status_code == 409 and "An addendum is written to a closed case" in refused.text
    assert state(settings, case_id) == before
