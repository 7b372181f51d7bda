"""Pages travel gzipped; static files are linked by the digest of their bytes and kept by browsers for a year
under that address only."""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

from litestar.testing import TestClient

from tests.conftest import login

STATIC = Path(__file__).resolve().parents[1] / "static"


def raw_get(client: TestClient, url: str, encoding: str) -> tuple[dict[str, str], bytes]:
    """The response's headers and its bytes as they crossed the wire (not decoded by the client)."""
    with client.stream("GET", url, headers={"Accept-Encoding": encoding}) as response:
        assert response.status_code == 200
        return dict(response.headers), b"".join(response.iter_raw())


def without_tokens(html: str) -> str:
    return re.sub(r'(name="_csrf_token" value="|"x-csrftoken": ")[^"]+', r"\1", html)


def test_a_signed_in_page_travels_gzipped_and_reads_the_same(client: TestClient) -> None:
    login(client, "pes.case")
    client.get("/")  # shows, and so clears, the sign-in's message
    headers, wire = raw_get(client, "/", "gzip")
    assert headers["content-encoding"] == "gzip"
    assert "accept-encoding" in headers["vary"].lower()
    _plain_headers, plain = raw_get(client, "/", "identity")
    assert len(wire) < len(plain) / 2
    assert without_tokens(gzip.decompress(wire).decode()) == without_tokens(plain.decode())
    # Still a page with personal data: kept by no browser or proxy, with its security headers.
    assert headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


def test_a_small_response_is_not_compressed(client: TestClient) -> None:
    login(client, "pes.case")
    headers, _body = raw_get(client, "/static/favicon.svg", "gzip")
    assert (STATIC / "favicon.svg").stat().st_size < 1024
    assert "content-encoding" not in headers


def test_static_files_are_linked_by_their_digest_and_kept_for_a_year(client: TestClient) -> None:
    page = client.get("/login").text
    for name in ("portal.css", "favicon.svg"):
        digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:16]
        url = f"/static/{name}?v={digest}"
        assert f'"{url}"' in page
        response = client.get(url)
        assert response.status_code == 200
        assert response.content == (STATIC / name).read_bytes()
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["x-content-type-options"] == "nosniff"
    assert re.search(r'src="/static/htmx-[0-9.]+\.min\.js\?v=[0-9a-f]{16}"', page)


def test_an_old_digest_still_gets_the_file_but_not_for_keeps(client: TestClient) -> None:
    for url in ("/static/portal.css?v=0123456789abcdef", "/static/portal.css"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.content == (STATIC / "portal.css").read_bytes()
        assert response.headers["cache-control"] == "no-cache"
    missing = client.get("/static/missing.css")
    assert missing.status_code == 404
    assert "immutable" not in missing.headers.get("cache-control", "")
