"""The issue's journey in a real browser: a new agreement is drafted, proposed and signed online by a
signatory of each party; only then does the recipient see the shared categories of an engaged,
consenting client, and nothing else; the outsider sees nothing at any point. The pages on the way
are checked with axe-core in all four languages.

The demo pilot already shares identity, disability and education data of the employment office's
clients with the monocentre. So the journey first terminates the pilot, as a person would, and
proves the monocentre then sees none of those clients: what it sees at the end is decided by the
new agreement alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, Page, expect

from portal import i18n
from tests.browser.conftest import ServedPortal, sign_in
from tests.browser.test_accessibility import reflow_problems, violations
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser

TITLE = "Referral of jobseekers to vocational training at the monocentre"
PILOT = "Toshkent shahrida integratsiyalashgan keys-menejment"
PES = "Yunusabad District Employment Office"
MONOCENTRE = "“Ishga marhamat” Monocentre, Tashkent"
# Clients of the employment office (portal/cases/seed.py): engaged with the monocentre through a
# referral and consenting to it; engaged but without consent; not engaged with the monocentre.
SHARED = ("Toshev Sherzod Ulugʻbek oʻgʻli", "Choriyev Elyor Maqsud oʻgʻli")
NO_CONSENT = "Tojiyeva Malika Anvar qizi"
NOT_ENGAGED = "Sobirov Aziz Temur oʻgʻli"
# What the employment office holds on the first shared client beyond the two shared categories.
NOT_SHARED_TEXT = [
    "Lives with parents; prefers a workplace near home.",  # case notes
    "Motivated to work; needs an accessible workplace.",  # assessment
    "Referral to vocational training, then job matching.",  # action plan
    "+998 90",  # phone
    "kvartal",  # address
    "Vocational college",  # education
    "Disability pension",  # benefits
]


class Journey:
    """Pages of one browser, each signed in as one demo user, in English unless told otherwise."""

    def __init__(self, browser: Browser, portal: ServedPortal, javascript: bool) -> None:
        self.browser, self.portal, self.javascript = browser, portal, javascript
        self.contexts: list = []  # type: ignore[type-arg]
        self.complaints: list[str] = []
        self.htmx_requests: list[str] = []

    def url(self, path: str) -> str:
        return f"{self.portal.url}{path}"

    def as_user(self, login: str) -> Page:
        context = self.browser.new_context(locale="en-GB", java_script_enabled=self.javascript)
        context.add_cookies([{"name": i18n.LANGUAGE_COOKIE, "value": "en", "url": self.portal.url}])
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("pageerror", lambda e: self.complaints.append(f"page error: {e}"))
        page.on(
            "console",
            lambda m: self.complaints.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.on(
            "request",
            lambda r: self.htmx_requests.append(f"{r.method} {r.url}") if r.headers.get("hx-request") else None,
        )
        sign_in(page, self.portal, login)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@contextmanager
def journey(browser: Browser, portal: ServedPortal, javascript: bool) -> Iterator[Journey]:
    walk = Journey(browser, portal, javascript)
    try:
        yield walk
    finally:
        walk.close()


class AxeReport:
    """What axe-core and the 320px reflow check found on the journey's pages, and where they looked."""

    def __init__(self, portal: ServedPortal) -> None:
        self.portal = portal
        self.checked: list[str] = []
        self.found: list[str] = []

    def in_every_language(self, page: Page, description: str) -> None:
        """axe-core on the page as it is now, reloaded in each language; back to English after."""
        for language in i18n.LANGUAGES:
            page.context.add_cookies([{"name": i18n.LANGUAGE_COOKIE, "value": language, "url": self.portal.url}])
            page.reload()
            expect(page.locator("html")).to_have_attribute("lang", i18n.HTML_LANG[language])
            self.found.extend(f"[{description}, {language}] {v}" for v in violations(page))
            self.found.extend(f"[{description}, {language}] {v}" for v in reflow_problems(page))
            self.checked.append(f"{description}, {language}")
        page.context.add_cookies([{"name": i18n.LANGUAGE_COOKIE, "value": "en", "url": self.portal.url}])
        page.reload()
        expect(page.locator("html")).to_have_attribute("lang", "en")


