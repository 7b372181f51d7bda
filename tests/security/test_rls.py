"""Row-level security on PostgreSQL: with the kernel's scoping left out of a query on purpose, the
database itself still shows a tenant only its own rows and those of owners that grant it something.

Every query here is run as the web app's role (settings.app_url) in a transaction acting for one
tenant, exactly as provide_db opens them; the data are set up as the owner (with_db)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from portal.access.models import AccessGrant
from portal.cases.models import CaseNote, Client, Consent, Engagement
from portal.db import make_engine, make_sessionmaker, tenant_session, utcnow
from tests import factories
from tests.conftest import with_db

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])


def as_tenant(settings, tenant: int | None, work):  # type: ignore[no-untyped-def]
    """Run `await work(session)` as the app's role, every transaction acting for `tenant`."""

    async def go():  # type: ignore[no-untyped-def]
        engine = make_engine(settings.app_url)
        try:
            async with tenant_session(make_sessionmaker(engine), tenant) as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(go())


def unscoped(model):  # type: ignore[no-untyped-def]
    """`select(model)` with no tenant filter at all: the mistake the second wall is for."""

    async def work(session):  # type: ignore[no-untyped-def]
        return {row.id for row in (await session.scalars(select(model))).all()}

    return work


def owned_by(model, column: str, tenants: set[int]):  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        rows = (await session.scalars(select(model))).all()
        return {row.id for row in rows if getattr(row, column) in tenants}

    return work


@pytest.fixture
def world(settings, no_demo_agreements) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """INSON grants the NGO everything (an agreement in force); the monocentre grants no one and
    engages one of its clients with the employment service."""

    async def build(session):  # type: ignore[no-untyped-def]
        ids = {slug: await factories.tenant_id(session, slug) for slug in ("inson-yunusobod", "ngo-sharoit-plus")}
        ids["mono"] = await factories.tenant_id(session, "monocentre-tashkent")
        ids["pes"] = await factories.tenant_id(session, "pes-yunusobod")
        inson, ngo, mono = ids["inson-yunusobod"], ids["ngo-sharoit-plus"], ids["mono"]
        await factories.share_everything_with_ngo(session)
        shared = await factories.make_client(session, inson, full_name="Shared Person")
        own = await factories.make_client(session, ngo, full_name="Own Person")
        foreign = await factories.make_client(session, mono, full_name="Foreign Person")
        for client in (shared, own, foreign):
            session.add(CaseNote(tenant_id=client.tenant_id, client_id=client.id, written_at=utcnow(), body="Note"))
        await factories.engage(session, shared, ngo)
        await factories.consent(session, shared, ngo)
        await factories.engage(session, foreign, ids["pes"])
        await factories.consent(session, foreign, ids["pes"])
        await session.flush()
        return {"inson": inson, "ngo": ngo, "mono": mono, "pes": ids["pes"], "foreign_client": foreign.id}

    return with_db(settings, build)


def test_the_app_connects_as_a_role_that_owns_nothing_and_bypasses_nothing(settings, app) -> None:  # type: ignore[no-untyped-def]
    assert app.state.engine.url.username == "portal_app" != settings.database_url.split("//")[1].split("@")[0]

    async def who(session):  # type: ignore[no-untyped-def]
        query = (
            "SELECT r.rolsuper, r.rolbypassrls, pg_get_userbyid(c.relowner) = current_user, c.relforcerowsecurity"
            " FROM pg_roles r, pg_class c WHERE r.rolname = current_user AND c.relname = :table"
        )
        return {t: tuple((await session.execute(text(query), {"table": t})).one()) for t in ("clients", "consents")}

    for flags in as_tenant(settings, None, who).values():
        assert flags == (False, False, False, True)


def test_an_unscoped_query_shows_own_rows_and_those_of_owners_that_grant_the_tenant(settings, world) -> None:  # type: ignore[no-untyped-def]
    everything = with_db(settings, unscoped(Client))
    owners = {"ngo": {world["ngo"], world["inson"]}, "inson": {world["inson"]}, "mono": {world["mono"]}}
    for tenant, allowed in owners.items():
        seen = as_tenant(settings, world[tenant], unscoped(Client))
        assert seen == with_db(settings, owned_by(Client, "tenant_id", allowed))
        assert seen < everything
    assert world["foreign_client"] not in as_tenant(settings, world["ngo"], unscoped(Client))


