"""axe-core finds no WCAG (or best-practice) violation on any page, in any of the four languages."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from portal import i18n
from tests.browser.conftest import ServedPortal, sign_in
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser

axe = Axe()


def violations(page: Page) -> list[str]:
    results = axe.run(page)
    found = []
    for violation in results.response["violations"]:
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} — {targets}")
    return found


def reflow_problems(page: Page) -> list[str]:
    """WCAG 1.4.10: at 320 CSS pixels wide nothing needs scrolling sideways (tables scroll alone)."""
    size = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 720})
    try:
        width = page.evaluate("document.documentElement.scrollWidth")
    finally:
        if size:
            page.set_viewport_size(size)
    return [f"reflow: the page is {width}px wide at 320px"] if width > 320 else []


def change_password(page: Page, current: str, new: str, confirm: str) -> None:
    page.locator("#current").fill(current)
    page.locator("#new").fill(new)
    page.locator("#confirm").fill(confirm)
    page.locator("form.stacked button[type=submit]").click()


def password_pages(page: Page, portal: ServedPortal) -> Iterator[str]:
    page.goto(f"{portal.url}/account/password")
    yield "password form"
    change_password(page, "wrong", "short", "other")
    expect(page.locator("#current-error")).to_be_visible()
    yield "password form with errors"
    change_password(page, DEMO_PASSWORD, "a-new-long-secret", "a-new-long-secret")
    expect(page.locator(".notice")).to_be_visible()
    yield "password changed"
    # Back to the demo password: the other languages' runs sign in with it on the same portal.
    change_password(page, "a-new-long-secret", DEMO_PASSWORD, DEMO_PASSWORD)
    expect(page.locator(".notice")).to_be_visible()


def client_pages(page: Page, portal: ServedPortal) -> Iterator[str]:
    page.goto(f"{portal.url}/clients")
    yield "clients"
    hrefs = page.locator("main a[href^='/clients/']").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    links = [h for h in hrefs if re.fullmatch(r"/clients/\d+", h)]
    assert links, "the demo seeds clients for the employment office"
    page.goto(f"{portal.url}/clients/new")
    yield "new client"
    page.goto(f"{portal.url}{links[0]}")
    yield "client"
    page.goto(f"{portal.url}{links[0]}/edit")
    yield "client edit"


def case_pages(page: Page, portal: ServedPortal) -> Iterator[str]:
    """A case of the employment office: opened from its client's page on the first run (the later
    languages' runs find it open), each of its forms empty and with errors, a plan saved meanwhile in
    another tab (the conflict page), and a second case closed (its addendum form)."""
    page.goto(f"{portal.url}/clients")
    hrefs = page.locator("main a[href^='/clients/']").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    clients = [h for h in hrefs if re.fullmatch(r"/clients/\d+", h)]
    case_urls = []
    for href in clients[:2]:
        page.goto(f"{portal.url}{href}")
        existing = page.locator("#cases a[href^='/cases/']")
        if existing.count():
            case_urls.append(f"{portal.url}{existing.first.get_attribute('href')}")
        else:
            page.locator("#cases form button").click()
            page.wait_for_url(re.compile(r".*/cases/\d+$"))
            case_urls.append(page.url)
    yield "client with a case"
    page.goto(case_urls[0])
    yield "case"
    page.goto(f"{case_urls[0]}/assessment")
    yield "needs assessment"
    page.locator("main form.stacked button.primary").click()
    expect(page.locator(".error-summary")).to_be_visible()
    yield "needs assessment with errors"
    page.goto(f"{case_urls[0]}/plan")
    yield "action plan"
    page.locator("#goal").fill("")
    page.locator("#m-0-kind").select_option("counselling")
    page.locator("main form.stacked button.primary").click()
    expect(page.locator(".error-summary")).to_be_visible()
    yield "action plan with errors"
    page.goto(f"{case_urls[0]}/plan")
    other = page.context.new_page()
    other.goto(f"{case_urls[0]}/plan")
    other.locator("#goal").fill("A job near home")
    other.locator("main form.stacked button.primary").click()
    other.wait_for_url(re.compile(r".*/cases/\d+(#plan)?$"))
    other.close()
    page.locator("#goal").fill("A job as a seamstress")
    page.locator("main form.stacked button.primary").click()
    expect(page.locator("#theirs")).to_be_visible()
    yield "action plan saved meanwhile"
    page.goto(f"{case_urls[0]}/agreement")
    yield "labour-integration agreement"
    page.locator("#terms").fill("")
    page.locator("main form.stacked button.primary").first.click()
    expect(page.locator(".error-summary")).to_be_visible()
    yield "labour-integration agreement with errors"
    page.goto(f"{case_urls[0]}/closure")
    yield "case closure"
    page.locator("main form.stacked button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()
    yield "case closure with errors"
    page.goto(case_urls[1])
    if page.locator("a[href$='/closure']").count():
        page.goto(f"{case_urls[1]}/closure")
        page.locator("#reason").check()
        page.locator("#summary").fill("Found work on their own; nothing more to do.")
        page.locator("main form.stacked button[type=submit]").click()
        page.wait_for_url(re.compile(r".*/cases/\d+$"))
    yield "closed case"
    page.goto(f"{portal.url}/cases")
    yield "cases"


def outreach_pages(page: Page, portal: ServedPortal) -> Iterator[str]:
    """The social worker's outreach list, its import (a file with a bad row: nothing changes on the
    shared portal) and a person's page with a visit refused for its missing outcome."""
    page.goto(f"{portal.url}/outreach")
    yield "outreach list"
    page.goto(f"{portal.url}/outreach/columns")
    yield "outreach columns"
    page.goto(f"{portal.url}/outreach/imports")
    yield "outreach import"
    bad = "pinfl;full_name;birth_date;mahalla;disability_group;work_recommendation\n123;X;1990-13-01;Minor;IV;\n"
    page.locator("#file").set_input_files(files=[{"name": "list.csv", "mimeType": "text/csv", "buffer": bad.encode()}])
    page.locator("form.stacked button[type=submit]").click()
    expect(page.locator("#import-progress table")).to_be_visible(timeout=30_000)
    yield "outreach import with bad rows"
    page.goto(f"{portal.url}/outreach/imports")
    page.locator("#file").set_input_files(files=[{"name": "list.csv", "mimeType": "text/csv", "buffer": b"%PDF-1.4"}])
    page.locator("form.stacked button[type=submit]").click()
    expect(page.locator("#file-error")).to_be_visible()
    yield "outreach import refused"
    page.goto(f"{portal.url}/outreach")
    person = page.locator("main a[href^='/outreach/persons/']").first.get_attribute("href")
    page.goto(f"{portal.url}{person}")
    yield "outreach person"
    page.locator("form.stacked button[type=submit]").click()
    expect(page.locator("#outcome-error")).to_be_visible()
    yield "outreach visit with errors"


