"""The people a referral concerns are told in their inbox when it moves: the employer's HR when it
arrives, the sender when it is answered, the labour inspection when it is refused; a deadline near or
passed in silence is a reminder derived from the clock, never a stored notice."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.cases.referral_world import MONDAY, act, build, draft
from tests.conftest import login
from tests.factories import english


@pytest.fixture
def world(settings, app):  # type: ignore[no-untyped-def]
    app.state.clock = lambda: MONDAY
    return build(settings)


def _person(make_client, who: str, when=MONDAY):  # type: ignore[no-untyped-def]
    browser = make_client()
    browser.app.state.clock = lambda: when
    english(browser)
    login(browser, who)
    return browser


def test_a_sent_referral_reaches_the_employer_and_a_refusal_the_inspection_and_the_sender(
    client, make_client, world
) -> None:  # type: ignore[no-untyped-def]
    login(client, "inson.social")
    english(client)
    referral_id = draft(client, world)
    hr = _person(make_client, "toqimachi.hr")
    link = f"/referrals/{referral_id}"
    assert link not in hr.get("/inbox").text
    assert act(client, referral_id, "send", who="sender").status_code == 303

    inbox = hr.get("/inbox").text
    assert "sent your organisation a referral" in inbox and link in inbox
    inspector = _person(make_client, "inspector")
    assert link not in inspector.get("/inbox").text

    assert act(hr, referral_id, "decline", "No accessible entrance to the workshop yet").status_code == 303
    assert "declined your referral" in client.get("/inbox").text
    told = inspector.get("/inbox").text
    assert "refused a referral" in told and link in told
    # Nobody else is told: an outsider's inbox stays empty of it.
    outsider = _person(make_client, "outsider.hr")
    assert link not in outsider.get("/inbox").text


def test_an_answer_due_soon_and_a_silence_are_reminders_from_the_clock(client, make_client, world) -> None:  # type: ignore[no-untyped-def]
    login(client, "inson.social")
    referral_id = draft(client, world)
    assert act(client, referral_id, "send", who="sender").status_code == 303  # due on Tuesday of next week

    assert "is due on" not in _person(make_client, "toqimachi.hr").get("/inbox").text
    due_tomorrow = MONDAY + timedelta(days=7)  # Monday: the last day is the next working day
    assert "is due on 10 March 2026" in _person(make_client, "toqimachi.hr", due_tomorrow).get("/inbox").text
    late = MONDAY + timedelta(days=9)
    assert "was due on 10 March 2026" in _person(make_client, "toqimachi.hr", late).get("/inbox").text
    assert "did not answer a referral by 10 March 2026" in _person(make_client, "inspector", late).get("/inbox").text
