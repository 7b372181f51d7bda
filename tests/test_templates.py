"""Templates link by route name, show words instead of codes, and put typed content in the reader's script."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from litestar.testing import TestClient

from portal.app import create_app, template_environment
from portal.i18n import set_language
from tests.conftest import login, make_settings, post_form

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