def client_links(page: Page, portal: ServedPortal) -> dict[str, str]:
    """Name -> detail URL of every client in the signed-in user's list."""
    page.goto(f"{portal.url}/clients")
    links = page.locator("#client-rows tbody a")
    names = links.evaluate_all("links => links.map(a => [a.firstChild.textContent.trim(), a.getAttribute('href')])")
    return dict(names)


def expect_not_found(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 404, f"{url} answered {response and response.status}"


def terminate_the_pilot(walk: Journey) -> None:
    """The two organisations holding the cases (the employment office and the INSON centre) stop
    sharing their clients' data under the pilot at once; the pilot stays in force for the rest."""
    for login in ("pes.sign", "inson.sign"):
        page = walk.as_user(login)
        page.goto(walk.url("/agreements"))
        page.get_by_role("link", name=re.compile(PILOT)).click()
        expect(page.locator(".status-line .status")).to_have_text("In force")
        page.get_by_role("link", name="Stop sharing your organisation's data now").click()
        page.locator("#reason").fill("Replaced by agreements between pairs of partners")
        page.get_by_role("button", name="Stop sharing our data now").click()
        expect(page.locator(".notice[role=status]")).to_contain_text("no longer shared")
        expect(page.locator("#events-title + ol")).to_contain_text("Replaced by agreements between pairs")


def draft_and_propose(walk: Journey, axe: AxeReport | None) -> str:
    """The employment office's admin drafts the agreement through the forms; returns its URL."""
    page = walk.as_user("pes.admin")
    page.goto(walk.url("/agreements"))
    page.get_by_role("link", name="Draft a new agreement").click()
    expect(page.locator("h1")).to_have_text("Draft a new agreement")
    page.get_by_label("An empty agreement").check()
    page.get_by_label(MONOCENTRE).check()
    page.get_by_role("button", name="Continue").click()

    expect(page.locator("#draft-editor")).to_be_visible()
    page.locator("#title").fill(TITLE)
    page.locator("#common_goals").fill("Train registered jobseekers with disabilities for work they can do.")
    today = datetime.now(UTC).date()
    page.locator("#valid_from").fill(today.isoformat())
    page.locator("#valid_until").fill(today.replace(year=today.year + 1).isoformat())
    expect(page.locator("#party-0-tenant_id option:checked")).to_have_text(PES)
    expect(page.locator("#party-1-tenant_id option:checked")).to_have_text(MONOCENTRE)
    page.locator("#party-0-role").fill("Registers jobseekers and refers them to training.")
    page.locator("#party-1-role").fill("Trains the referred jobseekers and helps them into work.")
    page.get_by_role("button", name="Add a clause").click()
    clause = page.locator("#clause-0")
    expect(clause).to_be_visible()
    expect(page.locator("#title")).to_have_value(TITLE)  # what was typed survives adding a row
    page.locator("#clause-0-owner").select_option(label=PES)
    page.locator("#clause-0-recipient").select_option(label=MONOCENTRE)
    clause.get_by_label("Identity", exact=True).check()
    clause.get_by_label("Disability and work recommendation").check()
    page.locator("#clause-0-access").select_option("read")
    page.locator("#clause-0-purpose").select_option("referral")
    page.locator("#clause-0-scope").select_option("engaged")
    page.locator("#clause-0-consent").check()
    page.get_by_role("button", name="Save draft").click()

    page.wait_for_url(re.compile(r".*/agreements/versions/\d+$"))
    version_url = page.url
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator(".status-line .status")).to_have_text("Draft")
    if axe is not None:
        page.goto(f"{version_url}/edit")
        expect(page.locator("#clause-0")).to_be_visible()
        axe.in_every_language(page, "draft editor")
        page.goto(version_url)
    page.get_by_role("link", name="Propose for signing").click()
    page.get_by_role("button", name="Freeze the terms and propose them for signing").click()
    expect(page.locator(".status-line .status")).to_have_text("Proposed for signing")
    return version_url.removeprefix(walk.portal.url)


