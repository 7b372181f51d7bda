"""Static files' addresses carry a digest of their bytes.

The digest is taken once, when the app is made. A page links to `/static/portal.css?v=<digest>`, and
a request that names the file's current digest may be kept by browsers and proxies for a year: a
release that changes the file changes its address. Any other request for the file (an old digest
from a page cached before the release, or none) is served the current bytes with `no-cache`, so it
is checked again next time rather than kept under the wrong address."""

from __future__ import annotations

import hashlib
from pathlib import Path

from jinja2 import pass_context

IMMUTABLE = b"public, max-age=31536000, immutable"
REVALIDATE = b"no-cache"
VERSION_PARAMETER = "v"


def fingerprints(directory: Path) -> dict[str, str]:
    """`/path` under the static directory -> the first 16 hex digits of the SHA-256 of its bytes."""
    return {
        "/" + path.relative_to(directory).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def cache_control(versions: dict[str, str], file_path: str, query_string: bytes) -> bytes:
    """The Cache-Control of a static file's response: a year only for the address a page links to."""
    digest = versions.get(file_path)
    wanted = f"{VERSION_PARAMETER}={digest}".encode() if digest else None
    return IMMUTABLE if wanted is not None and query_string == wanted else REVALIDATE


@pass_context
def static_url(context, file_path: str) -> str:  # type: ignore[no-untyped-def]
    """The address of a static file with its digest (templates: `static_url('/portal.css')`)."""
    request = context.get("request")
    if request is None:
        return "/static" + file_path
    url = request.app.route_reverse("static", file_path=file_path)
    digest = request.app.state.static_versions.get(file_path)
    return f"{url}?{VERSION_PARAMETER}={digest}" if digest else url
