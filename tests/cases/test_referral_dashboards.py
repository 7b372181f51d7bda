"""The summaries the dashboards show, read through the kernel for each organisation: a recipient's
inbox with time left, an employer's referrals awaiting an answer, the inspection's queue, the
sender's refused and overdue referrals, answers due soon, overdue check-ins."""

from __future__ import annotations

from datetime import UTC, datetime

from portal.access.kernel import Access
from portal.cases import services
from tests.cases.referral_world import MONDAY, act, build, draft
from tests.conftest import login, post_form, with_db
from tests.factories import actor_for
from tests.partnership.factories import policy_of

TUESDAY_10 = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)
THURSDAY_12 = datetime(2026, 3, 12, 5, 0, tzinfo=UTC)


def read(settings, login_name: str, now: datetime, call, only=None):  # type: ignore[no-untyped-def]
    """What `call` shows the person, narrowed to `only` (these referrals' ids): the demo has its own."""

    async def work(session):  # type: ignore[no-untyped-def]
        access = Access(session, await policy_of(session), await actor_for(session, login_name), now)
        return await call(access)

    found = with_db(settings, work)
    if only is None:
        return found
    return [x for x in found if (x.referral.id if hasattr(x, "referral") else x.id) in only]


async def queue_page(access):  # type: ignore[no-untyped-def]
    """The first page of the inspection's review queue."""
    return (await services.review_queue(access)).items


def test_each_dashboard_summary_shows_its_organisation_what_is_due(settings, app, client, make_client) -> None:  # type: ignore[no-untyped-def]
    app.state.clock = lambda: MONDAY
    world = build(settings)
    login(client, "inson.social")
    silent = draft(client, world, subject="Cutter")
    refused = draft(client, world, subject="Packer")
    for rid in (silent, refused):
        act(client, rid, "send", who="sender")
    hr = make_client()
    hr.app.state.clock = lambda: MONDAY
    login(hr, "toqimachi.hr")
    act(hr, refused, "decline", "No vacancy left on this shift")

    mine = {silent, refused}
    inbox = read(settings, "toqimachi.hr", MONDAY, services.referral_inbox, mine)
    assert [(line.subject, line.deadline.working_days_left) for line in inbox] == [("Cutter", 5)]
    assert [line.id for line in read(settings, "toqimachi.hr", MONDAY, services.awaiting_answer, mine)] == [silent]
    assert read(settings, "toqimachi.hr", TUESDAY_10, services.due_soon, mine)[0].id == silent
    assert [line.id for line in read(settings, "inson.social", TUESDAY_10, services.due_soon, mine)] == [silent]
    assert read(settings, "inson.social", MONDAY, services.due_soon, mine) == []
    assert [line.id for line in read(settings, "inson.social", MONDAY, services.sender_alerts, mine)] == [refused]
    assert {line.id for line in read(settings, "inson.social", THURSDAY_12, services.sender_alerts, mine)} == {
        silent,
        refused,
    }
    queue = read(settings, "inspector", THURSDAY_12, queue_page, mine)
    assert {(item.referral.id, item.refused, item.days_late) for item in queue} == {
        (silent, False, 2),
        (refused, True, 0),
    }
    assert read(settings, "ngo.worker", THURSDAY_12, services.referral_inbox, mine) == []
    assert read(settings, "outsider.hr", THURSDAY_12, queue_page) == []

    made = post_form(
        client,
        f"/cases/{world.case_id}/placements",
        {"employer_name": "Chorsu bozori", "job_title": "Seller", "start_date": "2026-03-02"},
    )
    assert made.status_code == 303
    assert read(settings, "inson.social", MONDAY, services.overdue_check_ins) == []
    overdue = [
        line
        for line in read(settings, "inson.social", datetime(2026, 5, 5, 5, 0, tzinfo=UTC), services.overdue_check_ins)
        if line.placement.value("case_id") == world.case_id
    ]
    assert [m.month for m in overdue[0].monitoring.overdue] == [1, 2]
    assert read(settings, "toqimachi.hr", datetime(2026, 5, 5, 5, 0, tzinfo=UTC), services.overdue_check_ins) == []
