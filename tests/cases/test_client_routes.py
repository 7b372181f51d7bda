"""Client pages through HTTP: the owner manages, a partner sees only what a live clause shares,
everyone else gets a 404 or 403 with no client data in the answer."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.access.models import AuditEntry
from portal.cases.models import Client, Consent, Engagement
from portal.db import utcnow
from portal.partnership.seed import OUTSIDER
from tests.conftest import login, post_form, with_db
from tests.factories import english, make_agreement, tenant_id

# These tests build their own agreements; the demo pilot would share the same clients again.
pytestmark = pytest.mark.usefixtures("no_demo_agreements")

SHAHZOD = "Oʻrinboyev Shahzod Akmal oʻgʻli"  # demo client of INSON, engaged with the NGO, consent given


def seeded(settings, name: str = SHAHZOD):  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        client = await session.scalar(select(Client).where(Client.full_name == name))
        consent = await session.scalar(select(Consent).where(Consent.client_id == client.id))
        return client.id, client.pinfl, consent.id if consent else None

    return with_db(settings, work)


def share_with_ngo(settings, **clause):  # type: ignore[no-untyped-def]
    """An active agreement: INSON shares identity, disability and education with the NGO."""

    async def work(session):  # type: ignore[no-untyped-def]
        today = utcnow().date()
        spec = {
            "owner": await tenant_id(session, "inson-yunusobod"),
            "recipient": await tenant_id(session, "ngo-sharoit-plus"),
            "categories": ["identity", "disability", "education"],
            "scope": "engaged",
            "consent_required": True,
            "purpose": "referral",
        }
        spec.update(clause)
        version = await make_agreement(
            session,
            clauses=[spec],
            valid_from=today - timedelta(days=30),
            valid_until=today + timedelta(days=365),
            title="Yunusobod pilot",
        )
        return version.agreement_id

    return with_db(settings, work)


CLIENT_FORM = {
    "full_name": "Qurbonov Gʻayrat Ulugʻbek oʻgʻli",
    "full_name_cyrl": "",
    "pinfl": "31203851234567",
    "birth_date": "1985-03-12",
    "gender": "male",
    "phone": "+998 90 555 12 34",
    "district_code": "tashkent-yunusobod",
    "disability_group": "II",
    "work_recommendation": "Light work sitting down",
    "action_plan": "Training in sewing, then a job near home",
}


def test_the_owner_registers_a_client_and_finds_it_typed_in_either_script(client) -> None:  # type: ignore[no-untyped-def]
    login(client, "inson.social")
    response = post_form(client, "/clients", CLIENT_FORM)
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"])
    assert page.status_code == 200 and "Qurbonov" in page.text and "Қурбонов Ғайрат" in page.text
    for typed in ("қурбонов ғайрат", "Gayrat", "G'ayrat Ulug‘bek", "ҚУРБОНОВ"):
        found = client.get("/clients", params={"q": typed})
        assert "Qurbonov" in found.text, typed
    assert "Qurbonov" not in client.get("/clients", params={"q": "Karimova"}).text
    # Digits find the PINFLs that start with them: a prefix, the whole number, and nothing past it.
    for typed, found in [
        ("3", True),
        ("3120385", True),
        ("31203851234567", True),
        ("31203851234568", False),
        ("3120385123456", True),
        ("3120386", False),
        ("3120384", False),
        ("312038512345670", False),
    ]:
        assert ("Qurbonov" in client.get("/clients", params={"q": typed}).text) is found, typed


def test_bad_input_is_shown_beside_its_field_and_kept(client) -> None:  # type: ignore[no-untyped-def]
    login(client, "inson.social")
    response = post_form(client, "/clients", {**CLIENT_FORM, "pinfl": "3120385123456", "birth_date": "12.03.1985"})
    assert response.status_code == 422
    assert 'id="pinfl-error"' in response.text and 'id="birth_date-error"' in response.text
    assert 'value="3120385123456"' in response.text and "Light work sitting down" in response.text
    assert 'aria-describedby="pinfl-hint pinfl-error"' in response.text


def test_a_concurrent_edit_is_detected_and_nothing_is_overwritten(client, settings) -> None:  # type: ignore[no-untyped-def]
    client_id, pinfl, _c = seeded(settings)
    login(client, "inson.social")
    form = client.get(f"/clients/{client_id}/edit")
    assert form.status_code == 200 and 'name="version" value="1"' in form.text
    base = {**CLIENT_FORM, "full_name": SHAHZOD, "pinfl": pinfl, "birth_date": "1994-03-12", "version": "1"}
    assert post_form(client, f"/clients/{client_id}", {**base, "skills": "first"}).status_code == 303
    second = post_form(client, f"/clients/{client_id}", {**base, "skills": "second"})
    assert second.status_code == 409 and "second" in second.text

    async def skills(session):  # type: ignore[no-untyped-def]
        return (await session.get(Client, client_id)).skills

    assert with_db(settings, skills) == "first"


@pytest.mark.parametrize("persona", ["outsider.hr", "toqimachi.hr", "ngo.worker", "inspector", "pes.sign", "pes.case"])
def test_no_other_persona_reaches_any_client_route_or_its_data(client, settings, persona: str) -> None:  # type: ignore[no-untyped-def]
    client_id, pinfl, consent_id = seeded(settings)
    engagement_id = with_db(
        settings, lambda s: s.scalar(select(Engagement.id).where(Engagement.client_id == client_id))
    )
    login(client, persona)
    attempts = [
        client.get(f"/clients/{client_id}"),
        client.get(f"/clients/{client_id}/edit"),
        client.get("/clients", params={"q": "Oʻrinboyev"}),
        post_form(client, f"/clients/{client_id}", {**CLIENT_FORM, "pinfl": pinfl, "version": "1"}),
        post_form(
            client, f"/clients/{client_id}/consents", {"recipient": "1", "purpose": "referral", "evidence": "x" * 5}
        ),
        post_form(client, f"/clients/{client_id}/consents/{consent_id}/withdraw"),
        post_form(client, f"/clients/{client_id}/engagements", {"recipient": "1", "kind": "referral"}),
        post_form(client, f"/clients/{client_id}/engagements/{engagement_id}/close"),
    ]
    list_page = attempts.pop(2)
    for response in attempts:
        assert response.status_code in (403, 404), (persona, response.request.url, response.status_code)
        assert "Oʻrinboyev" not in response.text and pinfl not in response.text
    assert list_page.status_code in (200, 403) and SHAHZOD not in list_page.text and pinfl not in list_page.text

    async def unchanged(session):  # type: ignore[no-untyped-def]
        consent = await session.get(Consent, consent_id)
        engagement = await session.get(Engagement, engagement_id)
        return consent.withdrawn_at is None and engagement.closed_on is None

    assert with_db(settings, unchanged)


def test_unsafe_client_requests_without_the_csrf_token_are_refused(client, settings) -> None:  # type: ignore[no-untyped-def]
    client_id, _p, consent_id = seeded(settings)
    login(client, "inson.social")
    response = client.post(f"/clients/{client_id}/consents/{consent_id}/withdraw", follow_redirects=False)
    assert response.status_code == 403
    response = client.post("/clients", data=CLIENT_FORM, follow_redirects=False)
    assert response.status_code == 403


def test_a_partner_sees_shared_categories_with_their_reasons_and_the_owner_sees_the_reading(
    client, make_client, settings
) -> None:  # type: ignore[no-untyped-def]
    client_id, pinfl, _c = seeded(settings)
    before = client_id
    assert client.get("/login").status_code == 200
    english(client)
    login(client, "ngo.worker")
    assert client.get(f"/clients/{client_id}").status_code == 404
    agreement_id = share_with_ngo(settings)
    page = client.get(f"/clients/{before}")
    assert page.status_code == 200
    assert SHAHZOD in page.text and pinfl not in page.text  # the PINFL is a category of its own, not shared here
    assert f"agreement {agreement_id} «Yunusobod pilot», clause 1" in page.text
    assert "Lives with parents" not in page.text  # case notes are not shared
    assert "+998 90" not in page.text  # nor contact
    listed = client.get("/clients")
    assert SHAHZOD in listed.text and "Karimova Dilfuza" in listed.text  # both engaged with consent
    assert "Qodirov Sanjar" not in listed.text  # not engaged with the NGO

    owner = make_client()
    english(owner)
    login(owner, "inson.admin")
    reads = owner.get("/sharing/reads")
    assert reads.status_code == 200 and "Азиз Эргашев" in reads.text
    # The reading names the clause it was made under, as a link to it, never as a grant code.
    assert re.search(r'href="/agreements/versions/\d+#clause-1"', reads.text) and "version:" not in reads.text
    matrix = owner.get("/sharing")
    assert matrix.status_code == 200 and "Yunusobod pilot" in matrix.text

    async def entries(session):  # type: ignore[no-untyped-def]
        rows = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "client.read"))).all()
        return [(r.object_id, r.actor_tenant_id, r.owner_tenant_id, tuple(r.detail["categories"])) for r in rows]

    rows = with_db(settings, entries)
    detail_reads = [r for r in rows if r[0] == str(client_id)]
    assert len(detail_reads) == 2  # the detail page once, the list row once
    assert detail_reads[0][3] == ("disability", "education", "identity")


def test_consent_withdrawal_on_the_page_ends_the_partners_access_at_once(client, make_client, settings) -> None:  # type: ignore[no-untyped-def]
    client_id, _p, consent_id = seeded(settings)
    share_with_ngo(settings)
    partner = make_client()
    login(partner, "ngo.worker")
    assert partner.get(f"/clients/{client_id}").status_code == 200
    login(client, "inson.social")
    page = client.get(f"/clients/{client_id}")
    assert "Record withdrawal" in page.text or "withdraw" in page.text
    assert post_form(client, f"/clients/{client_id}/consents/{consent_id}/withdraw").status_code == 303
    denied = partner.get(f"/clients/{client_id}")
    assert denied.status_code == 404 and SHAHZOD not in denied.text
    # a new consent, recorded on the page, restores it
    assert (
        post_form(
            client,
            f"/clients/{client_id}/consents",
            {
                "recipient": str(with_db(settings, lambda s: tenant_id(s, "ngo-sharoit-plus"))),
                "purpose": "referral",
                "evidence": "Written consent form no. 77",
            },
            files={"document": ("consent-77.pdf", b"%PDF-1.4\n% signed form\n", "application/pdf")},
        ).status_code
        == 303
    )
    assert partner.get(f"/clients/{client_id}").status_code == 200


def test_closing_the_engagement_ends_an_engaged_scope_share(client, make_client, settings) -> None:  # type: ignore[no-untyped-def]
    client_id, _p, _c = seeded(settings)
    share_with_ngo(settings, consent_required=False)
    engagement_id = with_db(
        settings, lambda s: s.scalar(select(Engagement.id).where(Engagement.client_id == client_id))
    )
    partner = make_client()
    login(partner, "ngo.worker")
    assert partner.get(f"/clients/{client_id}").status_code == 200
    login(client, "inson.social")
    assert post_form(client, f"/clients/{client_id}/engagements/{engagement_id}/close").status_code == 303
    assert partner.get(f"/clients/{client_id}").status_code == 404
    bad = post_form(client, f"/clients/{client_id}/engagements", {"recipient": "", "kind": "referral"})
    assert bad.status_code == 422 and 'id="engagement-recipient-error"' in bad.text


def test_the_partners_offered_are_those_under_an_agreement_with_the_owner(client, settings) -> None:  # type: ignore[no-untyped-def]
    """Of the country's organisations, the engagement and consent forms offer those the owner shares a
    partnership agreement with (here the demo pilot's parties, its agreement ended), and an organisation
    that never was a party is refused beside the field with nothing stored and what was typed kept."""
    client_id, _p, _c = seeded(settings)
    ngo = with_db(settings, lambda s: tenant_id(s, "ngo-sharoit-plus"))
    outsider = with_db(settings, lambda s: tenant_id(s, OUTSIDER))
    english(client)
    login(client, "inson.social")
    page = client.get(f"/clients/{client_id}").text
    assert page.count(f'<option value="{ngo}"') == 2 and f'<option value="{outsider}"' not in page
    assert 'aria-describedby="engagement-recipient-hint"' in page
    signed = {"document": ("consent-78.pdf", b"%PDF-1.4\n% signed form\n", "application/pdf")}
    for form, fields, files in (
        ("engagements", {"kind": "referral"}, None),
        ("consents", {"purpose": "referral", "evidence": "Written consent form no. 78"}, signed),
    ):
        refused = post_form(client, f"/clients/{client_id}/{form}", {"recipient": str(outsider), **fields}, files=files)
        assert refused.status_code == 422, form
        assert f'id="{form[:-1]}-recipient-error"' in refused.text and "partnership agreement with" in refused.text
        assert "Written consent form no. 78" in refused.text or form == "engagements"

    def with_outsider(model):  # type: ignore[no-untyped-def]
        counted = (
            select(func.count())
            .select_from(model)
            .where(model.client_id == client_id, model.recipient_tenant_id == outsider)
        )
        return with_db(settings, lambda s: s.scalar(counted))

    assert with_outsider(Engagement) == 0 and with_outsider(Consent) == 0
