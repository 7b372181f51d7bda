"""The access kernel at national scale on PostgreSQL: EXPLAIN ANALYZE of a recipient's client list and
of one shared client, with 200,000 clients and a recipient holding 100 clauses from 100 owners that
cover 20,000 engaged, consenting clients.

Builds its own database on the loopback server (PORTAL_BENCH_PG_URL, default the test server), fills
it with generate_series in a few statements, runs the kernel's own queries (the same Plan the pages
use) and prints the plans and their execution times. Bounded: one data set, a few queries, then the
database is dropped.

    .venv/bin/python bench/kernel_explain.py [--clients 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.dialects import postgresql  # noqa: E402

from portal.access.declare import declared  # noqa: E402
from portal.access.grants import GrantSpec, rows_of  # noqa: E402
from portal.access.sharing import Plan  # noqa: E402
from portal.cases.models import Client  # noqa: E402
from portal.cli import migrate_database  # noqa: E402
from portal.db import make_engine, make_sessionmaker  # noqa: E402
from portal.settings import Settings, normalise_database_url  # noqa: E402

PG = os.environ.get("PORTAL_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
OWNERS = 100


def _url(database: str) -> str:
    return PG.rpartition("/")[0] + "/" + database


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(PG)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def fill(url: str, clients: int) -> int:
    """Tenants, clients, engagements, consents and the recipient's 100 clauses; returns the recipient id."""
    engine = make_engine(normalise_database_url(url))
    per_owner = clients // OWNERS
    engaged = 20_000 // OWNERS
    async with make_sessionmaker(engine)() as session:
        await session.execute(
            text(
                "INSERT INTO tenants (slug, kind, region_code, name_uz, name_uz_cyrl, name_ru, name_en, is_active,"
                " created_at, updated_at, version) SELECT 'bench-' || g, 'ngo', (SELECT code FROM regions LIMIT 1),"
                " 'T' || g, 'T' || g, 'T' || g, 'T' || g, true, now(), now(), 1 FROM generate_series(1, :n) g"
            ),
            {"n": OWNERS + 1},
        )
        ids = (await session.scalars(text("SELECT id FROM tenants WHERE slug LIKE 'bench-%' ORDER BY id"))).all()
        recipient, owners = ids[0], ids[1:]
        user = await session.scalar(
            text(
                "INSERT INTO users (login, full_name, email, password_hash, is_active, created_at, updated_at, version)"
                " VALUES ('bench', 'Bench', '', '', true, now(), now(), 1) RETURNING id"
            )
        )
        await session.execute(
            text(
                "INSERT INTO clients (tenant_id, full_name, full_name_cyrl, name_key, pinfl, birth_date, gender, phone,"
                " address, disability_group, work_recommendation, benefits, education, skills, employment_history,"
                " assessment, action_plan, created_at, updated_at, version)"
                " SELECT :first + (g % :owners), 'Client ' || g, '', 'client ' || g, lpad(g::text, 14, '0'),"
                " date '1990-01-01', '', '', '', 'II', '', '', '', '', '', '', '', now(), now(), 1"
                " FROM generate_series(1, :n) g"
            ),
            {"first": owners[0], "owners": OWNERS, "n": per_owner * OWNERS},
        )
        # The first `engaged` clients of every owner are engaged with the recipient and have consented.
        await session.execute(
            text(
                "INSERT INTO engagements (client_id, owner_tenant_id, recipient_tenant_id, kind, opened_on,"
                " created_at, updated_at, version)"
                " SELECT id, tenant_id, :r, 'referral', date '2026-01-01', now(), now(), 1 FROM ("
                "  SELECT id, tenant_id, row_number() OVER (PARTITION BY tenant_id ORDER BY id) AS k FROM clients"
                ") c WHERE k <= :e"
            ),
            {"r": recipient, "e": engaged},
        )
        await session.execute(
            text(
                "INSERT INTO consents (client_id, owner_tenant_id, recipient_tenant_id, purpose, evidence, given_at,"
                " given_recorded_by, created_at, updated_at, version)"
                " SELECT client_id, owner_tenant_id, recipient_tenant_id, 'referral', 'form',"
                " now() - interval '30 days', :u, now(), now(), 1 FROM engagements"
            ),
            {"u": user},
        )
        for number, owner in enumerate(owners, start=1):
            spec = GrantSpec(
                source=f"version:{number}:clause:1",
                owner_tenant_id=owner,
                recipient_tenant_id=recipient,
                categories=("identity", "disability", "education"),
                actions=("read",),
                purpose="referral",
                scope="engaged",
                consent_required=True,
                valid_from=datetime(2026, 1, 1).date(),
                valid_until=datetime(2026, 12, 31).date(),
                agreement_id=number,
                agreement_title=f"Agreement {number}",
                version_number=1,
                clause_number=1,
                signed_on=None,
            )
            session.add_all(rows_of(spec))
        await session.commit()
        await session.execute(text("ANALYZE"))
        await session.commit()  # statistics written inside a transaction are kept only if it commits
    await engine.dispose()
    return recipient


def sql_of(statement) -> str:  # type: ignore[no-untyped-def]
    return str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


async def explain(url: str, recipient: int) -> None:
    engine = make_engine(normalise_database_url(url))
    shared = declared(Client)
    plan = Plan(shared=shared, tenant_id=recipient, action="read", role_allows=True, now=NOW)
    page = select(Client).where(plan.predicate()).order_by(Client.id.desc()).limit(50)
    async with make_sessionmaker(engine)() as session:
        ids = (
            await session.scalars(select(Client.id).where(plan.predicate()).order_by(Client.id.desc()).limit(50))
        ).all()
        rows = (await session.scalars(select(Client).where(Client.id.in_(ids)))).all()
        timings = []
        for _ in range(20):
            started = time.perf_counter()
            decisions = await plan.decide(session, rows)
            timings.append((time.perf_counter() - started) * 1000)
        allowed = sum(d.allowed for d in decisions)
        print(f"decide for the page's {len(rows)} rows ({allowed} allowed): median {sorted(timings)[10]:.1f} ms")
        started = time.perf_counter()
        (one_decision,) = await plan.decide(session, rows[:1])
        print(f"decide for one row: {(time.perf_counter() - started) * 1000:.1f} ms ({one_decision.categories})")
        one = ids[len(ids) // 2]
        single = select(Client).where(Client.id == one, plan.predicate())
        total = await session.scalar(text("SELECT count(*) FROM clients"))
        grants = await session.scalar(text("SELECT count(*) FROM access_grants"))
        print(f"clients {total:,}, grant rows {grants:,}, the recipient's page of 50 ids {len(ids)}")
        for name, statement in (
            ("the recipient's client list, one page", page),
            ("one shared client", single),
        ):
            start = time.perf_counter()
            rows = (await session.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql_of(statement)))).scalars().all()
            wall = (time.perf_counter() - start) * 1000
            print(f"\n== {name} ({wall:.1f} ms wall, with EXPLAIN)")
            print("\n".join(rows))
    await engine.dispose()


async def main(clients: int) -> None:
    name = f"portal_bench_{uuid.uuid4().hex[:8]}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        settings = Settings(database_url=normalise_database_url(_url(name)), secret_key="x" * 40, environment="test")
        await asyncio.to_thread(migrate_database, settings)
        started = time.perf_counter()
        recipient = await fill(_url(name), clients)
        print(f"filled in {time.perf_counter() - started:.0f} s")
        await explain(_url(name), recipient)
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200_000)
    asyncio.run(main(parser.parse_args().clients))