def test_without_a_tenant_no_tenant_owned_row_is_visible(settings, world) -> None:  # type: ignore[no-untyped-def]
    for model in (Client, CaseNote, Engagement, Consent, AccessGrant):
        assert with_db(settings, unscoped(model)), model
        assert as_tenant(settings, None, unscoped(model)) == set(), model


def rows_where(model, keep):  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        return {row.id for row in (await session.scalars(select(model))).all() if keep(row)}

    return work


def test_a_foreign_tenants_notes_engagements_and_consents_stay_invisible(settings, world) -> None:  # type: ignore[no-untyped-def]
    ngo, mono = world["ngo"], world["mono"]
    # Whose rows each viewer may not see: case notes of owners that grant it nothing; engagements
    # and consents it neither owns nor receives.
    granting = {ngo: {ngo, world["inson"]}, mono: {mono}}
    for viewer in (ngo, mono):
        cases = {
            CaseNote: lambda row, v=viewer: row.tenant_id not in granting[v],
            Engagement: lambda row, v=viewer: v not in (row.owner_tenant_id, row.recipient_tenant_id),
            Consent: lambda row, v=viewer: v not in (row.owner_tenant_id, row.recipient_tenant_id),
        }
        for model, foreign in cases.items():
            hidden = with_db(settings, rows_where(model, foreign))
            assert hidden, (model, viewer)
            seen = as_tenant(settings, viewer, unscoped(model))
            assert seen and not seen & hidden, (model, viewer)

            async def by_id(session, rows=hidden, model=model):  # type: ignore[no-untyped-def]
                return [await session.get(model, row) for row in rows]

            assert as_tenant(settings, viewer, by_id) == [None] * len(hidden)
    # What the grant and the engagement give the NGO, it does see.
    for model in (CaseNote, Engagement, Consent):
        column = "tenant_id" if model is CaseNote else "owner_tenant_id"
        assert with_db(settings, owned_by(model, column, {world["inson"]})) & as_tenant(settings, ngo, unscoped(model))


def test_an_owners_rows_vanish_once_its_grant_has_run_out(settings, world) -> None:  # type: ignore[no-untyped-def]
    async def expire(session):  # type: ignore[no-untyped-def]
        yesterday = datetime.now(UTC).date() - timedelta(days=2)
        await session.execute(update(AccessGrant).values(valid_until=yesterday))

    with_db(settings, expire)
    seen = as_tenant(settings, world["ngo"], unscoped(Client))
    assert seen == with_db(settings, owned_by(Client, "tenant_id", {world["ngo"]}))


def test_rows_for_another_tenant_are_refused_on_insert_and_update(settings, world) -> None:  # type: ignore[no-untyped-def]
    async def insert_for_inson(session):  # type: ignore[no-untyped-def]
        await factories.make_client(session, world["inson"], full_name="Planted Person")

    async def give_own_client_away(session):  # type: ignore[no-untyped-def]
        await session.execute(update(Client).where(Client.tenant_id == world["ngo"]).values(tenant_id=world["mono"]))

    async def note_on_foreign_client(session):  # type: ignore[no-untyped-def]
        session.add(CaseNote(tenant_id=world["mono"], client_id=world["foreign_client"], written_at=utcnow(), body="x"))
        await session.flush()

    for work in (insert_for_inson, give_own_client_away, note_on_foreign_client):
        with pytest.raises(DBAPIError, match="row-level security"):
            as_tenant(settings, world["ngo"], work)
    with pytest.raises(DBAPIError, match="row-level security"):
        as_tenant(settings, None, insert_for_inson)
    as_tenant(settings, world["inson"], insert_for_inson)  # its own tenant may


def test_the_setting_holds_for_one_transaction_only(settings, world) -> None:  # type: ignore[no-untyped-def]
    """A transaction that sets no tenant on a pooled connection sees nothing, whatever ran before."""

    async def go():  # type: ignore[no-untyped-def]
        engine = make_engine(settings.app_url)
        try:
            async with tenant_session(make_sessionmaker(engine), world["ngo"]) as session:
                assert (await session.scalars(select(Client))).all()
                await session.commit()
                assert (await session.scalars(select(Client))).all()  # a new transaction acts again
            async with make_sessionmaker(engine)() as session:
                return (await session.scalars(select(Client))).all()
        finally:
            await engine.dispose()

    assert asyncio.run(go()) == []
