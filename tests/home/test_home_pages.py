"""Each demo role's home page shows what is pending for it, computed from the data, and an outsider
sees empty states that say what will appear and how to start."""

from __future__ import annotations

import re

from litestar.testing import TestClient

from tests.conftest import DEMO_PASSWORD, login, post_form, with_db
from tests.factories import share_everything_with_ngo

MEMORANDUM = "/agreements/versions/{}/sign"


def card(page: str, key: str) -> str:
    """The HTML of one card of the home page ("" when the card is not shown)."""
    found = re.search(rf'<section class="card" id="card-{key}".*?</section>', page, re.S)
    return found.group(0) if found else ""


def links(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)


def home(client: TestClient, user: str) -> str:
    login(client, user)
    response = client.get("/")
    assert response.status_code == 200
    return response.text


def test_the_ngo_signatory_sees_the_memorandum_waiting_for_its_signature(client: TestClient) -> None:
    page = home(client, "ngo.admin")
    waiting = card(page, "to-sign")
    assert waiting, "a signatory gets the card of agreements to sign"
    sign_links = [h for h in links(waiting) if h.endswith("/sign")]
    assert len(sign_links) == 1, waiting
    # The monocentre signed first: the NGO's signature is the last one missing.
    assert "oxirgi boʻlib imzolaydi" in waiting  # "your organisation is the last to sign"


def test_signing_the_memorandum_through_the_app_removes_it_from_the_home_page(client: TestClient) -> None:
    waiting = card(home(client, "ngo.admin"), "to-sign")
    (sign_url,) = [h for h in links(waiting) if h.endswith("/sign")]
    form = client.get(sign_url).text
    terms_hash = re.search(r'name="terms_hash" value="([0-9a-f]{64})"', form).group(1)
    # The password and confirmation are sent too, for a signing step that asks for them again.
    signed = post_form(client, sign_url, {"terms_hash": terms_hash, "password": DEMO_PASSWORD, "agree": "on"})
    assert signed.status_code == 303, signed.text
    after = client.get(signed.headers["location"])
    assert 'data-testid="flash"' in after.text, "the signature is confirmed by a banner"
    page = client.get("/").text
    assert sign_url not in page
    assert 'class="empty"' in card(page, "to-sign")
    # It came into force with that signature: it is now among the agreements just in force.
    assert sign_url.removesuffix("/sign") in links(card(page, "in-force"))


def test_the_monocentre_which_already_signed_does_not_see_the_memorandum_to_sign(client: TestClient) -> None:
    page = home(client, "mono.admin")
    assert not [h for h in links(card(page, "to-sign")) if h.endswith("/sign")]
    assert 'class="empty"' in card(page, "to-sign")


def test_signatories_of_the_pilot_see_it_in_force_and_nothing_to_sign(client: TestClient, make_client) -> None:  # type: ignore[no-untyped-def]
    for user, browser in [("pes.sign", client), ("inson.sign", make_client()), ("nasp.admin", make_client())]:
        page = home(browser, user)
        assert 'class="empty"' in card(page, "to-sign"), user
        in_force = card(page, "in-force")
        assert re.search(r'href="/agreements/versions/\d+"', in_force), (user, in_force)


def test_a_case_manager_sees_the_counts_of_own_and_shared_clients(client: TestClient, make_client) -> None:  # type: ignore[no-untyped-def]
    for user, browser in [("pes.case", client), ("inson.social", make_client())]:
        page = home(browser, user)
        clients = card(page, "clients")
        counts = [int(n) for n in re.findall(r'<p class="figure">\D*(\d+)', clients)]
        assert len(counts) == 2 and counts[0] > 0, (user, clients)
        assert "/clients/new" in links(clients)
        assert not card(page, "to-sign"), "a case manager may not sign: no signing card"
        assert not card(page, "users")


def test_past_its_bound_the_shared_count_says_more_than(client: TestClient, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An exact count of a big recipient's shared clients read every one of them; past the bound the
    card says "more than", and below it the count stays exact."""
    from portal.cases import home as clients_card

    with_db(settings, share_everything_with_ngo)
    client.cookies.set("portal_lang", "en", domain="testserver.local")
    figures = re.findall(r'<p class="figure">([^<]*)</p>', card(home(client, "ngo.worker"), "clients"))
    shared = int(re.match(r"(\d+) clients shared with you by partners", figures[1]).group(1))  # type: ignore[union-attr]
    assert shared > 2, figures
    monkeypatch.setattr(clients_card, "SHARED_COUNTED", shared)
    assert f"{shared} clients shared with you by partners" in card(client.get("/").text, "clients")
    monkeypatch.setattr(clients_card, "SHARED_COUNTED", 2)
    assert "More than 2 clients shared with you by partners" in card(client.get("/").text, "clients")


def test_an_employer_hr_sees_clients_shared_with_the_company_but_may_not_register_any(client: TestClient) -> None:
    page = home(client, "toqimachi.hr")
    clients = card(page, "clients")
    assert clients
    assert "/clients/new" not in links(clients)
    assert not card(page, "drafts") and not card(page, "reads")


def test_the_labour_inspection_head_sees_the_pilot_users_and_readings(client: TestClient) -> None:
    page = home(client, "inspection.head")
    for key in ("to-sign", "in-force", "users", "reads", "drafts"):
        assert card(page, key), key


def test_a_partner_reading_our_client_appears_on_the_owners_home_page(client: TestClient, make_client) -> None:  # type: ignore[no-untyped-def]
    owner_page = home(client, "inson.admin")
    assert 'class="empty"' in card(owner_page, "reads")
    partner = make_client()
    login(partner, "ngo.worker")  # the NGO works with a client of INSON under the pilot agreement
    shared = re.findall(r'href="(/clients/\d+)"', partner.get("/clients").text)
    assert shared
    for href in shared:
        partner.get(href)
    reads = card(client.get("/").text, "reads")
    assert 'class="empty"' not in reads, reads
    assert len(re.findall(r"<li>", reads)) <= 5 + 1


def test_the_outsider_gets_empty_states_that_say_how_to_start(client: TestClient) -> None:
    page = home(client, "outsider.hr")
    for key in ("drafts", "in-force", "clients", "reads"):
        shown = card(page, key)
        assert shown, key
        assert 'class="empty"' in shown, (key, shown)
    assert "/agreements/new" in links(card(page, "drafts"))
    assert not card(page, "to-sign")


def test_the_home_page_speaks_each_language(client: TestClient) -> None:
    login(client, "ngo.admin")
    for language, words in [
        ("ru", "ожидающие подписи"),
        ("uz_Cyrl", "имзосини"),
        ("uz", "imzosini"),
        ("en", "awaiting"),
    ]:
        post_form(client, "/language", {"language": language, "next": "/"})
        assert words in card(client.get("/").text, "to-sign"), language
