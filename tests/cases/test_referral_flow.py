"""A referral through its life over HTTP: drafted from a case, sent, answered, ended; the recipient's
view of the client follows the referral, and the choice of recipient follows the clauses."""

from __future__ import annotations

import pytest

from tests.cases.referral_world import MONDAY, act, build, draft, engagement, referral
from tests.conftest import login
from tests.factories import english


@pytest.fixture
def world(settings, app):  # type: ignore[no-untyped-def]
    app.state.clock = lambda: MONDAY
    return build(settings)


def test_a_referral_is_drafted_sent_accepted_and_completed_and_the_engagement_follows(
    client, make_client, settings, app, world
) -> None:  # type: ignore[no-untyped-def]
    login(client, "inson.social")
    referral_id = draft(client, world)
    assert referral(settings, referral_id).state == "draft"
    assert act(client, referral_id, "send", who="sender").status_code == 303
    sent = referral(settings, referral_id)
    assert sent.state == "sent" and sent.answer_due_on.isoformat() == "2026-03-10"
    assert sent.inspection_tenant_id == world.inspection

    hr = make_client()
    hr.app.state.clock = lambda: MONDAY
    english(hr)
    login(hr, "toqimachi.hr")
    before = hr.get(f"/referrals/{referral_id}")
    assert before.status_code == 200 and "Sewing machine operator" in before.text
    assert "Qodirova" not in before.text  # engaged scope: nothing of the client before accepting
    assert act(hr, referral_id, "accept").status_code == 303
    accepted = referral(settings, referral_id)
    assert accepted.state == "accepted" and accepted.engagement_id is not None
    after = hr.get(f"/referrals/{referral_id}")
    assert "Qodirova" in after.text and "+998 90 777 66 55" not in after.text  # contact is shared for job matching only
    assert act(hr, referral_id, "start").status_code == 303
    assert act(hr, referral_id, "complete", "Hired on a permanent contract").status_code == 303
    done = referral(settings, referral_id)
    assert done.state == "completed" and done.ended_at is not None
    assert engagement(settings, done.engagement_id).closed_on is not None
    assert "Qodirova" not in hr.get(f"/referrals/{referral_id}").text
