"""The agreement lifecycle, driven through its services, decides what a partner sees of a client.

Each test follows one client of the PES office, engaged with the NGO and consenting to a referral,
while the PES office and the NGO draft, sign, amend and end an agreement sharing some of the
client's data; the NGO's view comes from the one enforcement point (`sharing.authorize`).
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

import pytest

from portal.access.policy import PolicyStore
from portal.db import make_engine, make_sessionmaker
from portal.partnership import services
from portal.partnership.models import AgreementVersion
from portal.partnership.seed import SIGNATORIES, actor_for
from portal.settings import Settings
from tests.access import kernel_calls as sharing
from tests.factories import consent, engage, make_client, tenant_id
from tests.partnership.factories import NOW, make_agreement, policy_of

pytestmark = pytest.mark.usefixtures("no_demo_agreements")


def run(settings: Settings, work):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        engine = make_engine(settings.database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                policy = PolicyStore(engine, settings.policy_model)
                await policy.refresh(session)
                return await work(session, policy)
        finally:
            await engine.dispose()

    return asyncio.run(go())


async def follow_a_client(session):  # type: ignore[no-untyped-def]
    pes = await tenant_id(session, "pes-yunusobod")
    ngo = await tenant_id(session, "ngo-sharoit-plus")
    client = await make_client(session, pes)
    await engage(session, client, ngo)
    given = await consent(session, client, ngo)
    await session.commit()
    return client, given


async def seen_by_ngo(session, policy, client_id: int, now: datetime = NOW) -> frozenset[str]:  # type: ignore[no-untyped-def]
    """The categories the NGO's case worker may read of the client right now (empty: nothing)."""
    await session.commit()  # a fresh snapshot, as a new request would have
    await policy.refresh(session)
    actor = await actor_for(session, "ngo.worker", "ngo-sharoit-plus")
    decision = await sharing.authorize(session, actor, "read", client_id, now=now, policy=policy)
    return decision.categories if decision.allowed else frozenset()


async def sign(session, version_id: int, slug: str, now: datetime = NOW) -> None:  # type: ignore[no-untyped-def]
    version = await session.get(AgreementVersion, version_id)
    signer = await actor_for(session, SIGNATORIES[slug], slug)
    await services.sign(session, signer, version_id, version.terms_hash, now, policy=await policy_of(session))
    await session.commit()


def test_access_appears_only_after_the_last_signature(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session, policy):  # type: ignore[no-untyped-def]
        client, _given = await follow_a_client(session)
        version_id = await make_agreement(session, signed=False)
        await session.commit()
        assert await seen_by_ngo(session, policy, client.id) == frozenset()  # proposed
        await sign(session, version_id, "pes-yunusobod")
        assert await seen_by_ngo(session, policy, client.id) == frozenset()  # one of two signatures
        await sign(session, version_id, "ngo-sharoit-plus")
        assert await seen_by_ngo(session, policy, client.id) == {"identity", "disability"}

    run(settings, work)


def test_the_data_owner_stopping_its_sharing_ends_access_at_once(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session, policy):  # type: ignore[no-untyped-def]
        client, _given = await follow_a_client(session)
        version_id = await make_agreement(session, signed=True)
        assert await seen_by_ngo(session, policy, client.id) == {"identity", "disability"}
        pes = await actor_for(session, "pes.sign", "pes-yunusobod")
        await services.stop_sharing(session, pes, version_id, "Ma’lumot berish to‘xtatildi", NOW, policy=policy)
        await session.commit()
        assert await seen_by_ngo(session, policy, client.id) == frozenset()
        version = await session.get(AgreementVersion, version_id)
        assert version.status == "active"  # the agreement itself goes on
        assert (await services.verify(session, pes, version_id)).intact  # a recorded end is no tampering

    run(settings, work)


