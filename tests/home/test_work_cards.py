"""Every role finds its work on its home page, from the demo's data: the social worker's caseload and
the referrals that need attention, the employer's referrals with the time left to answer, the
inspection's review queue, the late check-in. The demo's casework is seeded once, however often the
seed runs."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from portal.cases.models import Case, Referral
from portal.cases.work_seed import seed_casework
from portal.db import utcnow
from tests.conftest import login, with_db


def _card(html: str, key: str) -> str:
    found = re.search(rf'<section[^>]*data-testid="card-{key}".*?</section>', html, re.S)
    assert found, f"no card {key}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0)))


def _home(client, who: str) -> str:  # type: ignore[no-untyped-def]
    login(client, who)
    page = client.get("/", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    return page.text


def test_the_social_worker_sees_the_caseload_and_the_referrals_that_need_attention(client) -> None:  # type: ignore[no-untyped-def]
    html = _home(client, "inson.social")
    caseload = _card(html, "caseload")
    assert "Implementation: 5" in caseload and "Monitoring: 1" in caseload
    alerts = _card(html, "referral-alerts")
    assert "Tikuvchi (moslashtirilgan)" in alerts and "days past the deadline" in alerts
    assert "Qadoqlovchi" in alerts and "Declined" in alerts
    assert "month 2" in _card(html, "check-ins")


def test_the_employer_sees_referrals_awaiting_its_answer_with_the_time_left(client) -> None:  # type: ignore[no-untyped-def]
    inbox = _card(_home(client, "toqimachi.hr"), "referral-inbox")
    assert "2 referrals await your answer" in inbox
    assert "working days left to answer" in inbox and "days past the deadline" in inbox


def test_the_inspector_sees_the_refusal_and_the_silence(client) -> None:  # type: ignore[no-untyped-def]
    queue = _card(_home(client, "inspector"), "review-queue")
    assert "2 referrals await your review" in queue
    assert "Refused with a justification" in queue and "Not answered" in queue


def test_an_organisation_without_work_reads_what_will_appear_and_how_to_start(client) -> None:  # type: ignore[no-untyped-def]
    inbox = _card(_home(client, "outsider.hr"), "referral-inbox")
    assert "No referrals to answer" in inbox and "time left to answer" in inbox


def test_the_demo_casework_is_seeded_once(settings) -> None:  # type: ignore[no-untyped-def]
    async def count(session):  # type: ignore[no-untyped-def]
        return (
            await session.scalar(select(func.count(Case.id))),
            await session.scalar(select(func.count(Referral.id))),
            sorted((await session.scalars(select(Referral.state).distinct())).all()),
        )

    before = with_db(settings, count)
    assert with_db(settings, lambda session: seed_casework(session, utcnow())) == 0
    assert with_db(settings, count) == before
    assert before[2] == sorted(
        ["draft", "sent", "accepted", "declined", "in_progress", "completed", "failed", "withdrawn"]
    )
