"""The owner's "who read our data" page: filtered by partner, client, period and kind of read, paged
newest first by keyset, without JavaScript; bad filters are refused beside the field; only the
owner's own entries ever appear."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from portal.access import audit
from portal.access.overview import reading_partners
from portal.tenants.models import User
from tests.conftest import login, with_db
from tests.factories import english, tenant_id

LISTED = [7000 + i for i in range(60)]  # rows shown in a list by the first partner
OPENED = 6123  # one record opened by the second partner, before the list reloads
FOREIGN = 8555  # a client of another owner, read by the same partner
MARCH_10 = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)
MARCH_12 = datetime(2026, 3, 12, 20, 30, tzinfo=UTC)  # 13.03.2026 01:30 in Tashkent


def _seed(settings) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        inson = await tenant_id(session, "inson-yunusobod")
        first, second = [p for p, _n in await reading_partners(session, inson)][:2]
        reader = await session.scalar(select(User.id).where(User.login == "ngo.worker"))
        detail = {"categories": ["identity"], "clauses": ["version:1:clause:1"]}
        await audit.record_reads(
            session, actor_user_id=reader, actor_tenant_id=second, reads=[("client", OPENED, inson, detail)],
            kind="open", now=MARCH_12,
        )  # fmt: skip
        for row in LISTED:  # list reloads, one row each, newer than the opened record
            await audit.record_reads(
                session, actor_user_id=reader, actor_tenant_id=first, reads=[("client", row, inson, detail)],
                kind="list", now=MARCH_10 + timedelta(days=5),
            )  # fmt: skip
        pes = await tenant_id(session, "pes-yunusobod")
        await audit.record_reads(
            session, actor_user_id=reader, actor_tenant_id=first, reads=[("client", FOREIGN, pes, detail)],
            kind="open", now=MARCH_12,
        )  # fmt: skip
        await audit.record_reads(  # INSON reading its own client is not a reading by another organisation
            session, actor_user_id=reader, actor_tenant_id=inson, reads=[("client", 6999, inson, detail)], kind="open"
        )
        return first, second

    return with_db(settings, work)


def _clients(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'href="/clients/(\d+)"', html)}


def test_list_views_do_not_push_an_opened_record_out_of_sight(client, settings) -> None:  # type: ignore[no-untyped-def]
    first, second = _seed(settings)
    english(client)
    login(client, "inson.admin")
    newest = client.get("/sharing/reads")
    assert newest.status_code == 200
    assert _clients(newest.text) == set(LISTED[-50:])
    assert "Shown in a list" in newest.text and "Older readings" in newest.text
    older_link = re.search(r'href="/sharing/reads\?([^"]*before=\d+[^"]*)"', newest.text)
    assert older_link is not None
    older = client.get("/sharing/reads?" + older_link.group(1).replace("&amp;", "&"))
    assert _clients(older.text) == set(LISTED[:10]) | {OPENED}
    assert "Older readings" not in older.text and "Newest readings" in older.text

    opened = client.get("/sharing/reads", params={"kind": "open"})
    assert _clients(opened.text) == {OPENED} and "Record opened" in opened.text
    assert "13 March 2026 01:30" in opened.text  # Tashkent time (English dates read as words)
    by_partner = client.get("/sharing/reads", params={"partner": str(second)})
    assert _clients(by_partner.text) == {OPENED}
    assert _clients(client.get("/sharing/reads", params={"partner": str(first)}).text) == set(LISTED[-50:])
    by_client = client.get("/sharing/reads", params={"client": str(LISTED[3])})
    assert _clients(by_client.text) == {LISTED[3]}
    in_period = client.get("/sharing/reads", params={"date_from": "11.03.2026", "date_to": "13.03.2026"})
    assert _clients(in_period.text) == {OPENED}
    before_it = client.get("/sharing/reads", params={"date_to": "12.03.2026"})
    assert before_it.status_code == 200 and _clients(before_it.text) == set()
    assert "No readings match these filters." in before_it.text


def test_another_owners_entries_never_appear(client, make_client, settings) -> None:  # type: ignore[no-untyped-def]
    first, _second = _seed(settings)
    english(client)
    login(client, "inson.admin")
    for params in ({}, {"client": str(FOREIGN)}, {"partner": str(first)}, {"kind": "open"}):
        page = client.get("/sharing/reads", params=params)
        assert FOREIGN not in _clients(page.text) and 6999 not in _clients(page.text)
    pes = make_client()
    english(pes)
    login(pes, "pes.admin")
    theirs = pes.get("/sharing/reads")
    assert theirs.status_code == 200
    assert _clients(theirs.text) == {FOREIGN}
    assert _clients(pes.get("/sharing/reads", params={"client": str(OPENED)}).text) == set()


def test_bad_filters_are_refused_beside_their_field_with_the_text_kept(client, settings) -> None:  # type: ignore[no-untyped-def]
    english(client)
    login(client, "inson.admin")
    bad = {"partner": "99999999", "client": "1²", "date_from": "31.02.2026", "date_to": "2026-03-01", "kind": "peek"}
    page = client.get("/sharing/reads", params=bad)
    assert page.status_code == 422
    assert 'id="partner-error"' in page.text and "Choose a partner organisation from the list." in page.text
    assert "Enter a client number in digits, e.g. 12." in page.text and 'value="1²"' in page.text
    # beside each of the two fields, and again in the error summary above the form
    assert page.text.count("Enter a date as day.month.year, e.g. 25.11.2026.") == 4
    assert 'value="31.02.2026"' in page.text and 'value="2026-03-01"' in page.text
    assert "Choose a kind of read from the list." in page.text
    backwards = client.get("/sharing/reads", params={"date_from": "12.03.2026", "date_to": "11.03.2026"})
    assert backwards.status_code == 422 and "The period ends before it starts." in backwards.text
    huge = client.get("/sharing/reads", params={"client": "9" * 30, "before": "9" * 30})
    assert huge.status_code == 422


def test_the_page_speaks_every_language(client, settings) -> None:  # type: ignore[no-untyped-def]
    _seed(settings)
    login(client, "inson.admin")
    expected = {"uz": "Roʻyxatda koʻrsatildi", "uz_Cyrl": "Рўйхатда кўрсатилди", "ru": "Показано в списке"}
    for lang, words in expected.items():
        client.cookies.set("portal_lang", lang)
        assert words in client.get("/sharing/reads").text
