"""No input to the case forms answers 5xx: every field of every form of a real case (the demo seeds no
case, so the app-wide fuzz meets these forms only on 404s) gets the fuzz's nasty values, all at once
and one field at a time, and so do the case list's filters."""

from __future__ import annotations

from portal.access.sharing import local_date
from portal.db import utcnow
from tests.cases.casework import QODIROV, client_id_of, open_case
from tests.conftest import csrf, login, post_form
from tests.security.test_fuzz import ALONE, NASTY, forms_on


def test_no_value_in_any_case_form_makes_a_route_fail(client, settings) -> None:  # type: ignore[no-untyped-def]
    login(client, "inson.social")
    case_id = open_case(client, client_id_of(settings))
    closed = open_case(client, client_id_of(settings, QODIROV))
    today = local_date(utcnow()).isoformat()
    reason = {"reason": "moved_away", "summary": "Moved to Samarkand with the family.", "closed_on": today}
    assert post_form(client, f"/cases/{closed}/closure", reason).status_code == 303

    forms: list[tuple[str, dict[str, str]]] = []
    for url in (f"/cases/{case_id}", *(f"/cases/{case_id}/{p}" for p in ("assessment", "plan", "agreement"))):
        forms += forms_on(client.get(url).text)
    forms += forms_on(client.get(f"/cases/{closed}").text)
    forms.append((f"/cases/{case_id}/closure", reason))
    actions = [(action, fields) for action, fields in forms if action.startswith("/cases/")]
    assert {a.rsplit("/", 1)[1] for a, _f in actions} >= {"stage", "manager", "assessment", "plan", "agreement"}
    assert any(a.endswith("/addenda") for a, _f in actions)
    failures = []
    for action, defaults in actions:
        fields = {k: v for k, v in defaults.items() if k != "_csrf_token"}
        bodies = [dict.fromkeys(fields, value) for value in NASTY]
        bodies += [{**fields, name: value} for name in fields for value in ALONE]
        for body in bodies:
            response = client.post(action, data={**body, "_csrf_token": csrf(client)}, follow_redirects=False)
            if response.status_code >= 500:
                failures.append(f"POST {action} {sorted(body)} -> {response.status_code}")
    for value in NASTY:
        short = value[:1000]  # three 5,000-character values make a query longer than httpx sends
        response = client.get("/cases", params={"stage": short, "mine": short, "before": short})
        if response.status_code >= 500:
            failures.append(f"GET /cases {value[:20]!r} -> {response.status_code}")
    assert not failures, "\n".join(failures[:20])
