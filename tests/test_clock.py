"""One clock for every page: moving the app's clock moves every rule with a date."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from litestar.testing import TestClient

from tests.conftest import login


def test_after_the_pilots_last_day_the_pages_show_it_expired_and_share_nothing(app, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    client.cookies.set("portal_lang", "en", domain="testserver.local")
    login(client, "ngo.worker")
    shared = re.findall(r'href="/clients/(\d+)"', client.get("/clients").text)
    assert shared, "the demo pilot shares engaged, consenting clients with the NGO"
    assert "In force" in client.get("/agreements").text

    # The demo pilot runs to 31 December two years after the seed's year.
    last_year = datetime.now(UTC).year + 2
    app.state.clock = lambda: datetime(last_year + 1, 1, 2, 9, 0, tzinfo=UTC)
    # Years later the sign-in has long expired too.
    assert client.get("/agreements", follow_redirects=False).status_code == 303
    login(client, "ngo.worker")

    assert "Expired" in client.get("/agreements").text
    assert re.findall(r'href="/clients/(\d+)"', client.get("/clients").text) == []
    assert client.get(f"/clients/{shared[0]}").status_code == 404
