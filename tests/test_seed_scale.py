"""`portal seed-scale`: the same size and seed give the same rows, the agreements are what signing and
activation leave behind, and the 100-clause recipient's pages show exactly the clients `decide` allows."""

from __future__ import annotations

import hashlib
import random
import re
import uuid
from datetime import datetime
from typing import Any

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient
from sqlalchemy import select

from portal.access.declare import declared
from portal.access.models import AccessGrant, Consent, Engagement
from portal.access.policy import categories_of
from portal.access.sharing import Plan, local_date
from portal.cases.models import REFERRAL_STATES, Client, Referral
from portal.cli import main
from portal.db import make_engine, utcnow
from portal.partnership.models import AgreementVersion, Clause
from portal.partnership.services import recompile_grants
from portal.seed_scale import SeedScaleError, Size, seed_scale
from portal.seed_scale.run import TABLES
from portal.tenants.models import Membership, Tenant, User
from tests.conftest import SECRET, _pg_admin, _pg_url_for, login, make_settings, run, with_db

SIZE = "small"
SEED = 7
# One category of each client field shown on its page, and a field whose text tells it apart.
SHOWN = {"pinfl": "pinfl", "contact": "phone", "employment": "employment_history", "education": "skills"}


def _digest(settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A SHA-256 of every row of each table the generator writes (the password hash is salted)."""

    async def work(session):  # type: ignore[no-untyped-def]
        out = {}
        for table in TABLES:
            columns = [c for c in table.c if not (table.name == "users" and c.name == "password_hash")]
            rows = (await session.execute(select(*columns).order_by(table.c.id))).all()
            out[table.name] = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
        return out

    return with_db(settings, work)


def _grant_rows(settings) -> list[tuple[Any, ...]]:  # type: ignore[no-untyped-def]
    columns = [c for c in AccessGrant.__table__.c if c.name != "id"]

    async def work(session):  # type: ignore[no-untyped-def]
        return sorted(tuple(r) for r in (await session.execute(select(*columns))).all())

    return with_db(settings, work)


def _seed(settings) -> None:  # type: ignore[no-untyped-def]
    async def go() -> None:
        engine = make_engine(settings.database_url)
        try:
            await seed_scale(engine, Size.parse(SIZE), SEED)
        finally:
            await engine.dispose()

    run(go())


def _expected(settings, now: datetime) -> tuple[int, set[int], set[int], dict[int, frozenset[str]]]:  # type: ignore[no-untyped-def]
    """The recipient's id; the clients the kernel's decision allows it; the clients its clauses
    reach, worked out here from the clause, engagement and consent rows; each allowed client's categories."""

    async def work(session):  # type: ignore[no-untyped-def]
        recipient = await session.scalar(select(Tenant.id).where(Tenant.slug == "scale-recipient"))
        user = await session.scalar(select(User.id).where(User.login == "scale.recipient"))
        roles = await session.scalar(
            select(Membership.roles).where(Membership.user_id == user, Membership.tenant_id == recipient)
        )
        plan = Plan(
            shared=declared(Client),
            tenant_id=recipient,
            action="read",
            role_allows=True,
            now=now,
            own_categories=categories_of(roles),
        )
        clients = (await session.scalars(select(Client).order_by(Client.id))).all()
        decisions = await plan.decide(session, clients)
        allowed = {d.row.id: d.categories for d in decisions if d.allowed}  # type: ignore[union-attr]
        today = local_date(now)
        clauses = (
            await session.scalars(
                select(Clause)
                .join(AgreementVersion, AgreementVersion.id == Clause.version_id)
                .where(
                    AgreementVersion.status == "active",
                    AgreementVersion.valid_from <= today,
                    AgreementVersion.valid_until >= today,
                    Clause.recipient_tenant_id == recipient,
                )
            )
        ).all()
        engaged = {
            (e.client_id, e.owner_tenant_id)
            for e in (await session.scalars(select(Engagement).where(Engagement.recipient_tenant_id == recipient)))
            if e.opened_on <= today and (e.closed_on is None or e.closed_on > today)
        }
        consented = {
            (c.client_id, c.owner_tenant_id, c.purpose)
            for c in (await session.scalars(select(Consent).where(Consent.recipient_tenant_id == recipient)))
            if c.given_at <= now and (c.withdrawn_at is None or c.withdrawn_at > now)
        }
        fields = set(declared(Client).categories)
        reached = set()
        for client in clients:
            for clause in clauses:
                if clause.owner_tenant_id != client.tenant_id or "read" not in clause.actions:
                    continue
                if not fields & set(clause.categories):
                    continue
                if clause.scope == "engaged" and (client.id, client.tenant_id) not in engaged:
                    continue
                if clause.consent_required and (client.id, client.tenant_id, clause.purpose) not in consented:
                    continue
                reached.add(client.id)
        return recipient, set(allowed), reached, allowed

    return with_db(settings, work)


def _listed(client: TestClient) -> list[int]:
    """Every client on every page of the list, following the "older clients" link."""
    listed: list[int] = []
    url = "/clients/"
    while url:
        page = client.get(url, headers={"HX-Request": "true"})
        assert page.status_code == 200, page.text
        listed += [int(n) for n in re.findall(r'href="/clients/(\d+)"', page.text)]
        older = re.search(r"\?before=(\d+)", page.text)
        url = f"/clients/?before={older.group(1)}" if older else ""
    return listed


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_data_set_is_the_same_twice_and_the_recipient_sees_what_its_clauses_allow(
    database: str, pg_template: tuple[str, list[dict]], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = make_settings(database)
    monkeypatch.setenv("DATABASE_URL", first.database_url)
    monkeypatch.setenv("SECRET_KEY", SECRET)
    result = CliRunner().invoke(main, ["seed-scale", "--size", SIZE, "--seed", str(SEED)])
    assert result.exit_code == 0, result.output
    assert "scale.recipient" in result.output
    again = CliRunner().invoke(main, ["seed-scale", "--size", SIZE, "--seed", str(SEED)])
    assert again.exit_code != 0 and "already holds the national data set" in again.output

    # A second fresh copy of the same database, the same size and seed: the same rows.
    name = f"portal_scale_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template[0]}"')
    try:
        second = make_settings(_pg_url_for(name))
        _seed(second)
        assert _digest(first) == _digest(second)
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    # Activation's own path verifies every version's terms and signatures and writes the same grant rows.
    before = _grant_rows(first)
    assert len(before) > 500
    with_db(first, recompile_grants)
    assert _grant_rows(first) == before

    now = utcnow()
    recipient, allowed, reached, categories = _expected(first, now)
    assert allowed == reached
    assert len(allowed) >= 150

    from portal.app import create_app

    with TestClient(app=create_app(first), base_url="http://testserver.local") as browser:
        login(browser, "scale.recipient")
        listed = _listed(browser)
        assert len(listed) == len(set(listed))
        assert set(listed) == allowed

        rng = random.Random(SEED)
        unseen = sorted(with_db(first, _all_client_ids) - allowed)
        for client_id in rng.sample(unseen, 25):
            assert browser.get(f"/clients/{client_id}").status_code == 404

        # The recipient's other pages open on the data set: its home, referrals, sharing matrix.
        for url in ("/", "/referrals/", "/sharing/"):
            assert browser.get(url).status_code == 200, url

        rows = with_db(first, lambda s: _clients(s, rng.sample(sorted(allowed), 8)))
        for row in rows:
            page = browser.get(f"/clients/{row['id']}")
            assert page.status_code == 200
            for category, column in SHOWN.items():
                shown = str(row[column]) in page.text
                assert shown == (category in categories[row["id"]]), (row["id"], category)

    owner = re.search(r"or (\S+) \(one of its owners\)", result.output)
    assert owner is not None
    with TestClient(app=create_app(first), base_url="http://testserver.local") as browser:
        login(browser, owner.group(1))
        for url in ("/", "/clients/", "/cases/", "/referrals/"):
            assert browser.get(url).status_code == 200, url


async def _all_client_ids(session) -> set[int]:  # type: ignore[no-untyped-def]
    return set((await session.scalars(select(Client.id))).all())


async def _clients(session, ids: list[int]) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    rows = (await session.scalars(select(Client).where(Client.id.in_(ids)).order_by(Client.id))).all()
    return [{c.key: getattr(r, c.key) for c in Client.__table__.c} for r in rows]


def test_it_refuses_a_production_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", SECRET + "-for-production")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///never-written.db")
    result = CliRunner().invoke(main, ["seed-scale", "--size", "tiny"])
    assert result.exit_code != 0 and "not in a production database" in result.output


def test_sizes_are_named_or_fractions_of_full() -> None:
    assert Size.parse("full").clients == 200_000 and Size.parse("full").tenants == 1_000
    assert Size.parse("0.5").agreements == 2_500
    for wrong in ("huge", "0", "1.5", "-1"):
        with pytest.raises(SeedScaleError):
            Size.parse(wrong)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_it_writes_the_smallest_set_on_sqlite_and_refuses_a_second_time(database: str) -> None:
    settings = make_settings(database)

    async def go():  # type: ignore[no-untyped-def]
        engine = make_engine(settings.database_url)
        try:
            report = await seed_scale(engine, Size.parse("tiny"), SEED)
            with pytest.raises(SeedScaleError):
                await seed_scale(engine, Size.parse("tiny"), SEED)
            return report
        finally:
            await engine.dispose()

    report = run(go())
    assert report.counts["clients"] == 1_000 and report.counts["access_grants"] > 100
    assert report.recipient_engaged >= 100 and report.recipient_clauses == report.recipient_owners
    assert with_db(settings, _referral_states) == set(REFERRAL_STATES)


async def _referral_states(session) -> set[str]:  # type: ignore[no-untyped-def]
    """The states of the data set's referrals, checked against their engagements: a referral accepted
    or in progress has its open engagement with the recipient, an ended one its closed engagement."""
    rows = (
        await session.execute(
            select(Referral, Engagement)
            .outerjoin(Engagement, Engagement.id == Referral.engagement_id)
            .join(Tenant, Tenant.id == Referral.tenant_id)
            .where(Tenant.slug.startswith("scale-"))
        )
    ).all()
    for referral, engagement in rows:
        if referral.state in ("accepted", "in_progress"):
            assert engagement.closed_on is None and engagement.source_id == referral.id
        elif referral.state in ("completed", "failed", "withdrawn") and engagement is not None:
            assert engagement.closed_on is not None
        else:
            assert engagement is None
        if engagement is not None:
            assert (engagement.client_id, engagement.recipient_tenant_id) == (
                referral.client_id,
                referral.recipient_tenant_id,
            )
    return {referral.state for referral, _e in rows}
