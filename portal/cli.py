"""The `portal` command: migrate, seed the demo, create tenants and users, verify the audit log, serve,
send the outbox's e-mails."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click

from portal.settings import ROOT, VAR, Settings

T = TypeVar("T")


def _run_in_session(settings: Settings, work: Callable[..., Awaitable[T]]) -> T:
    from portal.access import seal
    from portal.db import make_engine, make_sessionmaker

    seal.use_key(settings.signing_key)

    async def go() -> T:
        engine = make_engine(settings.database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(go())


def migrate_database(settings: Settings, revision: str = "head") -> None:
    """Bring the schema to `revision`, then make reference data, role grants and the grant rows of
    agreements in force match the code and the signed terms."""
    from alembic import command
    from alembic.config import Config

    from portal.access.policy import write_role_grants
    from portal.partnership.services import recompile_grants
    from portal.tenants.seed import sync_places

    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = settings.database_url
    config.attributes["app_database_url"] = settings.app_url
    command.upgrade(config, revision)

    async def reference(session):  # type: ignore[no-untyped-def]
        await sync_places(session)
        await write_role_grants(session)
        if revision == "head":
            await recompile_grants(session)

    _run_in_session(settings, reference)
    # The key that seals signatures and checkpoints exists from the first migration on: copied from
    # here to every other machine, never made a second time by one of them (see `serve`).
    from portal.access import seal

    seal.portal_key()


def downgrade_database(settings: Settings, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = settings.database_url
    config.attributes["app_database_url"] = settings.app_url
    command.downgrade(config, revision)


def seed_demo_database(settings: Settings, logins_file: Path | None = None) -> list[dict]:
    from portal.cases.seed import seed_demo_clients
    from portal.cases.work_seed import seed_demo_casework
    from portal.partnership.seed import seed_demo_agreements
    from portal.tenants.seed import seed_demo

    logins = [vars(x) for x in _run_in_session(settings, seed_demo)]
    # Clients first: the pilot agreement's demo engagements and consents refer to them.
    _run_in_session(settings, seed_demo_clients)
    _run_in_session(settings, seed_demo_agreements)
    # The casework acts under the agreements' clauses, so it comes after them.
    _run_in_session(settings, seed_demo_casework)
    target = logins_file or VAR / "demo-logins.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(logins, ensure_ascii=False, indent=2), encoding="utf-8")
    return logins


@click.group()
def main() -> None:
    """ICM partnership portal."""


@main.command()
def migrate() -> None:
    """Create or upgrade the database schema and reference data."""
    settings = Settings.from_env()
    migrate_database(settings)
    click.echo(f"Database is up to date: {settings.database_url.split('@')[-1]}")


@main.command("seed-demo")
def seed_demo_command() -> None:
    """Add the Tashkent pilot's demo partners and users (safe to run again)."""
    logins = seed_demo_database(Settings.from_env())
    click.echo("Demo logins (password for all: %s):" % (logins[0]["password"] if logins else "-"))
    for row in logins:
        click.echo(f"  {row['login']:<20} {row['tenant']:<28} {', '.join(row['roles'])}")
    click.echo(f"Written to {VAR / 'demo-logins.json'}")


@main.command("seed-scale")
@click.option(
    "--size",
    default="small",
    show_default=True,
    help="full (about 1,000 organisations, 10,000 users, 200,000 clients, 5,000 agreements), medium, small, "
    "tiny, or a fraction of full such as 0.25",
)
@click.option("--seed", default=2026, show_default=True, help="The same size and seed give the same rows")
def seed_scale_command(size: str, seed: int) -> None:
    """Add a national-scale data set for measuring the portal (once per database)."""
    from portal.access import seal
    from portal.db import make_engine
    from portal.seed_scale import SeedScaleError, Size, seed_scale

    settings = Settings.from_env()
    if settings.environment == "production":
        raise click.ClickException("seed-scale writes made-up people: not in a production database (PORTAL_ENV)")
    seal.use_key(settings.signing_key)

    async def go():  # type: ignore[no-untyped-def]
        engine = make_engine(settings.database_url)
        try:
            return await seed_scale(engine, Size.parse(size), seed, click.echo)
        finally:
            await engine.dispose()

    try:
        report = asyncio.run(go())
    except SeedScaleError as exc:
        raise click.ClickException(str(exc)) from exc
    for table, count in report.counts.items():
        click.echo(f"  {table:<22} {count:>9,}")
    click.echo(
        f"The recipient {report.recipient_slug} holds {report.recipient_clauses} clauses from "
        f"{report.recipient_owners} owners over {report.recipient_engaged:,} engaged clients."
    )
    click.echo(f"Sign in as {report.recipient_login} (the recipient) or {report.owner_login} (one of its owners),")
    click.echo(f"password {report.password}. Written in {report.seconds:,.1f} s.")


