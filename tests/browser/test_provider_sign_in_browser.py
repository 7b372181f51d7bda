"""Signing in through the identity provider in a real browser: every redirect is the browser's own."""

from __future__ import annotations

import re
import threading

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.conftest import Portal
from tests.conftest import DEMO_PASSWORD, with_db
from tests.oidc_provider import FERUZA_PINFL, MockProvider

pytestmark = pytest.mark.browser


def register_feruza(portal: Portal) -> None:
    """Done through the administrator's form in the first journey; here straight in the database."""
    from portal.tenants.models import ExternalIdentity, Membership, User

    async def work(session):  # type: ignore[no-untyped-def]
        user = await session.scalar(select(User).where(User.login == "inson.social"))
        membership = await session.scalar(select(Membership).where(Membership.user_id == user.id))
        session.add(
            ExternalIdentity(
                provider="test-id", claim_value=FERUZA_PINFL, user_id=user.id, tenant_id=membership.tenant_id
            )
        )

    # The sync Playwright loop runs in this thread: the database work runs in its own.
    worker = threading.Thread(target=with_db, args=(portal.settings, work))
    worker.start()
    worker.join(30)


def sign_in_at_provider(page: Page, portal: Portal, person: str) -> None:
    page.goto(portal.url + "/login")
    page.get_by_role("link", name="Sign in with Test ID").click()
    # The provider's own page: its list of people it knows.
    page.get_by_role("button", name=person, exact=True).click()


def test_an_administrator_registers_an_identity_and_the_member_signs_in_and_out_through_the_provider(
    browser_page: Page, portal: Portal, oidc_provider: MockProvider
) -> None:
    page = browser_page
    page.goto(portal.url + "/login")
    page.get_by_label("Login").fill("inson.admin")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("link", name="Users", exact=True).click()
    page.get_by_role("link", name="Феруза Алимова").click()
    page.get_by_label("Identity provider", exact=True).select_option("test-id")
    page.get_by_label("Identifier at the provider").fill(FERUZA_PINFL)
    page.get_by_role("button", name="Register identity").click()
    expect(page.get_by_role("cell", name=FERUZA_PINFL, exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="Not yet signed in")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(portal.url + "/login")

    sign_in_at_provider(page, portal, "feruza")
    expect(page).to_have_url(portal.url + "/")
    expect(page.locator("p.user")).to_contain_text("Феруза Алимова (inson.social)")

    # Signing out ends the portal session and then the provider's, which sends the browser back.
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(re.escape(oidc_provider.issuer + "/oauth2/end_session?") + ".*id_token_hint="))
    page.get_by_role("button", name="End session").click()
    expect(page).to_have_url(portal.url + "/login")
    page.goto(portal.url + "/")
    expect(page).to_have_url(portal.url + "/login?next=/")


def test_an_unknown_person_is_told_to_ask_their_administrator(browser_page: Page, portal: Portal) -> None:
    page = browser_page
    sign_in_at_provider(page, portal, "ulugbek")
    expect(page.get_by_role("heading", name="Your account is not set up yet")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Ask your organisation's administrator")
    page.goto(portal.url + "/")
    expect(page).to_have_url(portal.url + "/login?next=/")


def test_signing_in_and_out_through_the_provider_works_without_javascript(
    chromium, portal: Portal, oidc_provider: MockProvider
) -> None:  # type: ignore[no-untyped-def]
    register_feruza(portal)
    context = chromium.new_context(locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in_at_provider(page, portal, "feruza")
        expect(page).to_have_url(portal.url + "/")
        expect(page.locator("p.user")).to_contain_text("Феруза Алимова (inson.social)")
        # A plain form post answered with a redirect to the provider: the CSP's form-action allows it.
        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(re.compile(re.escape(oidc_provider.issuer + "/oauth2/end_session?")))
        page.get_by_role("button", name="End session").click()
        expect(page).to_have_url(portal.url + "/login")
    finally:
        context.close()
