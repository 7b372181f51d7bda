"""A placement and its six months of monitoring: recorded from an accepted referral, monthly
check-ins, retention at 28 days, 3 and 6 months, overdue check-ins read from the clock."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from portal.cases.placements import add_months, monitoring
from tests.cases.referral_world import MONDAY, act, build, draft
from tests.conftest import login, post_form
from tests.factories import english


class _CheckIn:
    def __init__(self, month: int, checked_on: date, status: str) -> None:
        self.values = {"month": month, "checked_on": checked_on, "status": status}

    def value(self, name: str, default=None):  # type: ignore[no-untyped-def]
        return self.values.get(name, default)


def test_months_are_added_to_the_same_day_or_the_last_of_a_shorter_month() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 3, 16), 6) == date(2026, 9, 16)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_retention_and_overdue_check_ins_are_derived_from_the_check_ins_and_the_day() -> None:
    start = date(2026, 3, 16)
    fresh = monitoring(start, None, [], date(2026, 4, 1))
    assert fresh.retention == {"28_days": "pending", "3_months": "pending", "6_months": "pending"}
    assert not fresh.overdue and not fresh.months[0].due_soon
    assert monitoring(start, None, [], date(2026, 4, 10)).months[0].due_soon
    late = monitoring(start, None, [], date(2026, 4, 17))
    assert [m.month for m in late.overdue] == [1] and late.retention["28_days"] == "unknown"
    kept = [_CheckIn(1, date(2026, 4, 16), "in_work"), _CheckIn(2, date(2026, 5, 18), "at_risk")]
    later = monitoring(start, None, kept, date(2026, 6, 20))
    assert later.retention == {"28_days": "retained", "3_months": "unknown", "6_months": "pending"}
    assert [m.month for m in later.overdue] == [3]
    left = kept + [_CheckIn(3, date(2026, 6, 10), "left_job")]
    gone = monitoring(start, date(2026, 6, 10), left, date(2026, 12, 1))
    assert gone.retention == {"28_days": "retained", "3_months": "not_retained", "6_months": "not_retained"}
    assert not gone.overdue  # monitoring ends when the person leaves


@pytest.fixture
def placed(settings, app, client, make_client):  # type: ignore[no-untyped-def]
    app.state.clock = lambda: MONDAY
    world = build(settings)
    english(client)
    login(client, "inson.social")
    referral_id = draft(client, world)
    act(client, referral_id, "send", who="sender")
    hr = make_client()
    hr.app.state.clock = lambda: MONDAY
    login(hr, "toqimachi.hr")
    act(hr, referral_id, "accept")
    return world, referral_id, hr


def test_a_placement_is_recorded_from_the_accepted_referral_and_monitored(client, app, placed) -> None:  # type: ignore[no-untyped-def]
    world, referral_id, _hr = placed
    form = client.get(f"/cases/{world.case_id}/placements")
    assert form.status_code == 200 and f'<option value="{referral_id}"' in form.text
    bad = post_form(client, f"/cases/{world.case_id}/placements", {"job_title": "", "start_date": "16.03.2026"})
    assert bad.status_code == 422 and 'id="employer_name-error"' in bad.text and 'id="start_date-error"' in bad.text
    made = post_form(
        client,
        f"/cases/{world.case_id}/placements",
        {"referral": str(referral_id), "job_title": "Sewing machine operator", "start_date": "2026-03-16",
         "contract_registered": "yes"},
    )  # fmt: skip
    assert made.status_code == 303, made.text[:300]
    url = made.headers["location"]
    page = client.get(url)
    assert "Toshkent" in page.text and "16 April 2026" in page.text and "Not reached yet" in page.text
    placement_id = int(url.rstrip("/").rsplit("/", 1)[1])
    app.state.clock = lambda: datetime(2026, 4, 20, 6, 0, tzinfo=UTC)
    login(client, "inson.social")
    assert "Overdue" in client.get(url).text
    assert "check-ins overdue: 1" in client.get("/placements").text
    future = post_form(
        client, f"/placements/{placement_id}/check-ins", {"month": "1", "checked_on": "2026-05-01", "status": "in_work"}
    )
    assert future.status_code == 422 and 'id="checked_on-error"' in future.text
    done = post_form(
        client, f"/placements/{placement_id}/check-ins", {"month": "1", "checked_on": "2026-04-18", "status": "in_work"}
    )
    assert done.status_code == 303
    page = client.get(url).text
    assert "Overdue" not in page and re.search(r"28 days</dt><dd>In work", page)
    twice = post_form(
        client, f"/placements/{placement_id}/check-ins", {"month": "1", "checked_on": "2026-04-19", "status": "in_work"}
    )
    assert twice.status_code == 422 and "already recorded" in twice.text


def test_another_organisation_gets_a_404_for_the_placement_pages(client, make_client, placed) -> None:  # type: ignore[no-untyped-def]
    world, referral_id, hr = placed
    made = post_form(
        client,
        f"/cases/{world.case_id}/placements",
        {"referral": str(referral_id), "job_title": "Packer", "start_date": "2026-03-16"},
    )
    placement_id = int(made.headers["location"].rstrip("/").rsplit("/", 1)[1])
    outsider = make_client()
    login(outsider, "outsider.hr")
    for browser in (outsider, hr):
        assert browser.get(f"/placements/{placement_id}").status_code in (403, 404)
        assert browser.get(f"/cases/{world.case_id}/placements").status_code in (403, 404)
        response = post_form(
            browser,
            f"/placements/{placement_id}/check-ins",
            {"month": "1", "checked_on": "2026-04-01", "status": "in_work"},
        )
        assert response.status_code in (403, 404)
        assert "Packer" not in browser.get("/placements").text