def test_notice_ends_access_after_its_last_day_by_the_clock(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session, policy):  # type: ignore[no-untyped-def]
        client, _given = await follow_a_client(session)
        version_id = await make_agreement(session, signed=True)
        ngo = await actor_for(session, "ngo.admin", "ngo-sharoit-plus")
        with pytest.raises(services.Refused, match="30 days of notice"):
            await services.give_notice(
                session, ngo, version_id, "Loyiha yakunlandi", date(2026, 3, 10), NOW, policy=policy
            )
        await services.give_notice(session, ngo, version_id, "Loyiha yakunlandi", date(2026, 4, 30), NOW, policy=policy)
        await session.commit()
        last_day = datetime(2026, 4, 30, 18, 0, tzinfo=NOW.tzinfo)  # 23:00 in Tashkent
        assert await seen_by_ngo(session, policy, client.id, now=last_day) == {"identity", "disability"}
        after = datetime(2026, 4, 30, 19, 0, tzinfo=NOW.tzinfo)  # midnight in Tashkent
        assert await seen_by_ngo(session, policy, client.id, now=after) == frozenset()
        version = await session.get(AgreementVersion, version_id)
        assert services.effective_status(version, after) == "terminated"
        assert (await services.verify(session, ngo, version_id)).intact

    run(settings, work)


def test_access_ends_when_the_agreement_expires_by_the_clock(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session, policy):  # type: ignore[no-untyped-def]
        client, _given = await follow_a_client(session)
        await make_agreement(session, signed=True, valid=(date(2026, 1, 1), date(2026, 6, 30)))
        assert await seen_by_ngo(session, policy, client.id, now=NOW) == {"identity", "disability"}
        after = datetime(2026, 7, 1, 3, 0, tzinfo=NOW.tzinfo)  # 08:00 on 1 July in Tashkent
        assert await seen_by_ngo(session, policy, client.id, now=after) == frozenset()

    run(settings, work)


def test_consent_withdrawal_ends_access_at_once(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session, policy):  # type: ignore[no-untyped-def]
        client, given = await follow_a_client(session)
        await make_agreement(session, signed=True)
        assert await seen_by_ngo(session, policy, client.id) == {"identity", "disability"}
        given.withdrawn_at = NOW - timedelta(minutes=1)
        await session.commit()
        assert await seen_by_ngo(session, policy, client.id) == frozenset()

    run(settings, work)


def test_an_amendment_changes_access_only_when_fully_signed(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session, policy):  # type: ignore[no-untyped-def]
        client, _given = await follow_a_client(session)
        version_id = await make_agreement(session, signed=True)
        drafter = await actor_for(session, "pes.admin", "pes-yunusobod")
        amendment = await services.amend(session, drafter, version_id, NOW, policy=await policy_of(session))
        form = await services.form_from_version(session, amendment)
        form.clauses[0].categories = ["identity"]  # narrower: no more disability data
        assert await services.save_draft(session, drafter, amendment.id, form, NOW, policy=await policy_of(session)), (
            form.errors
        )
        await services.propose(session, drafter, amendment.id, NOW, policy=await policy_of(session))
        await session.commit()
        assert await seen_by_ngo(session, policy, client.id) == {"identity", "disability"}  # unsigned
        await sign(session, amendment.id, "pes-yunusobod")
        assert await seen_by_ngo(session, policy, client.id) == {"identity", "disability"}  # half signed
        await sign(session, amendment.id, "ngo-sharoit-plus")
        assert await seen_by_ngo(session, policy, client.id) == {"identity"}  # the narrower one is in force

    run(settings, work)


def test_a_client_the_clause_does_not_cover_stays_invisible(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session, policy):  # type: ignore[no-untyped-def]
        pes = await tenant_id(session, "pes-yunusobod")
        not_engaged = await make_client(session, pes, full_name="Bobur Aliyev")
        await session.commit()
        await make_agreement(session, signed=True)
        assert await seen_by_ngo(session, policy, not_engaged.id) == frozenset()

    run(settings, work)
