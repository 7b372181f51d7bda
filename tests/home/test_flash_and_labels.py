"""What happened is said once, after the redirect, in the reader's language; forms with errors start
with a summary; stored codes and UTC moments never reach the page."""

from __future__ import annotations

import re

from litestar.testing import TestClient

from tests.conftest import login, post_form

BANNER = 'data-testid="flash"'


def test_signing_in_is_confirmed_once_on_the_next_page(client: TestClient) -> None:
    response = login(client, "pes.admin")
    assert "portal_flash=" in response.headers["set-cookie"]
    first = client.get("/")
    assert BANNER in first.text and "Siz tizimga kirdingiz." in first.text
    assert "portal_flash=; Max-Age=0" in first.headers.get("set-cookie", ""), "shown once, then forgotten"
    assert BANNER not in client.get("/").text


def test_a_message_whose_seal_is_broken_is_not_shown(client: TestClient) -> None:
    login(client, "pes.admin")
    client.get("/")
    client.cookies.set("portal_flash", "eyJtIjogIkhhY2tlZCIsICJwIjoge319.0000")
    assert BANNER not in client.get("/").text


def test_the_language_change_is_confirmed_in_the_new_language(client: TestClient) -> None:
    login(client, "pes.admin")
    client.get("/")
    changed = post_form(client, "/language", {"language": "ru", "next": "/agreements"})
    assert changed.status_code == 303
    assert "Язык изменён." in client.get("/agreements").text


def test_saving_a_user_is_confirmed_and_a_form_with_errors_starts_with_a_summary(client: TestClient) -> None:
    login(client, "pes.admin")
    users = client.get("/admin/users").text
    user_url = re.search(r'href="(/admin/users/\d+)">[^<]*</a></td>\s*<td>pes.case<', users).group(1)
    form = client.get(user_url).text
    version = re.search(r'name="version" value="(\d+)"', form).group(1)
    fields = {"full_name": "Dilshod Qodirov", "email": "", "roles": "case_manager", "is_active": "on"}
    refused = post_form(client, user_url, {**fields, "full_name": "", "version": version})
    assert refused.status_code == 422
    summary = re.search(r'<div class="error-summary".*?</div>', refused.text, re.S).group(0)
    assert 'href="#full_name"' in summary
    saved = post_form(client, user_url, {**fields, "version": version})
    assert saved.status_code == 303, saved.text
    assert "pes.case foydalanuvchisi saqlandi." in client.get(saved.headers["location"]).text


def test_a_client_page_shows_words_and_local_dates_not_codes(client: TestClient) -> None:
    login(client, "pes.case")
    listed = client.get("/clients").text
    assert re.search(r"<td[^>]*>\d\d\.\d\d\.\d{4}</td>", listed), "birth dates read DD.MM.YYYY"
    href = re.search(r'href="(/clients/\d+)"', listed).group(1)
    page = client.get(href).text
    assert not re.search(r"<dd>\s*(female|male)\b", page)
    assert "tashkent-" not in page, "a district is shown by its name"
    district = re.search(r"<dt>Tuman</dt>\s*<dd>([^<]+)", page).group(1).strip()
    assert district.startswith("Yunusobod") and "tumani" in district
    assert not re.search(r"\d{4}-\d\d-\d\d", page)


def test_agreement_dates_read_as_words_in_english_and_as_dd_mm_yyyy_in_russian(client: TestClient) -> None:
    login(client, "pes.admin")
    post_form(client, "/language", {"language": "en", "next": "/"})
    assert re.search(r"1 January \d{4} – 31 December \d{4}", client.get("/agreements").text)
    post_form(client, "/language", {"language": "ru", "next": "/"})
    assert re.search(r"01\.01\.\d{4} – 31\.12\.\d{4}", client.get("/agreements").text)


def test_an_error_page_that_shows_the_message_also_uses_it_up(client: TestClient) -> None:
    login(client, "pes.case")
    assert BANNER in client.get("/admin/users").text  # 403: the page still says the sign-in worked
    assert BANNER not in client.get("/").text
