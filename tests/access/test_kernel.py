"""The request's Access: every cross-tenant read audited once (lists too), notes shared only by a
clause that says so, the owner's row for writing, and the partners a live clause ties to the owner."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from portal.access.models import AuditEntry
from portal.cases.models import CaseNote, Client
from tests.cases.test_client_routes import SHAHZOD, seeded, share_with_ngo
from tests.conftest import login, post_form, with_db
from tests.factories import english, set_aside_demo_agreements, tenant_id


def reads_by(settings, login_name: str) -> list[tuple[str, str | None, str]]:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        from portal.tenants.models import User

        user_id = await session.scalar(select(User.id).where(User.login == login_name))
        entries = (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.actor_user_id == user_id, AuditEntry.action.like("%.read"))
                .order_by(AuditEntry.id)
            )
        ).all()
        return [(e.action, e.object_id, e.kind or "") for e in entries]

    return with_db(settings, work)


def test_every_cross_tenant_read_writes_exactly_one_audit_entry_for_lists_too(client, settings) -> None:  # type: ignore[no-untyped-def]
    with_db(settings, set_aside_demo_agreements)
    client_id, _p, _c = seeded(settings)
    share_with_ngo(settings)
    english(client)
    login(client, "ngo.worker")
    listed = client.get("/clients")
    assert listed.status_code == 200 and SHAHZOD in listed.text
    shown = len(set(re.findall(r'href="/clients/(\d+)"', listed.text)))
    entries = reads_by(settings, "ngo.worker")
    assert len(entries) == shown and shown >= 2
    assert {kind for _a, _o, kind in entries} == {"list"}
    assert len({object_id for _a, object_id, _k in entries}) == shown  # one entry per row, not per page
    assert client.get(f"/clients/{client_id}").status_code == 200
    after = reads_by(settings, "ngo.worker")
    assert after[len(entries) :] == [("client.read", str(client_id), "open")]
    # the owner's own reads are not cross-tenant reads
    login(client, "inson.social")
    client.get("/clients")
    client.get(f"/clients/{client_id}")
    assert reads_by(settings, "inson.social") == []


def test_case_notes_reach_a_partner_only_under_a_clause_that_shares_them(client, make_client, settings) -> None:  # type: ignore[no-untyped-def]
    with_db(settings, set_aside_demo_agreements)
    client_id, _p, _c = seeded(settings)
    share_with_ngo(settings)
    owner = make_client()
    english(owner)
    login(owner, "inson.social")
    response = post_form(owner, f"/clients/{client_id}/notes", {"body": "Prefers morning shifts near the metro"})
    assert response.status_code == 303
    assert "Prefers morning shifts" in owner.get(f"/clients/{client_id}").text
    english(client)
    login(client, "ngo.worker")
    page = client.get(f"/clients/{client_id}")
    assert page.status_code == 200 and "Prefers morning shifts" not in page.text
    share_with_ngo(settings, categories=["case_notes"])
    page = client.get(f"/clients/{client_id}")
    assert "Prefers morning shifts" in page.text
    note_reads = [e for e in reads_by(settings, "ngo.worker") if e[0] == "case_note.read"]
    assert len(note_reads) == 2  # the note added above and the demo's first note, one entry each
    # a partner cannot write a note about another organisation's client, nor read a stranger's notes
    assert post_form(client, f"/clients/{client_id}/notes", {"body": "Not ours to write"}).status_code == 404
    login(client, "outsider.hr")
    assert client.get(f"/clients/{client_id}").status_code == 404

    async def count(session):  # type: ignore[no-untyped-def]
        return await session.scalar(select(func.count()).select_from(CaseNote).where(CaseNote.client_id == client_id))

    assert with_db(settings, count) == 2


def test_a_note_that_is_too_short_is_refused_beside_the_field_and_kept(client, settings) -> None:  # type: ignore[no-untyped-def]
    client_id, _p, _c = seeded(settings)
    english(client)
    login(client, "inson.social")
    response = post_form(client, f"/clients/{client_id}/notes", {"body": "x"})
    assert response.status_code == 422
    assert 'id="note-body-error"' in response.text and ">x</textarea>" in response.text


def test_the_owner_row_for_writing_is_a_404_for_every_other_tenant(client, settings) -> None:  # type: ignore[no-untyped-def]
    client_id, _p, _c = seeded(settings)
    share_with_ngo(settings)
    for name in ("ngo.worker", "pes.case", "outsider.hr"):
        login(client, name)
        assert client.get(f"/clients/{client_id}/edit").status_code in (403, 404)
        assert post_form(client, f"/clients/{client_id}", {"full_name": "Changed"}).status_code in (403, 404)

    async def unchanged(session):  # type: ignore[no-untyped-def]
        return (await session.get(Client, client_id)).full_name

    assert with_db(settings, unchanged) == SHAHZOD


def test_partners_for_a_purpose_are_the_recipients_of_live_clauses(settings) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from portal.access.kernel import Access
    from portal.access.policy import PolicyStore
    from tests.factories import actor_for

    with_db(settings, set_aside_demo_agreements)
    share_with_ngo(settings)

    async def work(session):  # type: ignore[no-untyped-def]
        from portal.db import make_engine

        policy = PolicyStore(make_engine(settings.database_url), settings.policy_model)
        now = datetime.now(UTC)
        inson = Access(session, policy, await actor_for(session, "inson.social"), now)
        ngo = Access(session, policy, await actor_for(session, "ngo.worker"), now)
        return (
            await inson.partners("referral"),
            await inson.partners("monitoring"),
            await ngo.partners("referral"),
            await tenant_id(session, "ngo-sharoit-plus"),
        )

    referral, monitoring, reverse, ngo_id = with_db(settings, work)
    assert referral == [ngo_id] and monitoring == [] and reverse == []
