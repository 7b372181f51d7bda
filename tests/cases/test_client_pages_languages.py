"""Every client and sharing page renders in each of the four languages, and the search box's HTMX
request gets just the rows."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.cases.models import Client
from tests.conftest import login, with_db
from tests.factories import share_everything_with_ngo

LANGUAGES = ["uz", "uz_Cyrl", "ru", "en"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_client_and_sharing_pages_render_in_every_language(client, make_client, settings, language: str) -> None:  # type: ignore[no-untyped-def]
    with_db(settings, share_everything_with_ngo)
    client_id = with_db(settings, lambda s: s.scalar(select(Client.id).order_by(Client.id).limit(1)))
    client.cookies.set("portal_lang", language)
    login(client, "inson.admin")
    for path in ("/clients", "/clients?q=orinboyev", f"/clients/{client_id}", "/sharing", "/sharing/reads"):
        assert client.get(path).status_code == 200, path
    manager = make_client()
    manager.cookies.set("portal_lang", language)
    login(manager, "inson.social")
    for path in ("/clients/new", f"/clients/{client_id}/edit", f"/clients/{client_id}"):
        assert manager.get(path).status_code == 200, path
    partner = make_client()
    partner.cookies.set("portal_lang", language)
    login(partner, "ngo.worker")
    shared = partner.get(f"/clients/{client_id}")
    assert shared.status_code == 200 and "Oʻrinboyev" in shared.text


def test_the_search_box_gets_only_the_rows_over_htmx(client) -> None:  # type: ignore[no-untyped-def]
    login(client, "inson.social")
    rows = client.get("/clients", params={"q": "Ўринбоев"}, headers={"HX-Request": "true"})
    assert rows.status_code == 200
    assert rows.text.lstrip().startswith('<div id="client-rows">') and "<html" not in rows.text
    assert "Oʻrinboyev" in rows.text and rows.headers.get("vary") == "HX-Request"
