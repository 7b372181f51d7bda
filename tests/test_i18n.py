"""Languages: every string is translated in every catalogue, every page renders without a gap in
each of the four languages, and the language is chosen as the user expects."""

from __future__ import annotations

import contextvars
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from litestar.testing import TestClient

from portal import i18n
from portal.settings import ROOT
from tests.conftest import DEMO_PASSWORD, login, post_form

CATALOGUES = {language: i18n.TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po" for language in i18n.LANGUAGES}


@pytest.fixture(scope="module")
def fresh_extraction(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The msgids the code and templates use right now (not the committed .pot, which may be stale)."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "--quiet",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "lazy",
            "--no-location",
            "-o",
            str(pot),
            str(ROOT),  # babel.cfg's patterns are relative to it; dot-folders such as .venv are skipped
        ]
    )
    with pot.open("rb") as fh:
        template = read_po(fh)
    return {message.id if isinstance(message.id, str) else message.id[0]: message for message in template if message.id}


def _read(path: Path, language: str):  # type: ignore[no-untyped-def]
    with path.open("rb") as fh:
        return read_po(fh, locale=language)


def test_the_extraction_finds_the_portals_strings(fresh_extraction: dict[str, object]) -> None:
    # Guards the test below against passing on an empty extraction (a wrong path or mapping).
    assert "Sign in" in fresh_extraction
    assert "The login or password is wrong." in fresh_extraction
    assert "%(num)d person can act for your organisation." in fresh_extraction


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_string_in_the_code_is_translated_in_each_catalogue(
    language: str, fresh_extraction: dict[str, object]
) -> None:
    catalogue = _read(CATALOGUES[language], language)
    problems = []
    for key, extracted in fresh_extraction.items():
        message = catalogue.get(extracted.id, extracted.context)  # type: ignore[attr-defined]
        if message is None:
            problems.append(f"not in the catalogue (run `make translations-update`): {key!r}")
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {key!r}")
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if isinstance(extracted.id, tuple):  # type: ignore[attr-defined]
            if not isinstance(message.string, tuple) or len(strings) != catalogue.num_plurals:
                problems.append(f"needs {catalogue.num_plurals} plural forms: {key!r}")
        if not all(s.strip() for s in strings):
            problems.append(f"untranslated: {key!r}")
        if language == "en" and strings[0] != key:
            problems.append(f"English should repeat the msgid: {key!r}")
    for message, errors in catalogue.check():
        problems.extend(f"{message.id!r}: {error}" for error in errors)
    assert not problems, f"{language} catalogue:\n" + "\n".join(problems)


def test_no_catalogue_is_marked_fuzzy() -> None:
    for language, path in CATALOGUES.items():
        assert "#, fuzzy" not in path.read_text(encoding="utf-8"), language


# --- every page in every language --------------------------------------------------------------


@pytest.fixture
def missing_translations() -> Iterator[set[tuple[str, str]]]:
    recorded: set[tuple[str, str]] = set()
    previous, i18n.missing = i18n.missing, recorded
    try:
        yield recorded
    finally:
        i18n.missing = previous


