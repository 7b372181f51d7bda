"""Who may choose, open and act on a referral: only partners a live clause ties to the sender for
referrals are offered; anyone who takes no part in a referral gets a 404 for its page, its fragment
and its actions; what a recipient sees of the client is what its clauses share for referrals, and
each such reading is recorded for the client's organisation."""

from __future__ import annotations

import pytest

from tests.cases.referral_world import MONDAY, act, build, draft, referral
from tests.conftest import login, post_form
from tests.factories import english

FORM = {"kind": "employer_job", "subject": "Packer", "message": ""}


@pytest.fixture
def world(settings, app, client):  # type: ignore[no-untyped-def]
    app.state.clock = lambda: MONDAY
    made = build(settings)
    english(client)
    login(client, "inson.social")
    return made


def test_only_partners_with_a_referral_clause_are_offered_and_the_form_says_why(client, settings, world) -> None:  # type: ignore[no-untyped-def]
    listed = client.get("/referrals").text.count('href="/referrals/')  # the demo's own referrals
    form = client.get(f"/cases/{world.case_id}/referrals/new")
    assert form.status_code == 200
    offered = set(__import__("re").findall(r'<option value="(\d+)"', form.text))
    assert {str(world.employer), str(world.ngo)} <= offered
    assert str(world.unshared_employer) not in offered and str(world.outsider) not in offered
    assert "Only organisations with an agreement in force that shares data for referrals" in form.text
    for recipient in (world.unshared_employer, world.outsider, world.inson, 99999):
        refused = post_form(client, f"/cases/{world.case_id}/referrals", {**FORM, "recipient": str(recipient)})
        assert refused.status_code == 422 and 'id="recipient-error"' in refused.text
        assert 'value="Packer"' in refused.text
    to_ngo = post_form(client, f"/cases/{world.case_id}/referrals", {**FORM, "recipient": str(world.ngo)})
    assert to_ngo.status_code == 422 and "goes to an employer" in to_ngo.text
    bad = post_form(client, f"/cases/{world.case_id}/referrals", {"kind": "lottery", "recipient": "", "subject": ""})
    assert bad.status_code == 422 and 'id="kind-error"' in bad.text and 'id="subject-error"' in bad.text
    assert client.get("/referrals").text.count('href="/referrals/') == listed  # nothing was saved


@pytest.mark.parametrize("persona", ["outsider.hr", "ngo.worker", "non.hr", "inspector", "pes.case"])
def test_a_tenant_taking_no_part_gets_a_404_for_the_referral_its_fragment_and_its_actions(
    client, make_client, settings, world, persona
) -> None:  # type: ignore[no-untyped-def]
    referral_id = draft(client, world)
    drafted = referral_id
    sent = draft(client, world, subject="Cutter")
    assert act(client, sent, "send", who="sender").status_code == 303
    other = make_client()
    other.app.state.clock = lambda: MONDAY
    login(other, persona)
    targets = [drafted] + ([] if persona == "inspector" else [sent])
    for rid in targets:
        assert other.get(f"/referrals/{rid}").status_code in (403, 404)
        assert other.get(f"/referrals/{rid}", headers={"HX-Request": "true"}).status_code in (403, 404)
        for path in ("answer/accept", "answer/decline", "sender/withdraw", "review"):
            response = post_form(other, f"/referrals/{rid}/{path}", {"text": "x" * 20, "version": "1"})
            assert response.status_code in (403, 404), (persona, path, response.status_code)
            assert "Cutter" not in response.text and "Sewing" not in response.text
        assert other.get(f"/referrals/{rid}/edit").status_code in (403, 404)
    assert other.get(f"/cases/{world.case_id}/referrals").status_code in (403, 404)
    assert other.get(f"/cases/{world.case_id}/referrals/new").status_code in (403, 404)
    listed = other.get("/referrals")
    assert "Cutter" not in listed.text and "Sewing" not in listed.text
    assert referral(settings, sent).state == "sent" and referral(settings, drafted).state == "draft"


def test_the_recipient_cannot_open_a_draft_and_sees_the_sent_referral_in_its_inbox(client, make_client, world) -> None:  # type: ignore[no-untyped-def]
    referral_id = draft(client, world)
    hr = make_client()
    hr.app.state.clock = lambda: MONDAY
    english(hr)
    login(hr, "toqimachi.hr")
    assert hr.get(f"/referrals/{referral_id}").status_code == 404
    assert "Sewing machine operator" not in hr.get("/referrals").text
    act(client, referral_id, "send", who="sender")
    inbox = hr.get("/referrals")
    assert "Sewing machine operator" in inbox.text and "working days left: 5" in inbox.text
    fragment = hr.get(f"/referrals/{referral_id}", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and 'id="referral-state"' in fragment.text and "<html" not in fragment.text


def test_the_recipients_readings_are_recorded_for_the_clients_organisation(client, make_client, world) -> None:  # type: ignore[no-untyped-def]
    referral_id = draft(client, world)
    act(client, referral_id, "send", who="sender")
    hr = make_client()
    hr.app.state.clock = lambda: MONDAY
    login(hr, "toqimachi.hr")
    act(hr, referral_id, "accept")
    hr.get(f"/referrals/{referral_id}")
    admin = make_client()
    english(admin)
    login(admin, "inson.admin")
    reads = admin.get("/sharing/reads").text
    assert "As the referral&#39;s recipient" in reads or "As the referral's recipient" in reads
    assert "Identity" in reads  # the client's identity, read under the referral clause
