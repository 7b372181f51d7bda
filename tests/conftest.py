"""Fixtures: a fresh, migrated and seeded database per test, on SQLite and on PostgreSQL.

The schema is built once per run and backend by the real migrations plus the demo seed (a
template); each test then gets its own copy: a file copy on SQLite, CREATE DATABASE ... TEMPLATE
on PostgreSQL. With CI=true a missing PostgreSQL fails the run instead of skipping it.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from portal.cli import migrate_database, seed_demo_database
from portal.settings import Settings, normalise_database_url

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_URL = os.environ.get("PORTAL_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET = "test-secret-key-that-is-long-enough-0123456789"
RUN_ID = uuid.uuid4().hex[:8]


# The web app's own role on PostgreSQL (row-level security holds for it); migrations create it with
# this password, which a server that trusts only the postgres user on loopback asks for.
APP_ROLE_PASSWORD = "portal-app-test-password"


def app_url_for(database_url: str) -> str:
    """The URL the web app serves requests with: the owner's URL with the app's role and password."""
    url = normalise_database_url(database_url)
    if url.startswith("sqlite"):
        return url
    scheme, _sep, rest = url.partition("://")
    return f"{scheme}://portal_app:{APP_ROLE_PASSWORD}@{rest.rpartition('@')[2]}"


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": normalise_database_url(database_url),
        "database_app_url": app_url_for(database_url),
        "secret_key": SECRET,
        "environment": "test",
    }
    values.update(overrides)
    return Settings(**values)


# --- PostgreSQL ------------------------------------------------------------------------------


def _pg_admin(sql: str) -> None:
    import asyncpg

    async def go() -> None:
        conn = await asyncpg.connect(PG_URL, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(go())


def _pg_url_for(database: str) -> str:
    base, _sep, _db = PG_URL.rpartition("/")
    return f"{base}/{database}"


_pg_state: dict[str, Any] = {}


def pg_available() -> bool:
    if "ok" not in _pg_state:
        try:
            _pg_admin("SELECT 1")
            _pg_state["ok"] = True
        except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
            _pg_state["ok"] = False
            _pg_state["why"] = repr(exc)
    return bool(_pg_state["ok"])


def require_pg() -> None:
    if not pg_available():
        message = f"PostgreSQL not reachable at {PG_URL}: {_pg_state.get('why')}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


# --- templates -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def work_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("portal")


@pytest.fixture(scope="session")
def sqlite_template(work_dir: Path) -> tuple[Path, list[dict]]:
    path = work_dir / "template.db"
    settings = make_settings(f"sqlite:///{path}")
    migrate_database(settings)
    logins = seed_demo_database(settings, work_dir / "demo-logins.json")
    return path, logins


@pytest.fixture(scope="session")
def pg_template() -> Iterator[tuple[str, list[dict]]]:
    require_pg()
    name = f"portal_tmpl_{RUN_ID}"
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}"')
    _pg_admin(f'CREATE DATABASE "{name}"')
    settings = make_settings(_pg_url_for(name))
    migrate_database(settings)
    logins = seed_demo_database(settings, Path(tempfile.gettempdir()) / f"{name}-logins.json")
    yield name, logins
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def database(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh copy of the migrated, seeded database; yields its URL."""
    if backend == "sqlite":
        template, _logins = request.getfixturevalue("sqlite_template")
        path = tmp_path / "portal.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    template_name, _logins = request.getfixturevalue("pg_template")
    name = f"portal_t_{RUN_ID}_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    try:
        yield _pg_url_for(name)
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def demo_logins(sqlite_template: tuple[Path, list[dict]]) -> list[dict]:
    return sqlite_template[1]


@pytest.fixture
def settings(database: str) -> Settings:
    return make_settings(database)


@pytest.fixture
def app(settings: Settings):  # type: ignore[no-untyped-def]
    from portal.app import create_app

    return create_app(settings)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client


@pytest.fixture
def make_client(settings: Settings):  # type: ignore[no-untyped-def]
    """Further browsers (one per persona), each through its own app instance on the same database,
    as if served by another worker: a test client runs its own event loop, and connections must not
    cross loops."""
    from portal.app import create_app

    opened: list[TestClient] = []

    def factory() -> TestClient:
        c = TestClient(app=create_app(settings), base_url="http://testserver.local")
        c.__enter__()
        opened.append(c)
        return c

    yield factory
    for c in opened:
        c.__exit__(None, None, None)


# --- helpers ---------------------------------------------------------------------------------

DEMO_PASSWORD = "icm-demo-2026"


def csrf(client: TestClient) -> str:
    """The CSRF token as a page would carry it (fetches a page first when no cookie is set yet)."""
    if "portal_csrf" not in client.cookies:
        client.get("/login")
    return client.cookies["portal_csrf"]


def post_form(client: TestClient, url: str, data: dict[str, Any] | None = None, **kwargs: Any):  # type: ignore[no-untyped-def]
    body = dict(data or {})
    body["_csrf_token"] = csrf(client)
    return client.post(url, data=body, follow_redirects=False, **kwargs)


def login(client: TestClient, user: str, password: str = DEMO_PASSWORD):  # type: ignore[no-untyped-def]
    response = post_form(client, "/login", {"login": user, "password": password, "next": "/"})
    assert response.status_code == 303, response.text
    return response


def on_an_event_loop() -> bool:
    """Whether the calling thread runs an event loop: work handed to a thread runs where none does."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def run(coro):  # type: ignore[no-untyped-def]
    """Run a coroutine against the app's database from a synchronous test."""
    return asyncio.run(coro)


def logins_by_name(logins: list[dict]) -> dict[str, dict]:
    return {row["login"]: row for row in logins}


def demo_logins_file(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


def with_db(settings: Settings, work):  # type: ignore[no-untyped-def]
    """Run `await work(session)` in its own engine and transaction, committed; returns its result."""
    from portal.db import make_engine, make_sessionmaker

    async def go():  # type: ignore[no-untyped-def]
        engine = make_engine(settings.database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(go())


@pytest.fixture
def no_demo_agreements(settings: Settings) -> None:
    """For tests that build their own agreements: the demo pilot is terminated and its grants gone."""
    from tests.factories import set_aside_demo_agreements

    with_db(settings, set_aside_demo_agreements)