def html_lang(html: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', html)
    assert match, "no <html lang>"
    return match.group(1)


def edit_link(client: TestClient, login_name: str) -> str:
    page = client.get("/admin/users").text
    match = re.search(r'href="(/admin/users/\d+)">[^<]*</a></td>\s*<td>' + re.escape(login_name) + "<", page)
    assert match, f"{login_name} not listed"
    return match.group(1)


def every_page(client: TestClient, make_client, language: str) -> Iterator[tuple[str, object]]:  # type: ignore[no-untyped-def]
    """(description, response) for every page a person can reach, each persona in its own browser."""
    yield "login", client.get("/login")
    yield "login with an error", post_form(client, "/login", {"login": "pes.admin", "password": "wrong-one!"})
    yield "404 for a stranger", client.get("/no-such-page")
    personas = ["pes.admin", "pes.case", "pes.sign", "coordinator", "toqimachi.hr", "inspector"]
    browsers = {}
    for persona in personas:
        browser = make_client()
        browser.cookies.set(i18n.LANGUAGE_COOKIE, language, domain="testserver.local")
        login(browser, persona)
        browsers[persona] = browser
        yield f"dashboard of {persona}", browser.get("/")
    signatory = browsers["pes.sign"]
    yield "password form", signatory.get("/account/password")
    yield (
        "password form with errors",
        post_form(signatory, "/account/password", {"current": "wrong", "new": "short", "confirm": "other"}),
    )
    yield (
        "password changed",
        post_form(
            signatory,
            "/account/password",
            {"current": DEMO_PASSWORD, "new": "a-new-long-secret", "confirm": "a-new-long-secret"},
        ),
    )
    admin = browsers["pes.admin"]
    agreements = admin.get("/agreements")
    yield "agreements", agreements
    yield "new agreement", admin.get("/agreements/new")
    version = re.search(r'href="(/agreements/versions/\d+)"', agreements.text)
    if version:
        yield "agreement version", admin.get(version.group(1))
    yield "data sharing", admin.get("/sharing")
    yield "reads of our data", admin.get("/sharing/reads")
    case_manager = browsers["pes.case"]
    clients = case_manager.get("/clients")
    yield "clients", clients
    yield "new client", case_manager.get("/clients/new")
    client_link = re.search(r'href="(/clients/\d+)"', clients.text)
    assert client_link, "the demo seeds clients for the employment office"
    yield "client", case_manager.get(client_link.group(1))
    yield "client edit", case_manager.get(client_link.group(1) + "/edit")
    yield "users", admin.get("/admin/users")
    yield "new user", admin.get("/admin/users/new")
    yield "new user with errors", post_form(admin, "/admin/users", {"login": "Bad!", "full_name": "A"})
    # Logins are chosen per organisation: one is taken once this organisation has used it.
    newcomer = {"login": "d.karimova", "full_name": "Someone Else", "password": "long-enough-1", "roles": "viewer"}
    post_form(admin, "/admin/users", newcomer)
    yield "taken login", post_form(admin, "/admin/users", newcomer)
    link = edit_link(admin, "pes.case")
    yield "edit user", admin.get(link)
    yield "edit with errors", post_form(admin, link, {"full_name": "", "version": "1"})
    yield (
        "edit conflict",
        post_form(
            admin,
            link,
            {"full_name": "Gulnora Rahimova", "roles": "case_manager", "is_active": "on", "version": "999"},
        ),
    )
    yield (
        "own admin role",
        post_form(
            admin,
            edit_link(admin, "pes.admin"),
            {"full_name": "Dilshod Karimov", "roles": "viewer", "version": "1"},
        ),
    )
    yield "404 for a member", admin.get("/admin/users/999999")
    yield "403 for a case manager", browsers["pes.case"].get("/admin/users")
    coordinator = browsers["coordinator"]
    switch = re.search(r'<option value="(\d+)"\s*>', coordinator.get("/").text)
    assert switch, "the coordinator has a second tenant to switch to"
    post_form(coordinator, "/tenant", {"tenant_id": switch.group(1)})
    yield "dashboard of the coordinator after switching", coordinator.get("/")


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_page_renders_in_each_language_with_nothing_untranslated(
    language: str,
    client: TestClient,
    make_client,
    missing_translations: set[tuple[str, str]],  # type: ignore[no-untyped-def]
) -> None:
    client.cookies.set(i18n.LANGUAGE_COOKIE, language, domain="testserver.local")
    seen = []
    for description, response in every_page(client, make_client, language):
        assert response.status_code in {200, 403, 404, 409, 422}, (description, response.status_code)  # type: ignore[attr-defined]
        assert html_lang(response.text) == i18n.HTML_LANG[language], description  # type: ignore[attr-defined]
        seen.append(description)
    assert len(seen) >= 24
    assert not missing_translations, sorted(missing_translations)


def test_the_missing_recorder_does_notice_an_untranslated_string(missing_translations: set) -> None:  # type: ignore[type-arg]
    # Proves the page test above would fail on a gap rather than pass because nothing is recorded.

    def in_russian() -> tuple[str, str]:
        i18n.set_language("ru")
        return i18n.gettext("Sign in"), i18n.gettext("A sentence nobody translated")

    # In a copied context, so the language chosen here does not leak into later tests.
    translated, untranslated = contextvars.copy_context().run(in_russian)
    assert translated == "Войти"
    assert untranslated == "A sentence nobody translated"
    assert missing_translations == {("ru", "A sentence nobody translated")}


def test_choosing_a_language_through_the_form_translates_the_page_and_is_remembered(
    client: TestClient,
) -> None:
    response = post_form(client, "/language", {"language": "uz_Cyrl", "next": "/login"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    page = client.get("/login").text
    assert html_lang(page) == "uz-Cyrl"
    assert "Кириш" in page


# --- choosing the language ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cookie", "profile", "accept", "expected"),
    [
        ("ru", "en", "uz", "ru"),  # the cookie is the user's latest explicit choice
        (None, "en", "ru", "en"),  # then the language saved in the profile
        ("klingon", "uz_Cyrl", "ru", "uz_Cyrl"),  # an unknown cookie is ignored
        (None, None, "ru-RU,ru;q=0.9,en;q=0.8", "ru"),  # then the browser's languages
        (None, None, "de;q=1.0, en;q=0.5, ru;q=0.7", "ru"),  # by weight, not by order
        (None, None, "uz-Cyrl", "uz_Cyrl"),
        (None, None, "uz-Cyrl-UZ,ru;q=0.5", "uz_Cyrl"),
        (None, None, "uz-Latn-UZ", "uz"),
        (None, None, "fr, de", "uz"),  # nothing we speak: Uzbek
        (None, None, None, "uz"),  # no header: Uzbek Latin
        (None, None, "", "uz"),  # an empty header states no preference either
        (None, None, "   ", "uz"),
        (None, None, "*", "uz"),  # any language: Uzbek Latin
        (None, None, "*, ru;q=0.5", "uz"),  # anything is preferred to Russian
        (None, None, "ru, *;q=0.1", "ru"),
        (None, None, "ru;q=0, en;q=0.3", "en"),  # q=0 refuses a language
        (None, None, "en-GB,en;q=0.9", "en"),
        (None, None, "ru;q=abc, en;q=0.1", "en"),  # a broken weight counts as zero
    ],
)
def test_choose_language(cookie: str | None, profile: str | None, accept: str | None, expected: str) -> None:
    assert i18n.choose_language(cookie, profile, accept) == expected


def test_a_browser_asking_for_russian_gets_russian_and_a_cookie_overrides_it(client: TestClient) -> None:
    page = client.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).text
    assert html_lang(page) == "ru"
    assert "Войти" in page
    assert html_lang(client.get("/login").text) == "uz-Latn"  # no header, no cookie: Uzbek
    client.cookies.set(i18n.LANGUAGE_COOKIE, "en", domain="testserver.local")
    page = client.get("/login", headers={"Accept-Language": "ru"}).text
    assert html_lang(page) == "en"


@pytest.mark.parametrize("header", [None, "", "*", "fr-FR,fr;q=0.9"])
def test_a_browser_with_no_preference_we_speak_gets_uzbek_latin(client: TestClient, header: str | None) -> None:
    headers = {} if header is None else {"Accept-Language": header}
    page = client.get("/login", headers=headers).text
    assert html_lang(page) == "uz-Latn"
    assert "Kirish" in page


def test_a_signed_in_users_saved_language_beats_the_browsers(client: TestClient, make_client) -> None:  # type: ignore[no-untyped-def]
    login(client, "pes.case")
    post_form(client, "/language", {"language": "uz_Cyrl", "next": "/"})
    elsewhere = make_client()  # another device: no language cookie, a browser set to Russian
    login(elsewhere, "pes.case")
    page = elsewhere.get("/", headers={"Accept-Language": "ru"}).text
    assert html_lang(page) == "uz-Cyrl"
    assert "Бош саҳифа" in page


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_templates_translate_and_escape_as_jinjas_own_gettext(language: str) -> None:
    """`_()` in templates is called directly, not through Jinja's alias: it must say what Jinja's new-style
    gettext says, a value's markup escaped, a literal percent kept, in each language."""
    from jinja2 import Environment, select_autoescape

    from portal.app import template_environment

    jinjas = Environment(autoescape=select_autoescape(default=True), extensions=["jinja2.ext.i18n"])
    jinjas.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    source = (
        "{{ _('Clients') }}|{{ _('Case no. %(id)s', id=value) }}|{{ _('100%% <b>%(x)s</b>', x=value) }}"
        "|{{ _('%(n)d cases', n=3) }}|{{ _('%(n)d cases', n='4') }}|{{ _('%(n)d of %(x)s', n=2.5, x=value) }}"
        "|{{ _('%(x)s and %(y)s', x=none, y=flag) }}|{{ _('%(x)r', x=value) }}"
        "|{{ _('Case no. %(id)s', id=7)|length }}|{{ _('Done: 100%%') }}|{{ _('Cases') }}"
    )
    context = contextvars.copy_context()

    def both() -> tuple[str, str]:
        i18n.set_language(language)
        values = {"value": '<script>alert("x")</script> & 50%', "none": None, "flag": True}
        return template_environment().from_string(source).render(values), jinjas.from_string(source).render(values)

    ours, theirs = context.run(both)
    assert ours == theirs
    assert "<script>" not in ours and "&lt;script&gt;" in ours and "100% <b>" in ours
    assert "|3 cases|4 cases|2 of &lt;script&gt;" in ours and "|None and True|" in ours
    assert ours.endswith("|Done: 100%|" + i18n.catalogue(language).gettext("Cases"))
