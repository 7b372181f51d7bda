"""Two worker processes on one PostgreSQL database: a revocation made through one worker is
enforced by the other on its very next request, with no message passed between them.

No test here times anything: each worker reads the policy revision, the grant rows and the consents
in the transaction of every request, so the first request after the change's commit must already
be refused. How long a role change takes to reach every worker is measured by `bench/`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from portal.cases.models import Client, Consent
from portal.cli import migrate_database, seed_demo_database
from portal.db import utcnow
from tests.conftest import DEMO_PASSWORD, SECRET, _pg_admin, _pg_url_for, make_settings, require_pg, with_db
from tests.factories import make_agreement, tenant_id

ROOT = Path(__file__).resolve().parents[2]
CLIENT_NAME = "Oʻrinboyev Shahzod Akmal oʻgʻli"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def pg_database(tmp_path: Path) -> Iterator[str]:
    require_pg()
    name = f"portal_workers_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        url = _pg_url_for(name)
        settings = make_settings(url)
        migrate_database(settings)
        seed_demo_database(settings, tmp_path / "logins.json")
        yield url
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _start_worker(url: str, port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PORT": str(port),
        "SECRET_KEY": SECRET,
        "PORTAL_ENV": "test",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "portal.asgi:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def _wait_ready(base: str, process: subprocess.Popen, log: Path) -> None:
    """Wait until the worker answers /health: on a busy machine start-up can take long, so the bound is
    only a safety net against a hung process (the worker's own exit is caught at once)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"worker exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"worker not ready: {log.read_text(errors='replace')[-2000:]}")


@contextmanager
def two_workers(url: str, tmp_path: Path) -> Iterator[list[str]]:
    """Two uvicorn processes serving the same database on loopback; yields their base URLs."""
    ports = [_free_port(), _free_port()]
    logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    workers = [_start_worker(url, port, log) for port, log in zip(ports, logs, strict=True)]
    try:
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for base, process, log in zip(bases, workers, logs, strict=True):
            _wait_ready(base, process, log)
        yield bases
    finally:
        for process in workers:
            process.terminate()
        for process in workers:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _denied(browser: httpx.Client, path: str, gone: str) -> None:
    """The next request for the page is a 404 that does not show the text."""
    response = browser.get(path)
    assert response.status_code == 404, f"still shown after the change: {response.status_code}"
    assert gone not in response.text


def _signed_in(base: str, login: str) -> httpx.Client:
    browser = httpx.Client(base_url=base, follow_redirects=False, timeout=5)
    browser.get("/login")
    token = browser.cookies["portal_csrf"]
    response = browser.post(
        "/login", data={"login": login, "password": DEMO_PASSWORD, "next": "/", "_csrf_token": token}
    )
    assert response.status_code == 303, response.text
    return browser


async def _terminate_all(session) -> None:  # type: ignore[no-untyped-def]
    from portal.partnership import compiler
    from portal.partnership.models import AgreementVersion

    for version in (await session.scalars(select(AgreementVersion))).all():
        version.status = "terminated"
        await compiler.remove(session, version.id)


def test_a_consent_withdrawn_through_worker_a_is_enforced_by_worker_b_on_its_next_request(
    pg_database: str, tmp_path: Path
) -> None:
    settings = make_settings(pg_database)

    async def share(session):  # type: ignore[no-untyped-def]
        today = utcnow().date()
        await make_agreement(
            session,
            clauses=[
                {
                    "owner": await tenant_id(session, "inson-yunusobod"),
                    "recipient": await tenant_id(session, "ngo-sharoit-plus"),
                    "categories": ["identity", "disability"],
                    "scope": "engaged",
                    "consent_required": True,
                    "purpose": "referral",
                }
            ],
            valid_from=today - timedelta(days=30),
            valid_until=today + timedelta(days=365),
        )
        client = await session.scalar(select(Client).where(Client.full_name == CLIENT_NAME))
        consent = await session.scalar(select(Consent).where(Consent.client_id == client.id))
        return client.id, consent.id

    client_id, consent_id = with_db(settings, share)
    with two_workers(pg_database, tmp_path) as bases:
        owner = _signed_in(bases[0], "inson.social")  # worker A
        partner = _signed_in(bases[1], "ngo.worker")  # worker B
        seen = partner.get(f"/clients/{client_id}")
        assert seen.status_code == 200 and CLIENT_NAME in seen.text

        withdrawn = owner.post(
            f"/clients/{client_id}/consents/{consent_id}/withdraw",
            data={"_csrf_token": owner.cookies["portal_csrf"]},
        )
        assert withdrawn.status_code == 303
        _denied(partner, f"/clients/{client_id}", CLIENT_NAME)

        # A new consent through worker A restores it; then the agreement is terminated outside
        # both workers (policy lines removed, revision bumped): worker B reloads and denies.
        ngo = with_db(settings, lambda s: tenant_id(s, "ngo-sharoit-plus"))
        given = owner.post(
            f"/clients/{client_id}/consents",
            data={
                "recipient": str(ngo),
                "purpose": "referral",
                "evidence": "Written consent form no. 9",
                "_csrf_token": owner.cookies["portal_csrf"],
            },
            files={"document": ("consent-9.pdf", b"%PDF-1.4\n% signed form\n", "application/pdf")},
        )
        assert given.status_code == 303
        assert partner.get(f"/clients/{client_id}").status_code == 200
        with_db(settings, _terminate_all)
        _denied(partner, f"/clients/{client_id}", CLIENT_NAME)


def test_an_agreement_terminated_through_worker_a_is_enforced_by_worker_b_on_its_next_request(
    pg_database: str, tmp_path: Path
) -> None:
    """The agreement is drafted, proposed and signed by both parties through the services, with
    today's clock; its termination then goes through worker A's page, as a signatory would do it."""
    from datetime import date

    from portal.db import utcnow
    from tests.factories import consent, engage, make_client, set_aside_demo_agreements
    from tests.partnership.factories import make_agreement as sign_agreement

    settings = make_settings(pg_database)
    today = utcnow().date()

    async def share(session):  # type: ignore[no-untyped-def]
        await set_aside_demo_agreements(session)
        pes = await tenant_id(session, "pes-yunusobod")
        ngo = await tenant_id(session, "ngo-sharoit-plus")
        client = await make_client(session, pes, full_name=CLIENT_NAME)
        await engage(session, client, ngo, opened_on=today - timedelta(days=3))
        await consent(session, client, ngo, given_at=utcnow() - timedelta(days=3))
        await session.commit()
        version_id = await sign_agreement(
            session,
            signed=True,
            valid=(today - timedelta(days=30), date(today.year + 1, 12, 31)),
            now=utcnow(),
        )
        return client.id, version_id

    client_id, version_id = with_db(settings, share)
    with two_workers(pg_database, tmp_path) as bases:
        signatory = _signed_in(bases[0], "pes.sign")  # worker A
        partner = _signed_in(bases[1], "ngo.worker")  # worker B
        seen = partner.get(f"/clients/{client_id}")
        assert seen.status_code == 200 and CLIENT_NAME in seen.text

        # The data owner stops sharing at once (a party's notice would end it only after the notice period).
        ended = signatory.post(
            f"/agreements/versions/{version_id}/stop-sharing",
            data={"reason": "Loyiha muddatidan oldin yakunlandi", "_csrf_token": signatory.cookies["portal_csrf"]},
        )
        assert ended.status_code == 303, ended.text
        _denied(partner, f"/clients/{client_id}", CLIENT_NAME)
