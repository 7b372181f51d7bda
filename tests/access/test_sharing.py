"""Cross-tenant sharing of client data: granted only by a live clause, gone the moment it ends."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update

from portal.access.audit_check import verify_chain
from portal.access.kernel import Access
from portal.access.models import AccessGrant, AuditEntry, CasbinRule
from portal.access.policy import PolicyStore, bump_revision
from portal.cases.models import FIELD_CATEGORIES, Client
from portal.db import Base, make_engine, make_sessionmaker
from portal.settings import Settings
from portal.tenants.models import Tenant
from portal.tenants.seed import ensure_tenant
from tests.access import kernel_calls as sharing
from tests.factories import (
    actor_for,
    consent,
    engage,
    make_agreement,
    make_client,
    set_aside_demo_agreements,
    tenant_id,
    terminate,
)

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
SHARED = ["identity", "disability", "education"]


def scenario(settings: Settings, work):  # type: ignore[no-untyped-def]
    """Run `await work(session, policy)` with one engine, a session and this process's policy store."""

    async def go():  # type: ignore[no-untyped-def]
        engine = make_engine(settings.database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                await set_aside_demo_agreements(session)
                return await work(session, PolicyStore(engine, settings.policy_model))
        finally:
            await engine.dispose()

    return asyncio.run(go())


async def pilot(session, **clause):  # type: ignore[no-untyped-def]
    """INSON shares SHARED with the NGO for engaged clients with consent; one such client, one not."""
    inson = await tenant_id(session, "inson-yunusobod")
    ngo = await tenant_id(session, "ngo-sharoit-plus")
    spec = {"owner": inson, "recipient": ngo, "categories": SHARED, "scope": "engaged", "consent_required": True}
    spec.update(clause)
    version = await make_agreement(session, clauses=[spec])
    shared = await make_client(session, inson)
    await engage(session, shared, ngo)
    given = await consent(session, shared, ngo)
    other = await make_client(session, inson, full_name="Bobur Aliyev")
    await session.commit()
    return version, shared, other, given


async def reads(session, policy, login, client_id, now=NOW, category=None):  # type: ignore[no-untyped-def]
    actor = await actor_for(session, login)
    return await sharing.authorize(session, actor, "read", client_id, category, now=now, policy=policy)


async def listed(session, policy, login, now=NOW, category=None):  # type: ignore[no-untyped-def]
    actor = await actor_for(session, login)
    stmt = await sharing.scope(select(Client.id), session, actor, "read", now=now, policy=policy, category=category)
    return set((await session.scalars(stmt)).all())


def test_a_partner_sees_only_the_shared_categories_of_an_engaged_consenting_client(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session, policy):  # type: ignore[no-untyped-def]
        version, shared, other, _c = await pilot(session)
        decision = await reads(session, policy, "ngo.worker", shared.id)
        assert decision.allowed and not decision.own
        assert decision.categories == frozenset(SHARED)
        assert len(decision.sources) == 1
        assert decision.sources[0].startswith(f"version:{version.id}:clause:")
        assert not (await reads(session, policy, "ngo.worker", other.id)).allowed
        assert await listed(session, policy, "ngo.worker") == {shared.id}
        # the owner sees both, the outsider nothing
        assert {shared.id, other.id} <= await listed(session, policy, "inson.social")
        assert await listed(session, policy, "outsider.hr") == set()
        assert not (await reads(session, policy, "outsider.hr", shared.id)).allowed

    scenario(settings, work)


def test_access_disappears_when_the_agreement_is_terminated(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session, policy):  # type: ignore[no-untyped-def]
        version, shared, _o, _c = await pilot(session)
        assert (await reads(session, policy, "ngo.worker", shared.id)).allowed
        await terminate(session, version)
        await session.commit()
        assert not (await reads(session, policy, "ngo.worker", shared.id)).allowed
        assert await listed(session, policy, "ngo.worker") == set()

    scenario(settings, work)


def test_access_disappears_at_expiry_when_the_clock_moves(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session, policy):  # type: ignore[no-untyped-def]
        _v, shared, _o, _c = await pilot(session)
        last_day = datetime(2026, 12, 31, 18, 0, tzinfo=UTC)  # 23:00 in Tashkent
        assert (await reads(session, policy, "ngo.worker", shared.id, now=last_day)).allowed
        after = last_day + timedelta(hours=1)  # past midnight in Tashkent
        assert not (await reads(session, policy, "ngo.worker", shared.id, now=after)).allowed
        assert await listed(session, policy, "ngo.worker", now=after) == set()
        before = datetime(2025, 12, 31, 12, 0, tzinfo=UTC)
        assert not (await reads(session, policy, "ngo.worker", shared.id, now=before)).allowed

    scenario(settings, work)


def test_access_ends_on_the_clause_end_date(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session, policy):  # type: ignore[no-untyped-def]
        _v, shared, _o, _c = await pilot(session, ends_on=date(2026, 7, 1))
        assert (await reads(session, policy, "ngo.worker", shared.id)).allowed
        last_day = datetime(2026, 7, 1, 18, 0, tzinfo=UTC)  # 23:00 in Tashkent
        assert (await reads(session, policy, "ngo.worker", shared.id, now=last_day)).allowed
        day_after = datetime(2026, 7, 1, 19, 30, tzinfo=UTC)  # 00:30 on 2 July in Tashkent
        assert not (await reads(session, policy, "ngo.worker", shared.id, now=day_after)).allowed

    scenario(settings, work)


def test_access_disappears_at_consent_withdrawal(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session, policy):  # type: ignore[no-untyped-def]
        _v, shared, _o, given = await pilot(session)
        assert (await reads(session, policy, "ngo.worker", shared.id)).allowed
        given.withdrawn_at = NOW - timedelta(minutes=1)
        await session.commit()
        assert not (await reads(session, policy, "ngo.worker", shared.id)).allowed
        assert await listed(session, policy, "ngo.worker") == set()

    scenario(settings, work)


def test_an_engaged_scope_clause_grants_nothing_for_a_client_not_engaged(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session, policy):  # type: ignore[no-untyped-def]
        _v, shared, other, _c = await pilot(session, consent_required=False)
        assert not (await reads(session, policy, "ngo.worker", other.id)).allowed
        # an engagement that was closed no longer counts either
        engagement_closed = await engage(
            session, other, await tenant_id(session, "ngo-sharoit-plus"), closed_on=date(2026, 5, 1)
        )
        await session.commit()
        assert engagement_closed.closed_on is not None
        assert not (await reads(session, policy, "ngo.worker", other.id)).allowed
        assert await listed(session, policy, "ngo.worker") == {shared.id}

    scenario(settings, work)


def test_a_shared_field_explains_its_agreement_and_clause(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session, policy):  # type: ignore[no-untyped-def]
        version, shared, _o, _c = await pilot(session)
        actor = await actor_for(session, "ngo.worker")
        view = await Access(session, policy, actor, NOW).get(Client, shared.id)
        assert set(view.fields) == {n for n, c in FIELD_CATEGORIES.items() if c in SHARED}
        assert "pinfl" not in view.fields and "phone" not in view.fields
        (reason,) = view.fields["work_recommendation"].reasons
        assert reason.agreement_id == version.agreement_id
        assert reason.agreement_title == "Pilot data-sharing agreement"
        assert reason.clause_number == 1
        assert reason.signed_on == date(2025, 12, 20)

    scenario(settings, work)


def test_an_empty_policy_denies_everything(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session, policy):  # type: ignore[no-untyped-def]
        _v, shared, _o, _c = await pilot(session)
        await session.execute(CasbinRule.__table__.delete())
        await bump_revision(session)
        await session.commit()
        for login in ("ngo.worker", "inson.social"):
            assert not (await reads(session, policy, login, shared.id)).allowed
            assert await listed(session, policy, login) == set()

    scenario(settings, work)


def test_tenant_1_never_matches_tenant_10(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session, policy):  # type: ignore[no-untyped-def]
        names = {"uz": "X", "uz_Cyrl": "X", "ru": "X", "en": "X"}
        for i in range(12):
            await ensure_tenant(
                session, slug=f"extra-{i}", kind="ngo", names=names, region="tashkent-city", district=None
            )
        await session.commit()
        inson = await tenant_id(session, "inson-yunusobod")
        shared = await make_client(session, inson)
        reader = await actor_for(session, "pes.case")
        ten = int(f"{reader.tenant_id}0")
        assert await session.get(Tenant, ten) is not None
        # a clause to tenant "<reader>0" (e.g. 10 for 1), and a hand-made line naming "tenant:<reader>0"
        await make_agreement(session, clauses=[{"owner": inson, "recipient": ten, "categories": SHARED}])
        await session.commit()
        assert not (await sharing.authorize(session, reader, "read", shared.id, now=NOW, policy=policy)).allowed
        stmt = await sharing.scope(select(Client.id), session, reader, "read", now=NOW, policy=policy)
        assert shared.id not in set((await session.scalars(stmt)).all())

    scenario(settings, work)


def test_a_star_in_any_field_of_a_grant_row_grants_nothing(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session, policy):  # type: ignore[no-untyped-def]
        version, shared, other, _c = await pilot(session, scope="all", consent_required=False)
        (model,) = (await session.scalars(select(AccessGrant).where(AccessGrant.category == "identity"))).all()[:1]
        await terminate(session, version)
        base = {c.name: getattr(model, c.name) for c in AccessGrant.__table__.columns if c.name != "id"}
        for column in ("category", "action", "purpose", "scope"):
            session.add(AccessGrant(**{**base, column: "*"}))
        await session.commit()
        for client_id in (shared.id, other.id):
            assert not (await reads(session, policy, "ngo.worker", client_id, category="identity")).allowed
        assert await listed(session, policy, "ngo.worker", category="identity") == set()

    scenario(settings, work)


def test_a_grant_row_changed_after_it_was_read_grants_nothing(settings) -> None:  # type: ignore[no-untyped-def]
    """A worker remembers which grant rows' seals hold; a row changed in the database after it was read
    (here: its end moved a year on) is asked anew, and refused until it is as the compiler wrote it."""

    async def work(session, policy):  # type: ignore[no-untyped-def]
        version, shared, _o, _c = await pilot(session)
        assert (await reads(session, policy, "ngo.worker", shared.id)).allowed
        sources = AccessGrant.source.like(f"version:{version.id}:%")
        ends = dict((await session.execute(select(AccessGrant.id, AccessGrant.valid_until).where(sources))).all())

        async def end_grants(later: timedelta) -> None:
            for grant_id, end in ends.items():
                moved = update(AccessGrant).where(AccessGrant.id == grant_id).values(valid_until=end + later)
                await session.execute(moved)
            await session.commit()

        await end_grants(timedelta(days=365))
        assert not (await reads(session, policy, "ngo.worker", shared.id)).allowed
        await end_grants(timedelta(0))
        assert (await reads(session, policy, "ngo.worker", shared.id)).allowed

    scenario(settings, work)


def test_a_termination_holds_at_once_without_any_policy_reload(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session, policy):  # type: ignore[no-untyped-def]
        version, shared, _o, _c = await pilot(session)
        assert (await reads(session, policy, "ngo.worker", shared.id)).allowed
        loaded = policy.loaded_revision
        # no worker is told anything: grant rows are read by the query that reads the data
        policy.refresh = _no_reload  # type: ignore[method-assign]
        await terminate(session, version)
        await session.commit()
        assert not (await reads(session, policy, "ngo.worker", shared.id)).allowed
        assert await listed(session, policy, "ngo.worker") == set()
        assert policy.loaded_revision == loaded

    scenario(settings, work)


async def _no_reload(session) -> None:  # type: ignore[no-untyped-def]
    return None


def test_each_cross_tenant_read_writes_one_audit_entry_and_tampering_is_detected(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session, policy):  # type: ignore[no-untyped-def]
        version, shared, _o, _c = await pilot(session)
        before = len((await session.scalars(select(AuditEntry.id))).all())
        actor = await actor_for(session, "ngo.worker")
        for _ in range(2):
            await Access(session, policy, actor, NOW).get(Client, shared.id)
        owner = await actor_for(session, "inson.social")
        await Access(session, policy, owner, NOW).get(Client, shared.id)  # not a cross-tenant read
        await session.commit()
        entries = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "client.read"))).all()
        assert len(entries) == 2 and len((await session.scalars(select(AuditEntry.id))).all()) == before + 2
        entry = entries[0]
        assert entry.actor_user_id == actor.user_id and entry.actor_tenant_id == actor.tenant_id
        assert entry.owner_tenant_id == shared.tenant_id and entry.object_id == str(shared.id)
        assert entry.detail["categories"] == sorted(SHARED)
        assert len(entry.detail["clauses"]) == 1 and entry.detail["clauses"][0].startswith(f"version:{version.id}:")
        assert (await verify_chain(session)).intact
        await session.execute(
            update(AuditEntry).where(AuditEntry.id == entry.id).values(detail={"categories": ["identity"]})
        )
        await session.commit()
        report = await verify_chain(session)
        assert not report.intact and report.first_broken_id == entry.id

    scenario(settings, work)


