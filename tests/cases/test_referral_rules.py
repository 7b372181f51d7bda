"""Every forbidden referral transition is refused with a message saying why, and changes nothing;
bad input is shown beside its field. Through the real pages, as the sender, the recipient and the
labour inspection."""

from __future__ import annotations

import pytest

from tests.cases.referral_world import MONDAY, act, build, draft, referral, version_on
from tests.conftest import login, post_form
from tests.factories import english

# The way to each state, as (persona, action) steps after the draft.
PATHS = {
    "draft": [],
    "sent": [("sender", "send")],
    "accepted": [("sender", "send"), ("hr", "accept")],
    "declined": [("sender", "send"), ("hr", "decline")],
    "in_progress": [("sender", "send"), ("hr", "accept"), ("hr", "start")],
    "completed": [("sender", "send"), ("hr", "accept"), ("hr", "start"), ("hr", "complete")],
    "failed": [("sender", "send"), ("hr", "accept"), ("hr", "start"), ("hr", "fail")],
    "withdrawn": [("sender", "send"), ("sender", "withdraw")],
}
NOT_IN_STATE = "This cannot be done to a referral that is"
ONLY_RECIPIENT = "Only the organisation the referral is addressed to can do this."
ONLY_SENDER = "Only the organisation that sent the referral can do this."
FORBIDDEN = [
    ("draft", "sender", "accept", ONLY_RECIPIENT),
    ("draft", "sender", "withdraw", NOT_IN_STATE),
    ("sent", "sender", "send", NOT_IN_STATE),
    ("sent", "sender", "decline", ONLY_RECIPIENT),
    ("sent", "hr", "start", NOT_IN_STATE),
    ("sent", "hr", "complete", NOT_IN_STATE),
    ("accepted", "hr", "accept", NOT_IN_STATE),
    ("accepted", "hr", "decline", NOT_IN_STATE),
    ("accepted", "hr", "complete", NOT_IN_STATE),
    ("declined", "sender", "withdraw", NOT_IN_STATE),
    ("declined", "hr", "accept", NOT_IN_STATE),
    ("in_progress", "hr", "start", NOT_IN_STATE),
    ("in_progress", "sender", "complete", ONLY_RECIPIENT),
    ("completed", "sender", "withdraw", NOT_IN_STATE),
    ("completed", "hr", "fail", NOT_IN_STATE),
    ("failed", "hr", "complete", NOT_IN_STATE),
    ("withdrawn", "hr", "accept", NOT_IN_STATE),
    ("withdrawn", "sender", "send", NOT_IN_STATE),
]


@pytest.fixture
def parties(settings, app, client, make_client):  # type: ignore[no-untyped-def]
    app.state.clock = lambda: MONDAY
    world = build(settings)
    hr = make_client()
    hr.app.state.clock = lambda: MONDAY
    for browser, who in ((client, "inson.social"), (hr, "toqimachi.hr")):
        english(browser)
        login(browser, who)
    return world, {"sender": client, "hr": hr}


def reach(world, browsers, state: str) -> int:  # type: ignore[no-untyped-def]
    referral_id = draft(browsers["sender"], world)
    for who, action in PATHS[state]:
        text = "Not enough experience for this line" if action in ("decline", "fail") else ""
        step = act(
            browsers[who], referral_id, action, text, who="sender" if action in ("send", "withdraw") else "answer"
        )
        assert step.status_code == 303, (state, who, action, step.text[:300])
    return referral_id


@pytest.mark.parametrize(("state", "who", "action", "message"), FORBIDDEN)
def test_a_forbidden_transition_says_why_and_changes_nothing(settings, parties, state, who, action, message) -> None:  # type: ignore[no-untyped-def]
    world, browsers = parties
    referral_id = reach(world, browsers, state)
    before = referral(settings, referral_id)
    route = "sender" if action in ("send", "withdraw") else "answer"
    response = act(browsers[who], referral_id, action, "Some reason long enough", who=route)
    assert response.status_code == 409, response.text[:500]
    assert message in response.text
    after = referral(settings, referral_id)
    assert (after.state, after.version, after.engagement_id) == (before.state, before.version, before.engagement_id)


def test_a_refusal_without_a_reason_is_refused_beside_the_field(settings, parties) -> None:  # type: ignore[no-untyped-def]
    world, browsers = parties
    referral_id = reach(world, browsers, "sent")
    response = act(browsers["hr"], referral_id, "decline", "  no  ")
    assert response.status_code == 422
    assert 'id="text-decline-error"' in response.text and "it goes to the labour inspection" in response.text
    assert referral(settings, referral_id).state == "sent"


def test_an_action_on_a_referral_changed_meanwhile_is_refused(settings, parties) -> None:  # type: ignore[no-untyped-def]
    world, browsers = parties
    referral_id = reach(world, browsers, "draft")
    sender = browsers["sender"]
    stale = version_on(sender.get(f"/referrals/{referral_id}").text)
    form = {"kind": "employer_job", "recipient": str(world.employer), "subject": "Cutter, day shift"}
    assert post_form(sender, f"/referrals/{referral_id}", {**form, "version": stale}).status_code == 303
    response = post_form(sender, f"/referrals/{referral_id}/sender/send", {"version": stale})
    assert response.status_code == 409 and "Someone else changed this referral" in response.text
    again = post_form(sender, f"/referrals/{referral_id}", {**form, "subject": "Packer", "version": stale})
    assert again.status_code == 409 and "Someone else changed this referral" in again.text
    assert 'value="Packer"' in again.text and "Cutter, day shift" in again.text  # both versions shown
    row = referral(settings, referral_id)
    assert (row.state, row.subject) == ("draft", "Cutter, day shift")


def test_an_unknown_action_and_a_wrong_role_change_nothing(settings, parties) -> None:  # type: ignore[no-untyped-def]
    world, browsers = parties
    referral_id = reach(world, browsers, "sent")
    assert act(browsers["hr"], referral_id, "explode").status_code == 409
    assert act(browsers["hr"], referral_id, "withdraw", who="sender").status_code == 403  # HR does not send
    assert referral(settings, referral_id).state == "sent"


def test_withdrawing_an_accepted_referral_closes_the_engagement(settings, parties) -> None:  # type: ignore[no-untyped-def]
    from tests.cases.referral_world import engagement

    world, browsers = parties
    referral_id = reach(world, browsers, "accepted")
    assert "Qodirova" in browsers["hr"].get(f"/referrals/{referral_id}").text
    assert act(browsers["sender"], referral_id, "withdraw", "The client moved away", who="sender").status_code == 303
    row = referral(settings, referral_id)
    assert row.state == "withdrawn" and engagement(settings, row.engagement_id).closed_on is not None
    assert "Qodirova" not in browsers["hr"].get(f"/referrals/{referral_id}").text
