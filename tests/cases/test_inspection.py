"""The labour inspection's part: an employer's refusal and an employer's silence past 5 working days
reach its review queue (and the sender's attention), derived from the clock; the inspector records
the outcome; the inspection sees no referral it does not review."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from portal.cases.models import ReferralReview
from tests.cases.referral_world import MONDAY, act, build, draft, referral
from tests.conftest import login, post_form, with_db
from tests.factories import english

# The answer to a referral sent on MONDAY is due on Tuesday 10 March 2026 (Tashkent).
LAST_DAY = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)  # 23:00 in Tashkent
DAY_AFTER = datetime(2026, 3, 10, 19, 30, tzinfo=UTC)  # 00:30 on Wednesday 11 March in Tashkent


@pytest.fixture
def people(settings, app, client, make_client):  # type: ignore[no-untyped-def]
    app.state.clock = lambda: MONDAY
    world = build(settings)
    browsers = {"sender": client}
    for key in ("hr", "inspector", "ngo"):
        browsers[key] = make_client()
        browsers[key].app.state.clock = lambda: MONDAY
    for key, who in LOGINS.items():
        english(browsers[key])
        login(browsers[key], who)
    return world, browsers


LOGINS = {"sender": "inson.social", "hr": "toqimachi.hr", "inspector": "inspector", "ngo": "ngo.worker"}


def at(browsers, moment: datetime) -> None:  # type: ignore[no-untyped-def]
    """Move every browser's clock; sign in again, as a session does not outlive days of idleness."""
    for key, browser in browsers.items():
        browser.app.state.clock = lambda moment=moment: moment
        login(browser, LOGINS[key])


def test_an_employer_letting_5_working_days_pass_is_flagged_to_the_sender_and_the_inspection(people) -> None:  # type: ignore[no-untyped-def]
    world, browsers = people
    referral_id = draft(browsers["sender"], world)
    act(browsers["sender"], referral_id, "send", who="sender")
    at(browsers, LAST_DAY)
    assert "Sewing machine operator" not in browsers["inspector"].get("/reviews").text
    assert "Overdue" not in browsers["sender"].get(f"/referrals/{referral_id}").text
    at(browsers, DAY_AFTER)
    queue = browsers["inspector"].get("/reviews")
    assert "Sewing machine operator" in queue.text and "No answer: it was due on 10 March 2026" in queue.text
    assert "Overdue" in browsers["sender"].get(f"/referrals/{referral_id}").text
    assert "Overdue" in browsers["hr"].get("/referrals").text
    # A late answer still counts: the employer accepts, and the silence leaves the queue.
    assert act(browsers["hr"], referral_id, "accept").status_code == 303
    assert "Sewing machine operator" not in browsers["inspector"].get("/reviews").text


def test_a_refusal_reaches_the_queue_and_the_inspectors_outcome_is_recorded(settings, people) -> None:  # type: ignore[no-untyped-def]
    world, browsers = people
    referral_id = draft(browsers["sender"], world)
    act(browsers["sender"], referral_id, "send", who="sender")
    assert act(browsers["hr"], referral_id, "decline", "The workshop has no step-free entrance").status_code == 303
    queue = browsers["inspector"].get("/reviews")
    assert "Refused: The workshop has no step-free entrance" in queue.text
    page = browsers["inspector"].get(f"/referrals/{referral_id}")
    assert page.status_code == 200 and "Qodirova" not in page.text  # no clause shares the client with it
    version = __import__("re").search(r'name="version" value="(\d+)"', page.text).group(1)
    missing = post_form(browsers["inspector"], f"/referrals/{referral_id}/review", {"version": version, "text": "x"})
    assert (
        missing.status_code == 422 and 'id="outcome-error"' in missing.text and 'id="text-review-error"' in missing.text
    )
    note = "Visited the employer; a ramp is being built, the client is re-referred to another site."
    done = post_form(
        browsers["inspector"],
        f"/referrals/{referral_id}/review",
        {"version": version, "outcome": "re_referred", "text": note},
    )
    assert done.status_code == 303, done.text[:400]
    assert "Sewing machine operator" not in browsers["inspector"].get("/reviews").text
    review = with_db(
        settings, lambda s: s.scalar(select(ReferralReview).where(ReferralReview.referral_id == referral_id))
    )
    assert (review.outcome, review.tenant_id, review.sender_tenant_id) == ("re_referred", world.inspection, world.inson)
    again = post_form(
        browsers["inspector"],
        f"/referrals/{referral_id}/review",
        {"version": version, "outcome": "hire_agreed", "text": note},
    )
    assert again.status_code == 409 and "already recorded" in again.text
    # The sender and the employer read the outcome; the sender may send the referral again, once.
    assert "Referred again" in browsers["hr"].get(f"/referrals/{referral_id}").text
    sender_page = browsers["sender"].get(f"/referrals/{referral_id}")
    assert "Referred again" in sender_page.text and f"previous={referral_id}" in sender_page.text
    new_form = browsers["sender"].get(f"/cases/{world.case_id}/referrals/new", params={"previous": str(referral_id)})
    assert 'value="Sewing machine operator"' in new_form.text
    second = draft(browsers["sender"], world, previous=str(referral_id), subject="Sewing, ground floor")
    assert referral(settings, second).previous_id == referral_id
    refused = post_form(
        browsers["sender"],
        f"/cases/{world.case_id}/referrals",
        {
            "kind": "employer_job",
            "recipient": str(world.employer),
            "subject": "Once more",
            "previous": str(referral_id),
        },
    )
    assert refused.status_code == 422 and "only once" in refused.text


def test_the_inspection_sees_no_referral_it_does_not_review(settings, people) -> None:  # type: ignore[no-untyped-def]
    world, browsers = people
    to_ngo = draft(
        browsers["sender"], world, kind="ngo_service", recipient=str(world.ngo), subject="Sign language course"
    )
    act(browsers["sender"], to_ngo, "send", who="sender")
    assert act(browsers["ngo"], to_ngo, "decline", "No places left in this term").status_code == 303
    assert referral(settings, to_ngo).inspection_tenant_id is None and referral(settings, to_ngo).answer_due_on is None
    assert browsers["inspector"].get(f"/referrals/{to_ngo}").status_code == 404
    assert "Sign language course" not in browsers["inspector"].get("/reviews").text
    assert "Sign language course" not in browsers["inspector"].get("/referrals").text
    review = post_form(
        browsers["inspector"], f"/referrals/{to_ngo}/review", {"outcome": "hire_agreed", "text": "x" * 20}
    )
    assert review.status_code == 404


def test_a_referral_in_time_is_not_reviewed(settings, people) -> None:  # type: ignore[no-untyped-def]
    world, browsers = people
    referral_id = draft(browsers["sender"], world)
    act(browsers["sender"], referral_id, "send", who="sender")
    page = browsers["inspector"].get(f"/referrals/{referral_id}")
    assert page.status_code == 200 and "Record the outcome" not in page.text
    response = post_form(
        browsers["inspector"],
        f"/referrals/{referral_id}/review",
        {"version": "2", "outcome": "hire_agreed", "text": "x" * 20},
    )
    assert response.status_code == 409 and "left unanswered past its deadline" in response.text