def sign_online(walk: Journey, login: str, version: str, axe: AxeReport | None) -> str:
    """Signs on the signing page; returns the terms hash the page showed."""
    page = walk.as_user(login)
    page.goto(walk.url(version))
    frozen = page.locator(".status-line code.hash").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", frozen)
    if axe is not None and login == "pes.sign":
        axe.in_every_language(page, "version open for signing, as a signatory sees it")
    page.get_by_role("link", name="Read and sign").click()
    expect(page.locator("h1")).to_have_text(f"Sign: {TITLE}")
    expect(page.locator("#terms-hash")).to_have_text(frozen)
    expect(page.locator("form[action$='/sign'] input[name=terms_hash]")).to_have_value(frozen)
    if axe is not None:
        axe.in_every_language(page, f"signing page of {login}")
    page.get_by_role("button", name="Sign these terms").click()
    expect(page.locator("#agree-error")).to_be_visible()  # nothing is signed without the confirmation
    page.get_by_label(re.compile("^I have read and agree on behalf of")).check()
    page.locator("#password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign these terms").click()
    page.wait_for_url(walk.url(version + "/signed"))
    expect(page.locator("#signed-hash")).to_have_text(frozen)
    page.goto(walk.url(version))
    expect(page.get_by_role("link", name="Read and sign")).to_have_count(0)
    signer = {"pes.sign": PES, "mono.admin": MONOCENTRE}[login]
    expect(page.locator("#signatures-title + ul li", has_text=signer)).to_contain_text("signed by")
    return frozen


def the_monocentre_sees_none_of_them(walk: Journey, ids: dict[str, str]) -> None:
    page = walk.as_user("mono.case")
    listed = client_links(page, walk.portal)
    assert not set(listed) & {*SHARED, NO_CONSENT, NOT_ENGAGED}, listed
    for name in (*SHARED, NO_CONSENT, NOT_ENGAGED):
        expect_not_found(page, walk.url(ids[name]))