def test_every_client_column_carrying_data_has_a_category() -> None:
    infrastructure = {"id", "tenant_id", "created_at", "updated_at", "version"}
    columns = {c.name for c in Base.metadata.tables["clients"].columns} - infrastructure
    assert columns == set(FIELD_CATEGORIES), columns ^ set(FIELD_CATEGORIES)


def test_a_category_no_live_clause_covers_is_never_seen(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session, policy):  # type: ignore[no-untyped-def]
        _v, shared, _o, _c = await pilot(session)
        for category in ("case_notes", "contact", "benefits", "nonsense"):
            assert not (await reads(session, policy, "ngo.worker", shared.id, category=category)).allowed
            assert await listed(session, policy, "ngo.worker", category=category) == set()
        assert (await reads(session, policy, "ngo.worker", shared.id, category="identity")).allowed

    scenario(settings, work)


def test_consent_for_another_purpose_or_another_partner_does_not_count(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session, policy):  # type: ignore[no-untyped-def]
        _v, shared, other, given = await pilot(session)
        ngo = await tenant_id(session, "ngo-sharoit-plus")
        await engage(session, other, ngo)
        await consent(session, other, ngo, purpose="job_matching")
        await consent(session, other, await tenant_id(session, "monocentre-tashkent"))
        await session.commit()
        assert not (await reads(session, policy, "ngo.worker", other.id)).allowed
        assert await listed(session, policy, "ngo.worker") == {shared.id}

    scenario(settings, work)
