"""A real OpenID Connect provider (oidc-provider-mock) on 127.0.0.1, with a recorder in front of it.

The recorder keeps every token request, so tests can check the PKCE verifier the portal sent, and
can change the ID token on its way back, as an attacker between the two would.
"""

from __future__ import annotations

import base64
import io
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import httpx
import werkzeug.serving
from litestar.testing import TestClient
from oidc_provider_mock import User
from oidc_provider_mock import app as provider_app

from portal.settings import ProviderConfig

PROVIDER_NAME = "test-id"
CLIENT_ID = "icm-portal"
CLIENT_SECRET = "provider-client-secret"

# People the provider knows. Dilnoza and Feruza's PINFLs are registered by tests; Ulugbek's never is.
FERUZA_PINFL = "41203876540012"
DILNOZA_PINFL = "52107906540031"
UNKNOWN_PINFL = "30101850000017"
PEOPLE = (
    User(sub="feruza", claims={"pinfl": FERUZA_PINFL, "email": "feruza.alimova@example.uz"}),
    User(sub="dilnoza", claims={"pinfl": DILNOZA_PINFL, "email": "dilnoza@example.uz"}),
    User(sub="ulugbek", claims={"pinfl": UNKNOWN_PINFL, "email": "ulugbek@example.uz"}),
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def forge_claims(id_token: str, **changes: Any) -> str:
    """The same token with changed claims and the original signature, which no longer fits."""
    header, payload, signature = id_token.split(".")
    claims = json.loads(_unb64(payload))
    claims.update(changes)
    return ".".join([header, _b64(json.dumps(claims).encode()), signature])


@dataclass
class Recorder:
    """WSGI middleware in front of the provider."""

    app: Any
    token_requests: list[dict[str, str]] = field(default_factory=list)
    tamper: bool = False
    token_endpoint_down: bool = False

    def __call__(self, environ: dict, start_response):  # type: ignore[no-untyped-def]
        if environ.get("PATH_INFO") != "/oauth2/token" or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        self.token_requests.append(dict(parse_qsl(body.decode())))
        if self.token_endpoint_down:
            start_response("503 Service Unavailable", [("Content-Type", "text/html")])
            return [b"<h1>Down for maintenance</h1>"]
        if not self.tamper:
            return self.app(environ, start_response)
        captured: dict[str, Any] = {}

        def keep(status, headers, exc_info=None):  # type: ignore[no-untyped-def]
            captured["status"], captured["headers"] = status, headers

        answer = json.loads(b"".join(self.app(environ, keep)))
        if "id_token" in answer:
            answer["id_token"] = forge_claims(answer["id_token"], pinfl=FERUZA_PINFL, sub="feruza")
        out = json.dumps(answer).encode()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(out)))])
        return [out]


@dataclass
class MockProvider:
    issuer: str
    recorder: Recorder

    def config(self, **overrides: Any) -> ProviderConfig:
        values: dict[str, Any] = {
            "name": PROVIDER_NAME,
            "label": "Test ID",
            "issuer": self.issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scopes": ("openid", "email"),
            "claim": "pinfl",
        }
        values.update(overrides)
        return ProviderConfig(**values)


@contextmanager
def running_provider() -> Iterator[MockProvider]:
    recorder = Recorder(provider_app(require_nonce=True, user_claims=PEOPLE))
    server = werkzeug.serving.make_server("127.0.0.1", 0, recorder, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield MockProvider(issuer=f"http://127.0.0.1:{server.server_port}", recorder=recorder)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def closed_loopback_port() -> int:
    """A port on 127.0.0.1 with nobody listening: an unreachable provider."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- walking the redirects: the portal in a test client, the browser at the provider in httpx ---

START = f"/login/oidc/{PROVIDER_NAME}"


def start(client: TestClient, next: str | None = None) -> str:
    response = client.get(START + (f"?next={next}" if next else ""), follow_redirects=False)
    assert response.status_code == 302, response.text
    return response.headers["location"]


def authorize_at_provider(authorize_url: str, sub: str) -> str:
    """The person signs in at the provider; returns the callback URL it sends them back to."""
    with httpx.Client(timeout=10) as browser:
        form = browser.get(authorize_url)
        assert form.status_code == 200, form.text
        answer = browser.post(authorize_url, data={"sub": sub})
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


def come_back(client: TestClient, callback_url: str, **replace: str):  # type: ignore[no-untyped-def]
    parts = urlsplit(callback_url)
    assert parts.netloc == "testserver.local"
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    params.update(replace)
    return client.get(parts.path, params=params, follow_redirects=False)


def sign_in_through_provider(client: TestClient, sub: str, next: str | None = None):  # type: ignore[no-untyped-def]
    return come_back(client, authorize_at_provider(start(client, next), sub))
