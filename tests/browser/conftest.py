"""A real portal process and a real Chromium: the server runs `uvicorn portal.asgi:app` on a free
loopback port over a fresh copy of the migrated, seeded SQLite database; Playwright drives Debian's
Chromium. Without /usr/bin/chromium the tests skip, except in CI (CI=true), where they fail."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from portal.settings import ROOT
from tests.conftest import DEMO_PASSWORD, IN_CI, SECRET

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class Portal:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def _wait_until_healthy(portal: Portal, timeout: float = 30.0) -> None:
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
) -> Iterator[Callable[[], Portal]]:
    """Starts a portal process with a database of its own; all are stopped at the end of the run."""
    started: list[Portal] = []

    def start() -> Portal:
        folder = tmp_path_factory.mktemp("browser-portal")
        database = folder / "portal.db"
        shutil.copyfile(sqlite_template[0], database)
        port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{database}",
            "SECRET_KEY": SECRET,
            "PORT": str(port),
            "HOST": HOST,
            "PORTAL_ENV": "test",
        }
        log = folder / "server.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "portal.asgi:app", "--host", HOST, "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        portal = Portal(url=f"http://{HOST}:{port}", process=process, log=log)
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
def portal(start_portal: Callable[[], Portal]) -> Portal:
    """One portal for a module's tests that only read (or that each sign in afresh)."""
    return start_portal()


@pytest.fixture
def fresh_portal(start_portal: Callable[[], Portal]) -> Portal:
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


def sign_in(page, portal: Portal, user: str, password: str = DEMO_PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{portal.url}/login")
    page.locator("#login").fill(user)
    page.locator("#password").fill(password)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(f"{portal.url}/")
