"""The inbox in Chromium: no axe-core violation in Uzbek Latin and Cyrillic (with unread, read and
derived items, and the header's count), a one-line header at 320 px, and marking read without
JavaScript."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from portal import i18n
from portal.db import make_engine, make_sessionmaker, tenant_session, utcnow
from portal.notifications import derived
from portal.notifications import services as notifications
from tests.browser.conftest import Portal, sign_in
from tests.browser.test_accessibility import violations
from tests.browser.test_layout import layout_problems

pytestmark = pytest.mark.browser


@pytest.fixture
def told(portal: Portal, monkeypatch: pytest.MonkeyPatch) -> Iterator[Portal]:
    """Four notifications for the employer's HR (three to its audience, one to the person) and a
    derived reminder, written before Chromium starts (its sync API keeps an event loop running here)."""
    from sqlalchemy import select

    from portal.tenants.models import Tenant, User

    async def write() -> None:
        engine = make_engine(portal.settings.database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                ids = dict((await session.execute(select(Tenant.slug, Tenant.id))).all())
                hr = await session.scalar(select(User.id).where(User.login == "toqimachi.hr"))
            employer, pes = ids["employer-toqimachi"], ids["pes-yunusobod"]
            async with tenant_session(make_sessionmaker(engine), pes) as session:
                for n in range(3):
                    await notifications.notify(
                        session,
                        employer,
                        audience=("referral", "answer"),
                        kind="referral_received",
                        link=("dashboard", {}),
                        text="%(org)s signed (%(name)s).",
                        params={"org": notifications.TenantName(pes), "name": f"{n + 1}"},
                        email=False,
                        now=utcnow(),
                    )
                await session.commit()
            async with tenant_session(make_sessionmaker(engine), employer) as session:
                await notifications.notify(
                    session,
                    employer,
                    user_id=hr,
                    kind="note",
                    link=("dashboard", {}),
                    text="Client no. %(id)s",
                    params={"id": 4},
                    email=False,
                    now=utcnow(),
                )
                await session.commit()
        finally:
            await engine.dispose()

    async def due(session, actor, now):  # type: ignore[no-untyped-def]
        return [
            notifications.Item(
                key="due:1",
                kind="answer_due",
                text="Client no. %(id)s",
                params={"id": 9},
                link=notifications.Link("dashboard"),
                at=now,
            )
        ]

    asyncio.run(write())
    monkeypatch.setattr(derived, "PROVIDERS", [])
    notifications.register_derived(("referral", "answer"), due)
    yield portal


@pytest.mark.parametrize("language", ["uz", "uz_Cyrl"])
def test_the_inbox_has_no_accessibility_violation_and_fits_a_phone(
    told: Portal, chromium: Browser, language: str
) -> None:
    for width in (1280, 320):
        context = chromium.new_context(viewport={"width": width, "height": 900})
        context.add_cookies([{"name": i18n.LANGUAGE_COOKIE, "value": language, "url": told.url}])
        page = context.new_page()
        try:
            sign_in(page, told, "toqimachi.hr")
            unread = int(page.get_by_test_id("unread-count").inner_text())
            page.get_by_test_id("inbox-link").click()
            expect(page).to_have_url(f"{told.url}/inbox")
            page.locator("main li form button").first.click()  # one notification marked read
            expect(page.get_by_test_id("unread-count")).to_have_text(str(unread - 1))
            problems = violations(page) + layout_problems(page, width)
            assert not problems, f"{language} at {width}px:\n" + "\n".join(problems)
        finally:
            context.close()


def test_marking_read_works_without_javascript(told: Portal, chromium: Browser) -> None:
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, told, "toqimachi.hr")
        page.goto(f"{told.url}/inbox")
        unread = int(page.get_by_test_id("unread-count").inner_text())
        reminders = page.get_by_test_id("derived").locator("li").count()
        assert unread > reminders >= 1  # the fixture's notices and reminder, and the demo's own
        page.locator("main form[action='/inbox/read'] button").click()
        expect(page).to_have_url(f"{told.url}/inbox")
        # Only the derived reminders count now: they hold until their facts change.
        expect(page.get_by_test_id("unread-count")).to_have_text(str(reminders))
        expect(page.get_by_test_id("flash")).to_be_visible()
    finally:
        context.close()
