"""`portal serve` runs several workers on uvicorn or granian against one PostgreSQL, each worker's pool sized
by settings; behind a reverse proxy named in TRUSTED_PROXIES the client's address is the one the proxy saw."""

from __future__ import annotations

import gzip
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Request

from portal.app import create_app
from portal.settings import Settings, SettingsError
from portal.web import client_address
from tests.conftest import SECRET, app_url_for, make_settings

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"


def test_pool_sizes_and_proxies_are_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {"SECRET_KEY": SECRET, "DB_POOL_SIZE": "4", "DB_MAX_OVERFLOW": "0", "TRUSTED_PROXIES": "10.0.0.5, 10.0.1.0/24"}
    )
    assert (settings.db_pool_size, settings.db_max_overflow) == (4, 0)
    assert [str(n) for n in settings.trusted_proxies] == ["10.0.0.5/32", "10.0.1.0/24"]
    defaults = Settings.from_env({"SECRET_KEY": SECRET})
    assert (defaults.db_pool_size, defaults.db_max_overflow, defaults.trusted_proxies) == (10, 10, ())


@pytest.mark.parametrize(
    ("name", "value"),
    [("DB_POOL_SIZE", "0"), ("DB_POOL_SIZE", "many"), ("DB_MAX_OVERFLOW", "-1"), ("TRUSTED_PROXIES", "10.0.0.x")],
)
def test_a_bad_pool_or_proxy_setting_stops_the_start(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({"SECRET_KEY": SECRET, name: value})


def test_each_workers_pool_has_the_configured_size() -> None:
    settings = make_settings("postgresql://postgres@127.0.0.1:5432/unused", db_pool_size=3, db_max_overflow=2)
    pool = create_app(settings).state.engine.sync_engine.pool
    assert (pool.size(), pool._max_overflow) == (3, 2)


def address_of(peer: str, forwarded: list[str], trusted: str) -> str:
    settings = make_settings(
        "sqlite:///unused.db",
        trusted_proxies=Settings.from_env({"SECRET_KEY": SECRET, "TRUSTED_PROXIES": trusted}).trusted_proxies,
    )
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/login",
        "query_string": b"",
        "client": (peer, 40000),
        "headers": [(b"x-forwarded-for", value.encode()) for value in forwarded],
        "litestar_app": create_app(settings),
    }
    return client_address(Request(scope))  # type: ignore[arg-type]


def test_the_client_address_is_the_socket_peer_unless_it_is_a_trusted_proxy() -> None:
    # No proxy is trusted: a forwarded-for header is anyone's invention.
    assert address_of("203.0.113.7", ["198.51.100.1"], "") == "203.0.113.7"
    # A trusted proxy names the client it saw, after whatever the client wrote itself.
    assert address_of("10.0.0.5", ["198.51.100.99, 198.51.100.1"], "10.0.0.5") == "198.51.100.1"
    # Two trusted proxies in a row (a load balancer, then the web server).
    assert address_of("10.0.0.5", ["198.51.100.1, 10.0.1.7"], "10.0.0.5,10.0.1.0/24") == "198.51.100.1"
    # The header of an untrusted peer is ignored, and so is a header no proxy of ours wrote.
    assert address_of("203.0.113.7", ["198.51.100.1"], "10.0.0.5") == "203.0.113.7"
    assert address_of("10.0.0.5", ["not-an-address"], "10.0.0.5") == "10.0.0.5"
    assert address_of("10.0.0.5", [], "10.0.0.5") == "10.0.0.5"


# --- the real servers -------------------------------------------------------------------------


@pytest.fixture
def backend() -> str:
    """Several workers need PostgreSQL."""
    return "postgresql"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def _get(url: str, encoding: str = "identity") -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": encoding})  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback
        return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()


@pytest.fixture
def serve(database: str, tmp_path: Path) -> Iterator:  # type: ignore[type-arg]
    started: list[subprocess.Popen[bytes]] = []

    def start(*options: str) -> str:
        port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database,
            "DATABASE_APP_URL": app_url_for(database),
            "SECRET_KEY": SECRET,
            "PORT": str(port),
            "HOST": LOOPBACK,
            "PORTAL_ENV": "test",
            "DB_POOL_SIZE": "2",
            "DB_MAX_OVERFLOW": "1",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        log = tmp_path / f"serve-{port}.log"
        command = [sys.executable, "-c", "from portal.cli import main; main()", "serve", *options]
        process = subprocess.Popen(  # noqa: S603 - our own command
            command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
        )
        started.append(process)
        url = f"http://{LOOPBACK}:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"portal serve exited with {process.returncode}:\n{log.read_text(errors='replace')}")
            try:
                if _get(f"{url}/health")[0] == 200:
                    return url
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        pytest.fail(f"portal serve did not answer within 60 s:\n{log.read_text(errors='replace')}")

    yield start
    for process in started:
        os.killpg(process.pid, 15)
    for process in started:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


@pytest.mark.postgres
@pytest.mark.parametrize("server", ["uvicorn", "granian"])
def test_several_workers_serve_the_portal_on_either_server(serve, server: str) -> None:  # type: ignore[no-untyped-def]
    if server == "granian":
        pytest.importorskip("granian")
    url = serve("--workers", "2", "--server", server)
    for _each in range(6):
        status, headers, body = _get(f"{url}/login", "gzip")
        assert status == 200
        assert headers["content-encoding"] == "gzip"
        assert b'name="password"' in gzip.decompress(body)
        assert headers["cache-control"] == "no-store"
