"""For random agreements, clauses, engagements, consents, clients and clocks, `authorize` and the
list filter agree for every row, and both agree with a plain reading of the rules — for each of the
declared shared tables tried here (clients, case notes about them, and referrals and their reviews,
which their parties see by their party columns), through the same kernel code; a read narrowed to
one purpose counts only that purpose's clauses."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from portal.access.kernel import Access
from portal.access.models import AccessGrant
from portal.access.policy import ROLE_CATEGORIES, PolicyStore
from portal.access.vocabulary import PARTY_CATEGORIES
from portal.cases.models import FIELD_CATEGORIES, Case, CaseNote, Client, Referral, ReferralReview
from portal.db import make_engine, make_sessionmaker
from portal.partnership.models import CATEGORIES, VERSION_STATUSES, Agreement
from tests.access import kernel_calls as sharing
from tests.factories import (
    actor_for,
    consent,
    engage,
    make_agreement,
    make_client,
    set_aside_demo_agreements,
    tenant_id,
)

BASE = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
# Demo users who may read clients, and their tenants (the outsider among them).
READERS = {
    "pes.case": "pes-yunusobod",
    "inson.social": "inson-yunusobod",
    "ngo.worker": "ngo-sharoit-plus",
    "mono.case": "monocentre-tashkent",
    "toqimachi.hr": "employer-toqimachi",
    "outsider.hr": "employer-chorsu-savdo",
}
SLUGS = list(READERS.values())
PURPOSES = ["referral", "job_matching"]

tenant_index = st.integers(min_value=0, max_value=len(SLUGS) - 1)
day = st.integers(min_value=-60, max_value=60)

clause_st = st.fixed_dictionaries(
    {
        "owner": tenant_index,
        "recipient": tenant_index,
        "categories": st.sets(st.sampled_from(CATEGORIES), min_size=1, max_size=3),
        "scope": st.sampled_from(["all", "engaged"]),
        "consent_required": st.booleans(),
        "purpose": st.sampled_from(PURPOSES),
        "ends_on": st.one_of(st.none(), day),
    }
).filter(lambda c: c["owner"] != c["recipient"])

agreement_st = st.fixed_dictionaries(
    {
        "status": st.sampled_from([*VERSION_STATUSES, "active", "active"]),
        "valid_from": day,
        "length": st.integers(min_value=0, max_value=90),
        "clauses": st.lists(clause_st, min_size=1, max_size=3),
    }
)


@dataclass
class World:
    agreements: list[dict]
    clients: list[int]  # owner tenant index per client
    engagements: list[tuple[int, int, int, int | None]]  # client, recipient, opened day, closed day
    consents: list[tuple[int, int, str, int, int | None]]  # client, recipient, purpose, given, withdrawn
    now_day: int
    now_hour: int
    # client, recipient, inspection (or None), sent; the review's owner (or None)
    referrals: list[tuple[int, int, int | None, bool, int | None]] = ()  # type: ignore[assignment]


world_st = st.integers(min_value=1, max_value=4).flatmap(
    lambda n: st.builds(
        World,
        agreements=st.lists(agreement_st, min_size=0, max_size=3),
        clients=st.lists(tenant_index, min_size=n, max_size=n),
        engagements=st.lists(
            st.tuples(
                st.integers(0, n - 1), tenant_index, day, st.one_of(st.none(), st.integers(min_value=1, max_value=60))
            ),
            max_size=4,
        ),
        consents=st.lists(
            st.tuples(
                st.integers(0, n - 1),
                tenant_index,
                st.sampled_from(PURPOSES),
                day,
                st.one_of(st.none(), st.integers(min_value=0, max_value=60)),
            ),
            max_size=4,
        ),
        now_day=day,
        now_hour=st.integers(min_value=0, max_value=23),
        referrals=st.lists(
            st.tuples(
                st.integers(0, n - 1),
                tenant_index,
                st.one_of(st.none(), tenant_index),
                st.booleans(),
                st.one_of(st.none(), tenant_index),
            ),
            max_size=3,
        ),
    )
)


# What a client row holds; case notes are a table of their own.
CLIENT_CATEGORIES = frozenset(FIELD_CATEGORIES.values())


def expected(
    world: World,
    tenants: list[int],
    reader: int,
    client: int,
    holds: frozenset[str] | None = None,
    purpose: str | None = None,
    roles: tuple[str, ...] = ("case_manager",),
) -> set[str]:
    """The rules read plainly: which categories of `client` the reader may read (its own tenant's
    clients: what its roles there need to know; another's: what the clauses share)."""
    holds = CLIENT_CATEGORIES if holds is None else holds
    owner = world.clients[client]
    if owner == reader:
        # Need to know: what its roles give; its own exchanges' fields to whoever may act on them.
        return {c for c in holds if c in PARTY_CATEGORIES or any(c in ROLE_CATEGORIES.get(role, ()) for role in roles)}
    now = BASE + timedelta(days=world.now_day, hours=world.now_hour)
    today = sharing.local_date(now)
    base = BASE.date()
    seen: set[str] = set()
    for agreement in world.agreements:
        start = base + timedelta(days=agreement["valid_from"])
        end = start + timedelta(days=agreement["length"])
        if agreement["status"] != "active" or not start <= today <= end:
            continue
        for clause in agreement["clauses"]:
            if clause["owner"] != owner or clause["recipient"] != reader:
                continue
            if purpose is not None and clause["purpose"] != purpose:
                continue
            if clause["ends_on"] is not None and not today <= base + timedelta(days=clause["ends_on"]):
                continue
            if clause["scope"] == "engaged" and not any(
                c == client
                and r == reader
                and base + timedelta(days=opened) <= today
                and (closed is None or today < base + timedelta(days=opened + closed))
                for c, r, opened, closed in world.engagements
            ):
                continue
            if clause["consent_required"] and not any(
                c == client
                and r == reader
                and p == clause["purpose"]
                and BASE + timedelta(days=g) <= now
                and (w is None or now < BASE + timedelta(days=g + w))
                for c, r, p, g, w in world.consents
            ):
                continue
            seen |= set(clause["categories"])
    return seen & holds


async def probed(session, plan, model, ids, category=None) -> set[int]:  # type: ignore[no-untyped-def]
    """The rows among `ids` the plan's probed ways select (each asked of the row at hand): a page walked
    in its order runs these, and they must select what the list filter selects."""
    where = plan.predicate(category, probed=True)
    return set((await session.scalars(select(model.id).where(model.id.in_(ids), where))).all())


async def check_notes(session, policy, actor, now, notes, world, tenants, reader) -> None:  # type: ignore[no-untyped-def]
    """The second declared table: a note is listed exactly when it may be read, and only where a
    clause shares case notes of its client."""
    access = Access(session, policy, actor, now)
    ids = [n.id for n in notes]
    listed = set(
        (await session.scalars(await access.scope(select(CaseNote.id).where(CaseNote.id.in_(ids)), CaseNote))).all()
    )
    plan = await access.plan(CaseNote)
    rows = (await session.scalars(select(CaseNote).where(CaseNote.id.in_(ids)))).all()
    decisions = {d.row.id: d for d in await plan.decide(session, rows) if d.allowed}
    assert set(decisions) == listed == await probed(session, plan, CaseNote, ids)
    for index, note in enumerate(notes):
        should = expected(world, tenants, reader, index, frozenset({"case_notes"}), roles=actor.roles)
        assert (note.id in listed) == bool(should), (actor.login, note.id)
        if note.id in decisions:
            assert decisions[note.id].categories == frozenset(should)


def referral_seen(world: World, reader: int, index: int) -> bool:
    """A referral's parties see it: its sender always, its recipient and inspection once it is sent."""
    client, recipient, inspection, sent, _review = world.referrals[index]
    return world.clients[client] == reader or (sent and reader in (recipient, inspection))


def review_seen(world: World, reader: int, index: int) -> bool:
    """A review's owner (the inspection that wrote it) and the referral's sender and recipient see it."""
    client, recipient, _inspection, _sent, owner = world.referrals[index]
    return reader in (owner, world.clients[client], recipient)


async def check_party_tables(session, policy, actor, now, referrals, reviews, world, reader) -> None:  # type: ignore[no-untyped-def]
    """Referrals and reviews: listed exactly when decided visible, as their parties, with only their own category."""
    access = Access(session, policy, actor, now)
    for model, rows, seen in ((Referral, referrals, referral_seen), (ReferralReview, reviews, review_seen)):
        ids = [r.id for r in rows if r is not None]
        listed = set(
            (await session.scalars(await access.scope(select(model.id).where(model.id.in_(ids)), model))).all()
        )
        plan = await access.plan(model)
        decided = await plan.decide(session, (await session.scalars(select(model).where(model.id.in_(ids)))).all())
        allowed = {d.row.id: d for d in decided if d.allowed}
        assert set(allowed) == listed == await probed(session, plan, model, ids), (model.__name__, actor.login)
        for index, row in enumerate(rows):
            if row is None:
                continue
            assert (row.id in listed) == seen(world, reader, index), (model.__name__, actor.login, index)
            if row.id in allowed:
                assert allowed[row.id].categories == frozenset({"referral"})


async def check_purpose(session, policy, actor, now, ids, world, tenants, reader) -> None:  # type: ignore[no-untyped-def]
    """A read narrowed to the referral purpose sees what that purpose's clauses share, nothing more."""
    access = Access(session, policy, actor, now)
    listed = set(
        (
            await session.scalars(
                await access.scope(select(Client.id).where(Client.id.in_(ids)), Client, purpose="referral")
            )
        ).all()
    )
    plan = await access.plan(Client, purpose="referral")
    decided = await plan.decide(session, (await session.scalars(select(Client).where(Client.id.in_(ids)))).all())
    allowed = {d.row.id: d for d in decided if d.allowed}
    assert set(allowed) == listed == await probed(session, plan, Client, ids)
    for index, cid in enumerate(ids):
        should = expected(world, tenants, reader, index, purpose="referral", roles=actor.roles)
        assert (cid in listed) == bool(should), (actor.login, cid)
        if cid in allowed:
            assert allowed[cid].categories == frozenset(should)


async def add_referrals(session, world: World, tenants: list[int], clients: list) -> tuple[list, list]:  # type: ignore[no-untyped-def]
    """One case per referred client, and the world's referrals and reviews (None where a row cannot be)."""
    cases: dict[int, Case] = {}
    referrals: list = []
    reviews: list = []
    for client_index, recipient, inspection, sent, review_owner in world.referrals:
        client = clients[client_index]
        if client_index not in cases:
            cases[client_index] = Case(tenant_id=client.tenant_id, client_id=client.id, opened_on=BASE.date())
            session.add(cases[client_index])
            await session.flush()
        referral = Referral(
            tenant_id=client.tenant_id,
            case_id=cases[client_index].id,
            client_id=client.id,
            recipient_tenant_id=tenants[recipient],
            inspection_tenant_id=None if inspection is None else tenants[inspection],
            kind="employer_job",
            state="sent" if sent else "draft",
            sent_at=BASE if sent else None,
        )
        session.add(referral)
        await session.flush()
        referrals.append(referral)
        if review_owner is None:
            reviews.append(None)
            continue
        review = ReferralReview(
            tenant_id=tenants[review_owner],
            referral_id=referral.id,
            client_id=client.id,
            sender_tenant_id=client.tenant_id,
            recipient_tenant_id=tenants[recipient],
            outcome="hire_agreed",
            recorded_at=BASE,
        )
        session.add(review)
        reviews.append(review)
    await session.flush()
    return referrals, reviews


async def check(url: str, policy_model, world: World) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            await set_aside_demo_agreements(session)
            policy = PolicyStore(engine, policy_model)
            tenants = [await tenant_id(session, slug) for slug in SLUGS]
            base = BASE.date()
            agreement_ids = []
            for spec in world.agreements:
                start = base + timedelta(days=spec["valid_from"])
                version = await make_agreement(
                    session,
                    status=spec["status"],
                    valid_from=start,
                    valid_until=start + timedelta(days=spec["length"]),
                    clauses=[
                        {
                            **c,
                            "owner": tenants[c["owner"]],
                            "recipient": tenants[c["recipient"]],
                            "ends_on": None if c["ends_on"] is None else base + timedelta(days=c["ends_on"]),
                        }
                        for c in spec["clauses"]
                    ],
                )
                agreement_ids.append(version.agreement_id)
            clients = [await make_client(session, tenants[owner]) for owner in world.clients]
            notes = [
                CaseNote(tenant_id=c.tenant_id, client_id=c.id, author_name="Case worker", written_at=BASE, body="Note")
                for c in clients
            ]
            session.add_all(notes)
            await session.flush()
            for c, r, opened, closed in world.engagements:
                if tenants[r] == clients[c].tenant_id:
                    continue
                await engage(
                    session,
                    clients[c],
                    tenants[r],
                    opened_on=base + timedelta(days=opened),
                    closed_on=None if closed is None else base + timedelta(days=opened + closed),
                )
            for c, r, purpose, g, w in world.consents:
                if tenants[r] == clients[c].tenant_id:
                    continue
                await consent(
                    session,
                    clients[c],
                    tenants[r],
                    purpose,
                    given_at=BASE + timedelta(days=g),
                    withdrawn_at=None if w is None else BASE + timedelta(days=g + w),
                )
            referrals, reviews = await add_referrals(session, world, tenants, clients)
            await session.commit()
            now = BASE + timedelta(days=world.now_day, hours=world.now_hour)
            ids = [c.id for c in clients]
            try:
                for login, slug in READERS.items():
                    reader = SLUGS.index(slug)
                    actor = await actor_for(session, login)
                    want = {cid: expected(world, tenants, reader, i, roles=actor.roles) for i, cid in enumerate(ids)}
                    for category in (None, *CATEGORIES):
                        stmt = await sharing.scope(
                            select(Client.id).where(Client.id.in_(ids)),
                            session,
                            actor,
                            "read",
                            now=now,
                            policy=policy,
                            category=category,
                        )
                        listed = set((await session.scalars(stmt)).all())
                        plan = await Access(session, policy, actor, now).plan(Client)
                        assert await probed(session, plan, Client, ids, category) == listed, (login, category)
                        rows = await sharing.visible_clients(
                            session,
                            select(Client).where(Client.id.in_(ids)),
                            actor,
                            "read",
                            now=now,
                            policy=policy,
                            category=category,
                        )
                        assert {d.row.id for d in rows if d.allowed} == listed
                        for cid in ids:
                            decision = await sharing.authorize(
                                session, actor, "read", cid, category, now=now, policy=policy
                            )
                            assert decision.allowed == (cid in listed), (login, cid, category)
                            should = want[cid] if category is None else want[cid] & {category}
                            assert decision.categories == frozenset(should), (login, cid, category)
                            assert decision.allowed == bool(should)
                    await check_notes(session, policy, actor, now, notes, world, tenants, reader)
                    await check_party_tables(session, policy, actor, now, referrals, reviews, world, reader)
                    await check_purpose(session, policy, actor, now, ids, world, tenants, reader)
            finally:
                await session.execute(delete(Client).where(Client.id.in_(ids)))
                await session.execute(delete(Agreement).where(Agreement.id.in_(agreement_ids)))
                await session.execute(delete(AccessGrant))
                await session.commit()
    finally:
        await engine.dispose()


@hypothesis_settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=world_st)
@example(  # one world that surely shares something: INSON -> NGO, engaged, with consent
    world=World(
        agreements=[
            {
                "status": "active",
                "valid_from": -10,
                "length": 60,
                "clauses": [
                    {
                        "owner": 1,
                        "recipient": 2,
                        "categories": {"identity", "disability", "case_notes"},
                        "scope": "engaged",
                        "consent_required": True,
                        "purpose": "referral",
                        "ends_on": None,
                    }
                ],
            }
        ],
        clients=[1, 1],
        engagements=[(0, 2, -5, None)],
        consents=[(0, 2, "referral", -5, None), (1, 2, "referral", -5, None)],
        now_day=0,
        now_hour=10,
        referrals=[(0, 2, 4, True, 4), (1, 2, None, False, None), (0, 3, None, True, None)],
    )
)
def test_authorize_and_the_list_filter_agree_with_the_rules_for_random_worlds(settings, world: World) -> None:  # type: ignore[no-untyped-def]
    asyncio.run(check(settings.database_url, settings.policy_model, world))


def test_the_oracle_itself_denies_a_partner_without_clauses() -> None:
    world = World(agreements=[], clients=[0], engagements=[], consents=[], now_day=0, now_hour=0)
    assert expected(world, [], 1, 0) == set()
    assert expected(world, [], 0, 0) == set(CLIENT_CATEGORIES)
    assert date(2026, 6, 1) == BASE.date()
