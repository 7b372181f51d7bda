"""Templates link by route name, show words instead of codes, and put typed content in the reader's script."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from portal.access import audit
from portal.access.overview import reading_partners
from portal.app import create_app, template_environment
from portal.cases.names import client_name, other_form
from portal.cases.translit import has_latin, to_cyrillic
from portal.i18n import set_language
from portal.tenants.models import User
from tests.conftest import login, make_settings, post_form, with_db
from tests.factories import tenant_id

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
LITERAL_PATH = re.compile(r"""\b(href|action|hx-get|hx-post|src)\s*=\s*["']\s*/""")
URL_FOR = re.compile(r"""\burl_for\(\s*["'](\w+)["']""")


def test_templates_link_to_portal_pages_by_route_name_only() -> None:
    found = []
    for path in TEMPLATES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if LITERAL_PATH.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "literal paths in templates (use url_for):\n" + "\n".join(found)


def test_every_route_name_a_template_uses_exists(tmp_path: Path) -> None:
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'unused.db'}"))
    used = {name for path in TEMPLATES for name in URL_FOR.findall(path.read_text(encoding="utf-8"))}
    assert used, "no template calls url_for"
    missing = sorted(name for name in used if app.get_handler_index_by_name(name) is None)
    assert not missing, f"templates name routes that do not exist: {missing}"


def test_url_for_reverses_every_route_as_litestar_does(tmp_path: Path) -> None:
    """Templates reverse paths with a route chosen once per (name, parameter names): for every named route,
    with its parameters, with none, twice, and with a value of the wrong type, the path or the error must
    be Litestar's own."""
    from litestar.exceptions import NoRouteMatchFoundException

    from portal.paths import PathReverser

    app = create_app(make_settings(f"sqlite:///{tmp_path / 'unused.db'}"))
    ours = PathReverser(app)
    samples = {int: 7, str: "a-b"}

    def both(name: str, **parameters: object) -> tuple[str, str]:
        answers = []
        for reverse in (app.route_reverse, ours):
            try:
                answers.append(reverse(name, **parameters))
            except NoRouteMatchFoundException:
                answers.append("refused")
        return answers[0], answers[1]

    names = [name for name in app.asgi_router.route_handler_index if not name.startswith("litestar")]
    parametrised = 0
    for name in names:
        for route in app.asgi_router.route_mapping[name]:
            definitions = route.path_parameters.values() if isinstance(route.path_parameters, dict) else ()
            given = {d.name: samples.get(d.type, "2026-12-01") for d in definitions}
            for parameters in (given, given, {}, {k: "not a number" for k in given}):
                theirs, mine = both(name, **parameters)
                assert mine == theirs, (name, parameters)
            parametrised += bool(given)
    assert len(names) >= 100 and parametrised >= 60
    assert both("case", case_id=12) == ("/cases/12", "/cases/12")


def test_url_for_chooses_among_a_handlers_paths_as_litestar_does() -> None:
    """No portal handler has two paths today; one that has gets the path with the parameters passed."""
    from litestar import Litestar, get

    from portal.paths import PathReverser

    @get(["/a", "/a/{n:int}", "/a/{n:int}/{m:str}"], name="several", sync_to_thread=False)
    def several() -> str:
        return ""

    app = Litestar(route_handlers=[several])
    ours = PathReverser(app)
    for parameters in ({}, {"n": 3}, {"n": 3, "m": "x"}, {"m": "x"}, {"n": 3}, {}):
        assert ours("several", **parameters) == app.route_reverse("several", **parameters)
    assert [ours("several"), ours("several", n=3), ours("several", n=3, m="x")] == ["/a", "/a/3", "/a/3/x"]


def test_the_label_partials_are_gone_and_labels_come_from_one_table() -> None:
    partials = [
        "tenants/_role_name.html",
        "cases/_purpose_name.html",
        "cases/_category_name.html",
        "cases/_field_name.html",
    ]
    assert not [p for p in partials if (ROOT / "templates" / p).exists()]
    assert not [p for p in TEMPLATES if "_name.html" in p.read_text(encoding="utf-8")]


@pytest.mark.parametrize(
    ("language", "typed", "shown"),
    [
        ("uz_Cyrl", "Bandlikka koʻmaklashish", "Бандликка кўмаклашиш"),
        ("uz", "Бандликка кўмаклашиш", "Bandlikka koʻmaklashish"),
        ("ru", "Bandlikka koʻmaklashish", "Bandlikka koʻmaklashish"),
        ("en", "Бандликка кўмаклашиш", "Бандликка кўмаклашиш"),
    ],
)
def test_the_script_filter_shows_uzbek_content_in_the_readers_script(language: str, typed: str, shown: str) -> None:
    set_language(language)
    rendered = template_environment().from_string("{{ text|in_readers_script }}").render(text=typed)
    assert rendered == shown


def test_uzbek_cyrillic_readers_see_latin_typed_agreement_titles_in_cyrillic(client: TestClient) -> None:
    login(client, "pes.admin")
    post_form(client, "/language", {"language": "uz_Cyrl", "next": "/agreements"})
    page = client.get("/agreements").text
    latin_only = re.findall(r"<td[^>]*>\s*<a[^>]*>([^<]*[A-Za-z][^<]*)</a>", page)
    assert not latin_only, latin_only


