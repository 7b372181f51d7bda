"""Real Chromium against the portal on 127.0.0.1.

Two ways to serve it: `portal` runs uvicorn in a thread of this process (with the test identity
provider); `served_portal` / `fresh_served_portal` run `uvicorn portal.asgi:app` as a separate
process configured only through its environment, as in production. Chromium is Debian's
(/usr/bin/chromium). Without it the browser tests skip, except in CI (CI=true), where a missing
browser fails the run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from portal.cli import migrate_database, seed_demo_database
from portal.settings import ROOT, Settings
from tests.conftest import DEMO_PASSWORD, IN_CI, SECRET, make_settings
from tests.oidc_provider import MockProvider, running_provider

CHROMIUM = Path(os.environ.get("PORTAL_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LOOPBACK = "127.0.0.1"


@dataclass
class Portal:
    url: str
    settings: Settings


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[MockProvider]:
    with running_provider() as provider:
        yield provider


@pytest.fixture
def portal(tmp_path: Path, oidc_provider: MockProvider) -> Iterator[Portal]:
    """The portal on a fresh, migrated and seeded SQLite database, served on a free loopback port."""
    from portal.app import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    settings = make_settings(
        f"sqlite:///{tmp_path / 'portal.db'}", port=port, identity_providers=(oidc_provider.config(),)
    )
    migrate_database(settings)
    seed_demo_database(settings, tmp_path / "demo-logins.json")
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the portal did not start")
        time.sleep(0.05)
    try:
        yield Portal(url=f"http://127.0.0.1:{port}", settings=settings)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def chromium(portal: Portal):  # type: ignore[no-untyped-def]
    """Started after the portal: Playwright's sync API keeps an event loop running in this thread."""
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(chromium):  # type: ignore[no-untyped-def]
    context = chromium.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


# --- the portal as a separate process -------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


@dataclass
class ServedPortal:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def _wait_until_healthy(portal: ServedPortal, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if portal.process.poll() is not None:
            pytest.fail(f"the portal exited with {portal.process.returncode}:\n{portal.output()}")
        try:
            with urllib.request.urlopen(f"{portal.url}/health", timeout=1) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    pytest.fail(f"the portal did not answer /health within {timeout:.0f}s:\n{portal.output()}")


@pytest.fixture(scope="session")
def start_portal(
    sqlite_template: tuple[Path, list[dict]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[], ServedPortal]]:
    """Starts a portal process with a database of its own; all are stopped at the end of the run."""
    started: list[ServedPortal] = []

    def start() -> ServedPortal:
        folder = tmp_path_factory.mktemp("browser-portal")
        database = folder / "portal.db"
        shutil.copyfile(sqlite_template[0], database)
        port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{database}",
            "SECRET_KEY": SECRET,
            "PORT": str(port),
            "HOST": LOOPBACK,
            "PORTAL_ENV": "test",
        }
        log = folder / "server.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "portal.asgi:app", "--host", LOOPBACK, "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        portal = ServedPortal(url=f"http://{LOOPBACK}:{port}", process=process, log=log)
        started.append(portal)
        _wait_until_healthy(portal)
        return portal

    yield start
    for portal in started:
        portal.process.terminate()
    for portal in started:
        try:
            portal.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            portal.process.kill()
            portal.process.wait()


@pytest.fixture(scope="module")
def served_portal(start_portal: Callable[[], ServedPortal]) -> ServedPortal:
    """One portal for a module's tests that only read (or that each sign in afresh)."""
    return start_portal()


@pytest.fixture
def fresh_served_portal(start_portal: Callable[[], ServedPortal]) -> ServedPortal:
    """A portal whose database nobody else has touched (for journeys that change it)."""
    return start_portal()


@pytest.fixture(scope="module")
def browser(sqlite_template: tuple[Path, list[dict]]):  # type: ignore[no-untyped-def]
    """Chromium for one module. Playwright's sync API keeps an event loop running in this thread
    while it is open, so anything that calls asyncio.run (building the database template, the
    other test modules) must happen before it starts or after it stops."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def sign_in(page, portal: ServedPortal, user: str, password: str = DEMO_PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{portal.url}/login")
    page.locator("#login").fill(user)
    page.locator("#password").fill(password)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(f"{portal.url}/")
