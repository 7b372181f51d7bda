"""Every line of a case's timeline is a sentence in the reader's language: no event the cycle writes is
shown by its code, and a moved stage names both stages."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from portal.cases.case_models import CaseEvent
from tests.conftest import login, with_db


@pytest.mark.parametrize("language", ["uz", "uz_Cyrl", "ru", "en"])
def test_the_demo_timelines_read_as_sentences(client, settings, language: str) -> None:  # type: ignore[no-untyped-def]
    events = with_db(settings, lambda s: s.execute(select(CaseEvent.case_id, CaseEvent.kind)))
    kinds_by_case: dict[int, set[str]] = {}
    for case_id, kind in events:
        kinds_by_case.setdefault(case_id, set()).add(kind)
    written = set().union(*kinds_by_case.values())
    # The demo's casework writes the cycle's events: opened, stages, plans, referrals, a placement, a check-in.
    assert {"case.opened", "case.stage", "referral.sent", "placement.recorded", "placement.check_in"} <= written
    client.cookies.set("portal_lang", language)
    login(client, "inson.social")
    for case_id, kinds in kinds_by_case.items():
        page = client.get(f"/cases/{case_id}")
        assert page.status_code == 200, case_id
        text = html.unescape(page.text)
        assert not [k for k in kinds if k in text], (case_id, [k for k in kinds if k in text])
        assert "«—»" not in text, case_id
