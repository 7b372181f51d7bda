"""A real Chromium against the portal served by uvicorn on 127.0.0.1 and the test provider.

Chromium is Debian's (/usr/bin/chromium). Without it the browser tests skip, except in CI (CI=true),
where a missing browser fails the run.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from portal.cli import migrate_database, seed_demo_database
from portal.settings import Settings
from tests.conftest import IN_CI, make_settings
from tests.oidc_provider import MockProvider, running_provider

CHROMIUM = Path(os.environ.get("PORTAL_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


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
