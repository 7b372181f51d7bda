"""Every page at 1280 and 320 CSS pixels, in the four languages: no axe-core violation, nothing wider
than the screen at 320 px (tables stack, long words wrap) and a header that stays one line."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from portal import i18n
from tests.browser.conftest import ServedPortal, sign_in
from tests.browser.test_accessibility import pages, violations

pytestmark = pytest.mark.browser

WIDTHS = (1280, 320)

OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const found = [];
  if (document.documentElement.scrollWidth > width) {
    found.push(`the page is ${document.documentElement.scrollWidth}px wide`);
  }
  for (const el of document.body.querySelectorAll("*")) {
    // Only what is rendered: a closed menu's content is laid out on demand but never shown.
    if (!el.checkVisibility({visibilityProperty: true})) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || box.right <= width + 1) continue;
    const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
      (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "");
    found.push(`${name} ends at ${Math.round(box.right)}px: "${(el.textContent || "").trim().slice(0, 40)}"`);
    if (found.length >= 8) break;
  }
  return found;
}"""

HEADER_LINES = """() => {
  const header = document.querySelector("header.site-header");
  const shown = [...header.children].filter(el => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(el).position !== "absolute";
  });
  const boxes = shown.map(el => el.getBoundingClientRect());
  // On one line every item starts above the point where the first of them ends.
  const lowestTop = Math.max(...boxes.map(b => b.top));
  const highestBottom = Math.min(...boxes.map(b => b.bottom));
  const height = Math.round(header.getBoundingClientRect().height);
  return {height: height, oneRow: lowestTop < highestBottom, items: shown.length};
}"""


def layout_problems(page: Page, width: int) -> list[str]:
    if width > 400:
        # Wide: the page itself never scrolls sideways (a wide table scrolls in its own region).
        wide = page.evaluate("document.documentElement.scrollWidth")
        return [f"the page is {wide}px wide at {width}px"] if wide > width else []
    found = page.evaluate(OVERFLOW)
    header = page.evaluate(HEADER_LINES)
    # One line: every visible part of the header on the same row, and no taller than a line of text
    # plus its padding (the menu's button is the tallest item).
    if not header["oneRow"] or header["height"] > 72:
        found.append(f"the header is not one line: {header}")
    return found


def check_every_page(browser: Browser, portal: ServedPortal, language: str, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_cookies([{"name": i18n.LANGUAGE_COOKIE, "value": language, "url": portal.url}])
    opened = [context.new_page()]

    def new_page() -> Page:
        context.clear_cookies(name="portal_session")
        opened.append(context.new_page())
        return opened[-1]

    report: list[str] = []
    checked = 0
    try:
        for description in pages(opened[0], portal, language, new_page):
            current = opened[-1]
            expect(current.locator("html")).to_have_attribute("lang", i18n.HTML_LANG[language])
            report.extend(f"[{description}] {v}" for v in violations(current))
            report.extend(f"[{description}] {p}" for p in layout_problems(current, width))
            checked += 1
    finally:
        context.close()
    assert checked >= 15
    assert not report, f"{len(report)} problems in {language} at {width}px:\n" + "\n".join(report)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_page_is_clean_and_fits_the_screen(
    browser: Browser, served_portal: ServedPortal, language: str, width: int
) -> None:
    check_every_page(browser, served_portal, language, width)


def test_the_narrow_menu_opens_without_javascript_and_holds_the_navigation(
    browser: Browser, served_portal: ServedPortal
) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 800}, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, served_portal, "pes.admin")
        agreements = page.locator("nav.site-nav a[href='/agreements']")
        expect(agreements).to_be_hidden()
        page.locator("details.menu > summary").click()
        expect(agreements).to_be_visible()
        agreements.click()
        expect(page).to_have_url(f"{served_portal.url}/agreements")
        assert page.evaluate(OVERFLOW) == []
    finally:
        context.close()


def test_the_overflow_check_does_find_a_table_wider_than_the_screen(
    browser: Browser, served_portal: ServedPortal
) -> None:
    # The control: a fixed-width block must be reported, so an empty report means "checked".
    context = browser.new_context(viewport={"width": 320, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"{served_portal.url}/login")
        assert page.evaluate(OVERFLOW) == []
        page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<p id=wide>x</p>')")
        page.evaluate("document.getElementById('wide').style.width = '600px'")  # CSSOM: the CSP allows it
        assert any("p#wide" in problem for problem in page.evaluate(OVERFLOW))
    finally:
        context.close()