def walk_the_journey(walk: Journey, axe: AxeReport | None = None) -> None:
    own = walk.as_user("pes.case")
    ids = client_links(own, walk.portal)
    assert {*SHARED, NO_CONSENT, NOT_ENGAGED} <= set(ids)

    # The pilot shares these clients with the monocentre until it is terminated.
    mono = walk.as_user("mono.case")
    assert set(SHARED) <= set(client_links(mono, walk.portal))
    terminate_the_pilot(walk)
    the_monocentre_sees_none_of_them(walk, ids)

    version = draft_and_propose(walk, axe)
    first = sign_online(walk, "pes.sign", version, axe)
    check = walk.as_user("pes.admin")
    check.goto(walk.url(version))
    expect(check.locator(".status-line .status")).to_have_text("Being signed")
    the_monocentre_sees_none_of_them(walk, ids)  # one signature of two shares nothing

    assert sign_online(walk, "mono.admin", version, axe) == first
    check.goto(walk.url(version))
    expect(check.locator(".status-line .status")).to_have_text("In force")
    check.get_by_role("link", name="Verify").click()
    expect(check.locator(".verdict")).to_have_text(re.compile(r"^\s*Intact:"))
    expect(check.locator("main li", has_text="valid")).to_have_count(2)
    expect(check.locator("main code.hash")).to_have_text(first)  # both signed the hash they were shown
    if axe is not None:
        axe.in_every_language(check, "verification")

    # The recipient: exactly the engaged, consenting clients, with exactly the shared categories.
    page = walk.as_user("mono.case")
    listed = client_links(page, walk.portal)
    assert set(listed) == set(SHARED), listed
    if axe is not None:
        axe.in_every_language(page, "clients of the monocentre")
    page.get_by_role("link", name=re.compile(SHARED[0])).click()
    expect(page.locator("h1")).to_have_text(SHARED[0])
    expect(page.locator("main section.card h2")).to_have_text(["Identity", "Disability and work recommendation"])
    main = page.locator("main")
    expect(main).to_contain_text("Light work sitting down; no night shifts or heavy lifting; accessible workplace.")
    expect(page.locator("#cat-disability + dl dt").first).to_have_text("Disability group")
    expect(page.locator("#cat-disability + dl dd").first).to_contain_text("II")
    # The national ID is a category of its own, which this clause does not share.
    expect(page.locator("main dt", has_text="PINFL")).to_have_count(0)
    reasons = page.locator("main small.muted")
    expect(reasons.first).to_contain_text(f"«{TITLE}», clause 1")
    assert all(TITLE in reason for reason in reasons.all_inner_texts())
    text = main.inner_text()
    leaked = [value for value in NOT_SHARED_TEXT if value in text]
    assert not leaked, leaked
    expect(page.locator("#engagements, #consents")).to_have_count(0)
    if axe is not None:
        axe.in_every_language(page, "client as the recipient sees it")
    for name in (NO_CONSENT, NOT_ENGAGED):
        expect_not_found(page, walk.url(ids[name]))

    # The outsider sees neither the agreement nor any of the clients.
    outsider = walk.as_user("outsider.hr")
    outsider.goto(walk.url("/agreements"))
    expect(outsider.locator("main a", has_text=TITLE)).to_have_count(0)
    for path in (version, f"{version}/verify", f"{version}/comments"):
        expect_not_found(outsider, walk.url(path))
    # The outsider's roles hold no right to sign at all: the signing page is refused by role,
    # exactly as for a version that does not exist, so the answer confirms nothing.
    refused = outsider.goto(walk.url(f"{version}/sign"))
    expect(outsider.locator("body")).not_to_contain_text(TITLE)
    unknown = outsider.goto(walk.url("/agreements/versions/999999/sign"))
    assert refused is not None and unknown is not None and refused.status == unknown.status
    assert not client_links(outsider, walk.portal)
    for name in (*SHARED, NO_CONSENT, NOT_ENGAGED):
        expect_not_found(outsider, walk.url(ids[name]))

    if axe is not None:
        # An amendment drafted by the PES office: its comparison with the version in force.
        drafter = walk.as_user("pes.admin")
        drafter.goto(walk.url(version))
        drafter.get_by_role("button", name="Draft an amendment").click()
        expect(drafter).to_have_url(re.compile(r"/agreements/versions/\d+/edit$"))
        amendment = drafter.url.removesuffix("/edit")
        assert amendment != walk.url(version)
        drafter.goto(f"{amendment}/diff")
        expect(drafter.locator("h1")).to_be_visible()
        axe.in_every_language(drafter, "comparison of an amendment with the version in force")


def test_signed_online_by_both_parties_the_agreement_shares_only_its_categories_with_htmx_and_axe(
    browser: Browser, fresh_served_portal: ServedPortal
) -> None:
    axe = AxeReport(fresh_served_portal)
    with journey(browser, fresh_served_portal, javascript=True) as walk:
        walk_the_journey(walk, axe)
    # Adding the clause swapped the editor in place instead of reloading the page.
    assert f"POST {fresh_served_portal.url}/agreements" in walk.htmx_requests, walk.htmx_requests
    assert not walk.complaints, "\n".join(walk.complaints)
    # 8 pages: editor, version open for signing, two signing pages, verification, the recipient's
    # clients list and client page, an amendment's comparison; each in the four languages.
    assert len(axe.checked) == 8 * len(i18n.LANGUAGES), axe.checked
    assert not axe.found, f"{len(axe.found)} violations:\n" + "\n".join(axe.found)


def test_the_same_journey_works_without_javascript(browser: Browser, fresh_served_portal: ServedPortal) -> None:
    with journey(browser, fresh_served_portal, javascript=False) as walk:
        walk_the_journey(walk)
    assert not walk.htmx_requests
