"""A coordinator's day in a real browser, once with HTMX active and once with JavaScript off:
sign in, read the dashboard, switch language, switch organisation, sign out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ServedPortal, sign_in

pytestmark = pytest.mark.browser

PES = {"uz": "Yunusobod tumani Bandlik bo‘limi", "ru": "Отдел занятости Юнусабадского района"}
INSON = {"ru": "Центр социальных услуг «INSON» Юнусабадского района"}


def walk_the_journey(page: Page, portal: ServedPortal) -> None:
    page.goto(f"{portal.url}/admin/users")
    expect(page).to_have_url(f"{portal.url}/login?next=/admin/users")
    page.locator("#login").fill("coordinator")
    page.locator("#password").fill("not-the-password")
    page.locator("form[action='/login'] button[type=submit]").click()
    expect(page.locator("#login-error")).to_have_text("Login yoki parol notoʻgʻri.")
    expect(page.locator("#login")).to_have_value("coordinator")
    sign_in(page, portal, "coordinator")
    tenant = page.get_by_test_id("current-tenant")
    expect(tenant).to_have_text(PES["uz"])
    expect(page.locator("html")).to_have_attribute("lang", "uz-Latn")
    expect(page.locator("h1")).to_have_text("Bosh sahifa")

    page.locator("form.languages button[value=ru]").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("h1")).to_have_text("Главная")
    expect(tenant).to_have_text(PES["ru"])
    expect(page).to_have_title(re.compile("^Главная"))

    page.locator("#switch-tenant").select_option(label=INSON["ru"])
    page.get_by_role("button", name="Переключить").click()
    expect(tenant).to_have_text(INSON["ru"])
    # The home page is computed for the organisation acted for: the INSON centre is a party to the pilot.
    in_force = page.get_by_test_id("card-in-force")
    expect(in_force.get_by_role("heading", name="Соглашения, недавно вступившие в силу")).to_be_visible()
    expect(in_force.locator("a[href^='/agreements/versions/']")).to_have_count(1)

    page.get_by_role("button", name="Выйти").click()
    expect(page).to_have_url(f"{portal.url}/login")
    expect(page.locator("h1")).to_have_text("Войти")
    expect(page.get_by_test_id("current-tenant")).to_have_count(0)
    page.goto(f"{portal.url}/")
    expect(page).to_have_url(f"{portal.url}/login?next=/")


def test_the_journey_works_with_htmx_and_the_csp_never_gets_in_its_way(
    browser, fresh_served_portal: ServedPortal
) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="uz-UZ")
    page = context.new_page()
    complaints: list[str] = []
    page.on(
        "console",
        lambda m: complaints.append(f"{m.type}: {m.text}") if m.type in {"error", "warning"} else None,
    )
    page.on("pageerror", lambda e: complaints.append(f"page error: {e}"))
    htmx_requests: list[str] = []
    page.on("request", lambda r: htmx_requests.append(r.url) if r.headers.get("hx-request") == "true" else None)
    try:
        walk_the_journey(page, fresh_served_portal)
        assert page.evaluate("typeof window.htmx") == "object", "HTMX did not load"
    finally:
        context.close()
    assert htmx_requests, "no request went through HTMX: hx-boost is not active"
    csp = [c for c in complaints if "Content Security Policy" in c or "Refused to" in c]
    assert not csp, "\n".join(csp)
    # Chromium logs every 4xx answer; the 422 of the refused password is the one the journey expects.
    expected = "Failed to load resource: the server responded with a status of 422"
    assert not [c for c in complaints if expected not in c], "\n".join(complaints)


def test_the_journey_works_without_javascript(browser, fresh_served_portal: ServedPortal) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="uz-UZ", java_script_enabled=False)
    page = context.new_page()
    htmx_requests: list[str] = []
    page.on("request", lambda r: htmx_requests.append(r.url) if r.headers.get("hx-request") else None)
    try:
        walk_the_journey(page, fresh_served_portal)
    finally:
        context.close()
    assert not htmx_requests


def test_the_console_listener_does_see_a_csp_violation(browser, served_portal: ServedPortal) -> None:  # type: ignore[no-untyped-def]
    # The control for the test above: an inline script is refused, and the refusal reaches us.
    context = browser.new_context()
    page = context.new_page()
    complaints: list[str] = []
    page.on("console", lambda m: complaints.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"{served_portal.url}/login")
        with pytest.raises(Exception):  # noqa: B017 - Playwright reports the blocked script as an Error
            page.add_script_tag(content="document.title = 'inline ran'")
        page.wait_for_timeout(200)
        assert page.title() != "inline ran"
    finally:
        context.close()
    assert any("Content Security Policy" in c for c in complaints), complaints