@main.command("create-tenant")
@click.option("--slug", required=True)
@click.option("--kind", required=True)
@click.option("--region", required=True, help="Region code, e.g. tashkent-city")
@click.option("--district", default=None)
@click.option("--name-uz", required=True)
@click.option("--name-uz-cyrl", required=True)
@click.option("--name-ru", required=True)
@click.option("--name-en", required=True)
def create_tenant(slug, kind, region, district, name_uz, name_uz_cyrl, name_ru, name_en) -> None:  # type: ignore[no-untyped-def]
    """Register a partner organisation."""
    from portal.tenants.seed import SeedError, ensure_tenant

    names = {"uz": name_uz, "uz_Cyrl": name_uz_cyrl, "ru": name_ru, "en": name_en}
    try:
        tenant = _run_in_session(
            Settings.from_env(),
            lambda s: ensure_tenant(s, slug=slug, kind=kind, names=names, region=region, district=district),
        )
    except SeedError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Tenant {tenant.slug} (id {tenant.id})")


@main.command("create-user")
@click.option("--login", required=True)
@click.option("--full-name", required=True)
@click.option("--tenant", "tenant_slug", required=True)
@click.option("--role", "roles", multiple=True, required=True)
@click.password_option()
def create_user(login, full_name, tenant_slug, roles, password) -> None:  # type: ignore[no-untyped-def]
    """Create a user (or add a membership) in a tenant."""
    from sqlalchemy import select

    from portal.tenants.models import Tenant
    from portal.tenants.seed import SeedError, ensure_user

    async def work(session):  # type: ignore[no-untyped-def]
        tenant = await session.scalar(select(Tenant).where(Tenant.slug == tenant_slug))
        if tenant is None:
            raise SeedError(f"no tenant {tenant_slug!r}")
        return await ensure_user(
            session,
            login=login.strip().lower(),
            full_name=full_name,
            password=password,
            tenant=tenant,
            roles=list(roles),
        )

    try:
        user = _run_in_session(Settings.from_env(), work)
    except SeedError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"User {user.login} (id {user.id})")


@main.command("verify-audit")
@click.option("--no-seal", is_flag=True, help="Only check; do not sign the heads of intact chains")
def verify_audit(no_seal: bool) -> None:
    """Check every audit chain and its signed checkpoints; exit 1 if any entry was changed or removed."""
    from portal.access.audit_check import verify_chain

    report = _run_in_session(Settings.from_env(), lambda session: verify_chain(session, seal=not no_seal))
    if report.intact:
        click.echo(f"Audit log intact: {report.entries} entries, {report.chains} chains, {report.sealed} sealed now")
        return
    where = f"at entry {report.first_broken_id}" if report.first_broken_id is not None else "(entries missing)"
    click.echo(f"Audit log BROKEN {where}", err=True)
    for problem in report.problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)


@main.group("working-days")
def working_days() -> None:
    """The days the government moved (a weekend made working, a working day made rest), on top of the
    public holidays, for the 5-working-day answer of a referral."""


def _day(text: str):  # type: ignore[no-untyped-def]
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date like 2026-03-07") from None


@working_days.command("add")
@click.argument("day")
@click.option("--working/--rest", required=True, help="Made a working day, or made a rest day")
@click.option("--note", default="", help="The decree or announcement, e.g. the decree's number")
def working_days_add(day: str, working: bool, note: str) -> None:
    """Enter a moved day (replaces an earlier entry for the same day)."""
    from portal.cases.calendar import set_override
    from portal.db import utcnow

    moved = _day(day)
    _run_in_session(Settings.from_env(), lambda s: set_override(s, moved, working, note[:300], utcnow()))
    click.echo(f"{moved.isoformat()} is now a {'working' if working else 'rest'} day")


@working_days.command("remove")
@click.argument("day")
def working_days_remove(day: str) -> None:
    """Remove an entry: the day follows the public holiday calendar again."""
    from portal.cases.calendar import remove_override

    moved = _day(day)
    if not _run_in_session(Settings.from_env(), lambda s: remove_override(s, moved)):
        raise click.ClickException(f"no entry for {moved.isoformat()}")
    click.echo(f"{moved.isoformat()} follows the public holiday calendar again")


