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
    # Why: whose data, the engagement and the consent behind it, and a link to the clause.
    assert "Why you can see this client" in page.text and "Engaged with your organisation through" in page.text
    assert "consented to sharing with your organisation" in page.text and "#clause-1" in page.text
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


def test_grants_are_bound_to_what_was_signed(client, settings) -> None:  # type: ignore[no-untyped-def]
    """Finding 12: with write access to the database, adding categories to a clause row and to its grant
    rows shows a partner nothing more; the data owner's log records the refused rows."""
    from portal.access.models import AccessGrant
    from portal.partnership import compiler
    from portal.partnership.models import Clause

    with_db(settings, set_aside_demo_agreements)
    client_id, _p, _c = seeded(settings)
    agreement_id = share_with_ngo(settings)

    async def tamper(session):  # type: ignore[no-untyped-def]
        from portal.partnership.models import AgreementVersion

        version = await session.scalar(select(AgreementVersion).where(AgreementVersion.agreement_id == agreement_id))
        clause = await session.scalar(select(Clause).where(Clause.version_id == version.id))
        clause.categories = [*clause.categories, "contact", "case_notes"]
        model = await session.scalar(select(AccessGrant).where(AccessGrant.source.like(f"version:{version.id}:%")))
        for category in ("contact", "case_notes"):
            fields = {c.name: getattr(model, c.name) for c in AccessGrant.__table__.columns if c.name != "id"}
            session.add(AccessGrant(**{**fields, "category": category}))
        return version.id

    version_id = with_db(settings, tamper)
    english(client)
    login(client, "ngo.worker")
    page = client.get(f"/clients/{client_id}")
    assert page.status_code == 200
    assert "+998 90" not in page.text and "Lives with parents" not in page.text  # contact and notes stay hidden
    assert SHAHZOD in page.text  # what was signed still holds

    async def alerts(session):  # type: ignore[no-untyped-def]
        rows = await session.scalars(select(AuditEntry).where(AuditEntry.action == "access.grant_refused"))
        return [(e.owner_tenant_id, e.detail["category"]) for e in rows.all()]

    inson = with_db(settings, lambda s: tenant_id(s, "inson-yunusobod"))
    assert {(inson, "contact")} <= set(with_db(settings, alerts))

    # Recompiling reads the signed terms, not the changed clause row: still no contact data.
    async def recompile(session):  # type: ignore[no-untyped-def]
        return await compiler.install(session, version_id)

    with_db(settings, recompile)
    assert "+998 90" not in client.get(f"/clients/{client_id}").text


def test_a_version_whose_signatures_do_not_verify_compiles_to_nothing(settings) -> None:  # type: ignore[no-untyped-def]
    from portal.access.models import AccessGrant
    from portal.partnership import compiler
    from portal.partnership.models import AgreementVersion, Signature

    with_db(settings, set_aside_demo_agreements)
    agreement_id = share_with_ngo(settings)

    async def forge(session):  # type: ignore[no-untyped-def]
        version = await session.scalar(select(AgreementVersion).where(AgreementVersion.agreement_id == agreement_id))
        signature = await session.scalar(select(Signature).where(Signature.version_id == version.id))
        signature.signer_name = "Someone else"  # the seal no longer holds
        await session.flush()
        installed = await compiler.install(session, version.id)
        left = await session.scalar(
            select(func.count()).select_from(AccessGrant).where(AccessGrant.source.like(f"version:{version.id}:%"))
        )
        refused = await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "agreement.compile_refused")
        )
        return installed, left, refused

    assert with_db(settings, forge) == (0, 0, 1)


def test_the_client_list_is_newest_first_and_paged_never_sorted_by_a_hidden_name(client, settings) -> None:  # type: ignore[no-untyped-def]
    """Finding 10: the order of a partner's list must not leak names it may not see, and no client is cut
    off without a way to reach it."""
    from tests.factories import make_client as add_client

    async def many(session):  # type: ignore[no-untyped-def]
        inson = await tenant_id(session, "inson-yunusobod")
        # Names in reverse alphabetical order of registration: sorting by name would reverse the list.
        return [(await add_client(session, inson, full_name=f"Zz {999 - i:03d} Mijoz")).id for i in range(60)]

    added = with_db(settings, many)
    english(client)
    login(client, "inson.social")
    first = client.get("/clients")
    shown = [int(i) for i in re.findall(r'href="/clients/(\d+)"', first.text)]
    assert shown == sorted(shown, reverse=True) and len(shown) == 50
    assert shown[:50] == sorted(added, reverse=True)[:50]
    older = re.search(r'href="(/clients\?before=\d+)"', first.text)
    assert older is not None, "an older page is offered"
    rest = [int(i) for i in re.findall(r'href="/clients/(\d+)"', client.get(older.group(1)).text)]
    assert set(added) <= set(shown) | set(rest) and not set(shown) & set(rest)