def test_a_case_note_shows_when_it_was_written_in_tashkent_time(app, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    app.state.clock = lambda: datetime(2026, 3, 1, 20, 30, tzinfo=UTC)  # 01:30 the next day in Tashkent
    login(client, "pes.case")
    own = re.search(r'href="(/clients/\d+)"', client.get("/clients").text).group(1)
    added = post_form(client, f"{own}/notes", {"body": "Came to the interview on time."})
    assert added.status_code == 303, added.text
    page = client.get(own).text
    assert "02.03.2026 01:30" in page
    assert " UTC" not in page and "2026-03-01" not in page


def test_the_signing_page_shows_the_terms_as_typed_and_the_agreement_page_in_the_readers_script(
    client: TestClient,
) -> None:
    login(client, "ngo.admin")
    post_form(client, "/language", {"language": "uz_Cyrl", "next": "/"})
    (sign_url,) = [h for h in re.findall(r'href="([^"]+/sign)"', client.get("/").text)]
    as_signed = re.search(r'<h2 id="terms-title">([^<]+)</h2>', client.get(sign_url).text).group(1)
    as_read = re.search(r'<h2 id="terms-title">([^<]+)</h2>', client.get(sign_url.removesuffix("/sign")).text).group(1)
    assert has_latin(as_signed), "the demo memorandum's title is typed in Latin"
    assert as_read == html.escape(to_cyrillic(html.unescape(as_signed)))
    assert not has_latin(as_read)


class _Client:
    """A client's view as the pages get it: the fields the reader may see, by name."""

    def __init__(self, **fields: str) -> None:
        self.id, self.fields = 7, fields

    def has(self, name: str) -> bool:
        return name in self.fields

    def value(self, name: str) -> str:
        return self.fields.get(name, "")


@pytest.mark.parametrize(
    ("language", "fields", "shown"),
    [
        ("uz_Cyrl", {"full_name": "Oʻrinboyeva Shahlo", "full_name_cyrl": ""}, "Ўринбоева Шаҳло"),
        (
            "uz_Cyrl",
            {"full_name": "Oʻrinboyeva Shahlo", "full_name_cyrl": "Ўринбоева Шаҳло Акмал қизи"},
            "Ўринбоева Шаҳло Акмал қизи",
        ),
        ("uz", {"full_name": "Oʻrinboyeva Shahlo", "full_name_cyrl": "Ўринбоева Шаҳло"}, "Oʻrinboyeva Shahlo"),
        ("ru", {"full_name": "Oʻrinboyeva Shahlo", "full_name_cyrl": ""}, "Oʻrinboyeva Shahlo"),
        ("uz_Cyrl", {}, "7-рақамли мижоз"),
    ],
)
def test_a_clients_name_is_shown_in_the_readers_script(language: str, fields: dict[str, str], shown: str) -> None:
    set_language(language)
    assert str(client_name(_Client(**fields))).startswith(shown)


@pytest.mark.parametrize(
    ("language", "name", "other"),
    [
        ("uz", "A&lt;b&gt;&amp;", '<span class="muted" lang="uz-Cyrl">(Б&lt;)</span>'),
        ("ru", "A&lt;b&gt;&amp;", '<span class="muted" lang="uz-Cyrl">(Б&lt;)</span>'),
        ("uz_Cyrl", "Б&lt;", '<span class="muted" lang="uz-Latn">(A&lt;b&gt;&amp;)</span>'),
    ],
)
def test_a_clients_names_are_escaped_and_the_other_form_stands_beside(language: str, name: str, other: str) -> None:
    """Both forms as a template prints them (markup, each typed value escaped), and nothing beside a name
    that has no other form."""
    set_language(language)
    typed = _Client(full_name="A<b>&", full_name_cyrl="Б<")
    page = template_environment().from_string("{{ client_name(c) }}|{{ other_form(c) }}").render(c=typed)
    assert page == f"{name}|{other}"
    assert str(other_form(_Client(full_name="Oʻrinboyeva", full_name_cyrl=""))) == (
        "" if language != "uz_Cyrl" else ('<span class="muted" lang="uz-Latn">(Oʻrinboyeva)</span>')
    )
    assert str(other_form(_Client())) == ""


def test_the_reads_page_names_the_record_and_links_the_clause_instead_of_printing_codes(client, settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        inson = await tenant_id(session, "inson-yunusobod")
        partner = [p for p, _n in await reading_partners(session, inson)][0]
        reader = await session.scalar(select(User.id).where(User.login == "ngo.worker"))
        detail = {"categories": ["case_notes"], "clauses": ["version:1:clause:2"]}
        await audit.record_reads(
            session, actor_user_id=reader, actor_tenant_id=partner, reads=[("case_note", 4242, inson, detail)],
            kind="open", now=datetime(2026, 3, 12, 20, 30, tzinfo=UTC),
        )  # fmt: skip

    with_db(settings, work)
    login(client, "inson.admin")
    page = client.get("/sharing/reads").text
    assert "Keys qaydi 4242" in page
    assert 'href="/agreements/versions/1#clause-2"' in page
    assert "version:1:clause:2" not in page and "case_note" not in page
    assert "13.03.2026 01:30" in page
