"""The ministry's mechanism end to end in a real browser, in Uzbek Latin and in Uzbek Cyrillic, with
axe-core on every page on the way: an INSON social worker opens a case from a visit on the outreach
list, assesses the person's needs, writes the action plan and refers them to an employer; the
employer's HR user declines with a reason; the labour inspector records the outcome. Each person's
home page shows the item at each step."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from portal import i18n
from portal.cases.translit import to_cyrillic
from tests.browser.conftest import ServedPortal, sign_in
from tests.browser.test_accessibility import violations

pytestmark = pytest.mark.browser

SUBJECT = "Tikuvchi, kunduzgi smena"
EMPLOYER = re.compile("qimachi|қимачи")  # «Toshkent to‘qimachi» MChJ, in the reader's script


class Journey:
    def __init__(self, browser, portal: ServedPortal, language: str) -> None:  # type: ignore[no-untyped-def]
        self.browser, self.portal, self.language = browser, portal, language
        self.found: list[str] = []
        self.contexts: list = []  # type: ignore[type-arg]

    def as_user(self, login: str) -> Page:
        context = self.browser.new_context(locale="uz-UZ")
        context.add_cookies([{"name": i18n.LANGUAGE_COOKIE, "value": self.language, "url": self.portal.url}])
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        sign_in(page, self.portal, login)
        expect(page.locator("html")).to_have_attribute("lang", i18n.HTML_LANG[self.language])
        self.check(page)
        return page

    def shown(self, text: str) -> str:
        """Text typed in Latin, as a page in the reader's script shows it."""
        return to_cyrillic(text) if self.language == "uz_Cyrl" else text

    def check(self, page: Page) -> None:
        """axe on the page as it stands: every violation is kept with the page's address."""
        self.found += [f"{page.url}: {v}" for v in violations(page)]

    def go(self, page: Page, click) -> None:  # type: ignore[no-untyped-def]
        click()
        page.wait_for_load_state("load")
        self.check(page)

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def walk(journey: Journey) -> None:
    # The social worker: a person on the outreach list wants work; a case is opened from the visit.
    worker = journey.as_user("inson.social")
    expect(worker.get_by_test_id("card-outreach")).to_be_visible()
    journey.go(worker, lambda: worker.goto(f"{journey.portal.url}/outreach?outcome=wants_work"))
    journey.go(worker, lambda: worker.locator("table a[href^='/outreach/persons/']").first.click())
    journey.go(worker, lambda: worker.locator("form[action$='/case'] button").click())
    expect(worker).to_have_url(re.compile(r"/cases/\d+$"))
    case_url = worker.url

    # Intake -> needs assessment -> planning -> implementation, with the assessment and the plan.
    journey.go(worker, lambda: worker.locator("form[action$='/stage'] button").click())
    journey.go(worker, lambda: worker.locator(f"a[href='{case_url[len(journey.portal.url) :]}/assessment']").click())
    for textarea in worker.locator("fieldset textarea").all():
        textarea.fill("Eshitishda qiyinchilik; tikuvchilik tajribasi bor.")
    worker.locator("input[name=readiness][value=ready_with_support]").check()
    journey.go(worker, lambda: worker.locator("form.stacked button.primary").click())
    expect(worker).to_have_url(case_url)
    journey.go(worker, lambda: worker.locator("form[action$='/stage'] button").click())
    journey.go(worker, lambda: worker.locator(f"a[href='{case_url[len(journey.portal.url) :]}/plan']").click())
    worker.locator("textarea[name=goal]").fill("Uyga yaqin joyda tikuvchi boʻlib ishlash.")
    worker.locator("select[name='m-0-kind']").select_option("job_placement")
    own = worker.locator("select[name='m-0-partner'] option").nth(1).get_attribute("value")
    worker.locator("select[name='m-0-partner']").select_option(own)
    worker.locator("input[name='m-0-due_on']").fill("2027-01-31")
    journey.go(worker, lambda: worker.locator("form.editor button.primary").click())
    expect(worker).to_have_url(case_url)
    journey.go(worker, lambda: worker.locator("form[action$='/stage'] button").click())

    # The online referral to the employer, which must answer within five working days.
    journey.go(worker, lambda: worker.locator("a[href$='/referrals/new']").click())
    worker.locator("#kind").select_option("employer_job")
    employer = worker.locator("#recipient option", has_text=EMPLOYER).first.get_attribute("value")
    worker.locator("#recipient").select_option(employer)
    worker.locator("input[name=subject]").fill(SUBJECT)
    journey.go(worker, lambda: worker.locator("form.stacked button.primary").click())
    journey.go(worker, lambda: worker.locator("form[action$='/sender/send'] button").click())
    referral_path = worker.url[len(journey.portal.url) :]
    assert referral_path.startswith("/referrals/"), referral_path

    # The employer's HR user finds it on the home page with the time left, and declines with a reason.
    hr = journey.as_user("toqimachi.hr")
    inbox = hr.get_by_test_id("card-referral-inbox")
    expect(inbox).to_contain_text(journey.shown(SUBJECT))
    journey.go(hr, lambda: inbox.locator(f"a[href='{referral_path}']").click())
    journey.go(hr, lambda: hr.locator("form[action$='/decline'] button").click())
    expect(hr.locator("#text-decline-error")).to_be_visible()  # a refusal without a reason is refused
    journey.check(hr)
    hr.locator("#text-decline").fill("Ustaxonaga zinapoyasiz kirish hali yoʻq; bir oydan keyin qayta koʻramiz.")
    journey.go(hr, lambda: hr.locator("form[action$='/decline'] button").click())
    # On the referrals page it has left the list awaiting an answer for the answered one.
    journey.go(hr, lambda: hr.goto(f"{journey.portal.url}/referrals"))
    expect(hr.locator(f"#answered-title + table a[href='{referral_path}']")).to_have_count(1)
    expect(hr.locator(f"a[href='{referral_path}']")).to_have_count(1)

    # The sender sees the refusal among what needs attention.
    journey.go(worker, lambda: worker.goto(f"{journey.portal.url}/"))
    expect(worker.get_by_test_id("card-referral-alerts")).to_contain_text(journey.shown(SUBJECT))

    # The labour inspector finds it in the review queue and records the outcome.
    inspector = journey.as_user("inspector")
    queue = inspector.get_by_test_id("card-review-queue")
    expect(queue).to_contain_text(journey.shown(SUBJECT))
    journey.go(inspector, lambda: queue.locator(f"a[href='{referral_path}']").click())
    inspector.locator("#outcome-hire_agreed").check()
    inspector.locator("#text-review").fill(
        "Ish beruvchi bilan kelishildi: kirish joyi moslashtiriladi va ishga olinadi."
    )
    journey.go(inspector, lambda: inspector.locator("form[action$='/review'] button").click())
    journey.go(inspector, lambda: inspector.goto(f"{journey.portal.url}/"))
    expect(inspector.get_by_test_id("card-review-queue")).not_to_contain_text(journey.shown(SUBJECT))
    # The sender's inbox says what the inspection decided.
    journey.go(worker, lambda: worker.goto(f"{journey.portal.url}/inbox"))
    expect(worker.locator(f"main a[href='{referral_path}']").first).to_be_visible()


@pytest.mark.parametrize("language", ["uz", "uz_Cyrl"])
def test_a_referral_from_outreach_to_the_inspection_s_outcome(browser, fresh_served_portal, language) -> None:  # type: ignore[no-untyped-def]
    journey = Journey(browser, fresh_served_portal, language)
    try:
        walk(journey)
    finally:
        journey.close()
    assert journey.found == []