def pages(page: Page, portal: ServedPortal, language: str, new_page: Callable[[], Page]) -> Iterator[str]:
    """Opens each page in turn and yields its description once it is on screen."""
    page.goto(f"{portal.url}/login")
    yield "login"
    page.locator("#login").fill(f"nobody.{language.lower()}")
    page.locator("#password").fill("not-the-password")
    page.locator("form[action='/login'] button[type=submit]").click()
    expect(page.locator("#login-error")).to_be_visible()
    yield "login with an error"
    page.goto(f"{portal.url}/no-such-page")
    yield "404 for a stranger"

    for persona in ["pes.admin", "pes.case", "pes.sign", "coordinator", "toqimachi.hr", "inspector", "inson.social"]:
        page = new_page()
        sign_in(page, portal, persona)
        yield f"dashboard of {persona}"
        if persona == "pes.case":
            page.goto(f"{portal.url}/admin/users")
            yield "403 for a case manager"
            yield from client_pages(page, portal)
            yield from case_pages(page, portal)
        if persona == "pes.sign":
            yield from password_pages(page, portal)
        if persona in ("toqimachi.hr", "inson.social"):
            page.goto(f"{portal.url}/referrals")
            yield f"referrals of {persona}"
        if persona == "inspector":
            page.goto(f"{portal.url}/reviews")
            yield "the inspection's review queue"
        if persona == "inson.social":
            yield from outreach_pages(page, portal)
        if persona != "pes.admin":
            continue
        page.goto(f"{portal.url}/agreements")
        yield "agreements"
        version = page.locator("main a[href^='/agreements/versions/']").first
        assert version.count(), "the demo seeds the pilot agreement, signed by the PES office"
        href = version.get_attribute("href")
        page.goto(f"{portal.url}{href}")
        yield "agreement version"
        page.goto(f"{portal.url}{href}/comments")
        yield "agreement comments"
        page.goto(f"{portal.url}{href}/verify")
        yield "agreement verification"
        page.goto(f"{portal.url}/agreements/new")
        yield "new agreement"
        page.goto(f"{portal.url}/sharing")
        yield "data sharing"
        page.goto(f"{portal.url}/sharing/reads")
        yield "reads of our data"
        page.goto(f"{portal.url}/admin/users")
        yield "users"
        edit = page.locator("tr", has_text="pes.case").get_by_role("link").get_attribute("href")
        page.goto(f"{portal.url}/admin/users/new")
        yield "new user"
        page.locator("#login").fill("Bad Login!")
        page.locator("#role-viewer").uncheck()
        page.locator("form.stacked button[type=submit]").click()
        expect(page.locator("#login-error")).to_be_visible()
        yield "new user with errors"
        page.goto(f"{portal.url}{edit}")
        yield "edit user"
        page.locator("#full_name").fill("")
        page.locator("form.stacked button[type=submit]").click()
        expect(page.locator("#full_name-error")).to_be_visible()
        yield "edit user with errors"
        page.goto(f"{portal.url}/admin/users/999999")
        yield "404 for a member"


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_no_page_has_an_accessibility_violation(browser: Browser, served_portal: ServedPortal, language: str) -> None:
    context = browser.new_context()
    context.add_cookies([{"name": i18n.LANGUAGE_COOKIE, "value": language, "url": served_portal.url}])
    opened = [context.new_page()]

    def new_page() -> Page:
        context.clear_cookies(name="portal_session")
        opened.append(context.new_page())
        return opened[-1]

    report: list[str] = []
    checked = 0
    try:
        for description in pages(opened[0], served_portal, language, new_page):
            current = opened[-1]
            expect(current.locator("html")).to_have_attribute("lang", i18n.HTML_LANG[language])
            report.extend(f"[{description}] {v}" for v in violations(current))
            report.extend(f"[{description}] {v}" for v in reflow_problems(current))
            checked += 1
    finally:
        context.close()
    assert checked >= 15
    assert not report, f"{len(report)} violations in {language}:\n" + "\n".join(report)


def test_axe_does_report_a_violation_when_there_is_one(browser: Browser, served_portal: ServedPortal) -> None:
    # The control for the test above: zero must mean "checked and clean", not "never ran".
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{served_portal.url}/login")
        assert violations(page) == []
        page.evaluate("document.querySelector('label[for=login]').remove()")
        found = violations(page)
    finally:
        context.close()
    assert any(v.startswith("label ") for v in found), found


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_the_skip_link_comes_first_shows_its_focus_and_leads_to_the_content(
    browser: Browser, served_portal: ServedPortal, javascript: bool
) -> None:
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    try:
        sign_in(page, served_portal, "pes.admin")
        page.keyboard.press("Tab")
        skip = page.locator("a.skip-link")
        expect(skip).to_be_focused()
        box = skip.bounding_box()
        assert box is not None and box["x"] >= 0 and box["y"] >= 0, "the focused skip link is off screen"
        assert skip.evaluate("e => getComputedStyle(e).outlineStyle") != "none"
        page.keyboard.press("Enter")
        expect(page.locator("main")).to_be_focused()
        page.keyboard.press("Tab")
        expect(page.locator("main a").first).to_be_focused()  # the next stop is inside the content
    finally:
        context.close()