@working_days.command("list")
@click.option("--year", type=int, default=None)
def working_days_list(year: int | None) -> None:
    """List the entered days (all, or one year's)."""
    from portal.cases.calendar import overrides

    rows = _run_in_session(Settings.from_env(), lambda s: overrides(s, year))
    for row in rows:
        click.echo(f"{row.day.isoformat()}  {'working' if row.working else 'rest   '}  {row.note}")
    if not rows:
        click.echo("No days entered.")


def notification_links(settings: Settings) -> Callable[..., str | None]:
    """A notification's link as a full address for its e-mail: PUBLIC_URL (or where `serve` listens)
    and the path the app's routes give its route name and parameters."""
    from portal.app import create_app

    routes = create_app(settings)
    base = settings.public_url or f"http://{settings.host}:{settings.port}"

    def link_for(route: str, params: dict) -> str | None:  # type: ignore[type-arg]
        try:
            return base + routes.route_reverse(route, **params)
        except Exception:  # noqa: BLE001 - a route renamed since the notification was written
            return None

    return link_for


@main.command()
@click.option("--once", is_flag=True, help="Send what is due now, then stop")
@click.option("--every", default=5.0, show_default=True, help="Seconds between looks at the outbox")
def worker(once: bool, every: float) -> None:
    """Send the e-mails of notifications, from the outbox their transactions wrote, once committed."""
    import logging

    from portal.notifications.outbox import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = Settings.from_env()
    try:
        asyncio.run(run_worker(settings, notification_links(settings), once=once, every=every))
    except KeyboardInterrupt:
        pass


SERVERS = ("uvicorn", "granian")


@main.command()
@click.option("--workers", default=1, show_default=True, help="Worker processes (PostgreSQL only for more than 1)")
@click.option(
    "--server",
    type=click.Choice(SERVERS),
    default="uvicorn",
    show_default=True,
    help="The HTTP server that runs the workers",
)
def serve(workers: int, server: str) -> None:
    """Serve the portal."""
    settings = Settings.from_env()
    if workers < 1:
        raise click.ClickException("--workers must be at least 1")
    if workers > 1 and settings.is_sqlite:
        raise click.ClickException("Several workers need PostgreSQL (set DATABASE_URL)")
    if settings.environment == "production" and not settings.signing_key.exists():
        # A machine that made its own key would seal what no other machine can check.
        raise click.ClickException(
            f"The signing key {settings.signing_key} is missing: run `portal migrate` on one machine and copy "
            "the key it made to the same path (PORTAL_SIGNING_KEY) on every machine"
        )
    click.echo(f"Serving on http://{settings.host}:{settings.port} with {server}, {workers} worker(s)")
    if not settings.is_sqlite:
        per_worker = settings.db_pool_size + settings.db_max_overflow
        click.echo(
            f"Up to {workers * per_worker} connections to PostgreSQL: {workers} x "
            f"(DB_POOL_SIZE {settings.db_pool_size} + DB_MAX_OVERFLOW {settings.db_max_overflow})"
        )
    if settings.is_sqlite:
        # The embedded demo delivers its e-mails in-process; on PostgreSQL run `portal worker` beside.
        import logging

        from portal.notifications.outbox import log, start_in_thread

        if not log.handlers:
            log.addHandler(logging.StreamHandler())
            log.setLevel(logging.INFO)
        start_in_thread(settings, notification_links(settings))
        kept = "" if settings.smtp_host else " (SMTP_HOST is not set: they stay in the outbox and show in this log)"
        click.echo("E-mails of notifications are sent from this process" + kept)
    if server == "granian":
        _serve_with_granian(settings, workers)
    else:
        _serve_with_uvicorn(settings, workers)


def _serve_with_uvicorn(settings: Settings, workers: int) -> None:
    import uvicorn

    # The client's address is the socket peer's; TRUSTED_PROXIES is read by the app itself.
    uvicorn.run(
        "portal.asgi:app",
        host=settings.host,
        port=settings.port,
        workers=workers,
        proxy_headers=False,
        log_level="info",
    )


def _serve_with_granian(settings: Settings, workers: int) -> None:
    from granian import Granian
    from granian.constants import Interfaces

    Granian(
        "portal.asgi:app",
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        workers=workers,
        # A worker that dies is started again, as uvicorn's supervisor does.
        respawn_failed_workers=True,
        log_access=False,
    ).serve()
