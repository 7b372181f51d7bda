"""A consent is recorded with its signed form: checked by content, limited in size, refused beside the
field with nothing stored, and downloadable by the owner and by the consent's recipient only while
the kernel lets the recipient see the client."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.cases.models import Client, Consent, ConsentEvidence
from portal.db import utcnow
from tests.conftest import csrf, login, with_db
from tests.factories import english, make_agreement, tenant_id

pytestmark = pytest.mark.usefixtures("no_demo_agreements")

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
SHAHZOD = "Oʻrinboyev Shahzod Akmal oʻgʻli"  # INSON's client, engaged with the NGO


def client_id_of(settings, name: str = SHAHZOD) -> int:  # type: ignore[no-untyped-def]
    return with_db(settings, lambda s: s.scalar(select(Client.id).where(Client.full_name == name)))


def ngo(settings) -> int:  # type: ignore[no-untyped-def]
    return with_db(settings, lambda s: tenant_id(s, "ngo-sharoit-plus"))


def give(browser, client_id: int, recipient: int, document, evidence: str = "Written form no. 14, signed 2026-03-01"):  # type: ignore[no-untyped-def]
    files = {"document": document} if document else None
    return browser.post(
        f"/clients/{client_id}/consents",
        data={"recipient": str(recipient), "purpose": "referral", "evidence": evidence, "_csrf_token": csrf(browser)},
        files=files or {"document": ("", b"", "application/octet-stream")},
        follow_redirects=False,
    )


def counts(settings) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        consents = await session.scalar(select(func.count(Consent.id)))
        forms = await session.scalar(select(func.count(ConsentEvidence.id)))
        return consents, forms

    return with_db(settings, work)


def share_identity_with_ngo(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        today = utcnow().date()
        await make_agreement(
            session,
            clauses=[
                {
                    "owner": await tenant_id(session, "inson-yunusobod"),
                    "recipient": await tenant_id(session, "ngo-sharoit-plus"),
                    "categories": ["identity"],
                    "scope": "engaged",
                    "consent_required": True,
                }
            ],
            valid_from=today - timedelta(days=5),
            valid_until=today + timedelta(days=100),
        )

    with_db(settings, work)


@pytest.fixture
def social(client):  # type: ignore[no-untyped-def]
    english(client)
    login(client, "inson.social")
    return client


@pytest.mark.parametrize(
    ("document", "kind"),
    [(("form.pdf", PDF, "application/pdf"), "application/pdf"), (("скан.JPG", JPEG, "image/jpeg"), "image/jpeg"),
     (("form.png", PNG, "image/png"), "image/png")],
)  # fmt: skip
def test_the_owner_records_a_consent_with_its_form_and_downloads_it(social, settings, document, kind) -> None:  # type: ignore[no-untyped-def]
    client_id = client_id_of(settings)
    before = counts(settings)
    answer = give(social, client_id, ngo(settings), document)
    assert answer.status_code == 303, answer.text[:300]
    assert counts(settings) == (before[0] + 1, before[1] + 1)
    page = social.get(f"/clients/{client_id}").text
    consent_id = with_db(settings, lambda s: s.scalar(select(func.max(ConsentEvidence.consent_id))))
    link = f"/clients/{client_id}/consents/{consent_id}/evidence"
    assert f'href="{link}"' in page
    got = social.get(link)
    assert got.status_code == 200 and got.content == document[1]
    assert got.headers["content-type"].startswith(kind)
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (None, "Attach the signed consent form"),
        (("form.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"), "must be a PDF, JPEG or PNG"),
        (("form.exe", b"MZ\x90\x00" + b"\x00" * 50, "image/png"), "must be a PDF, JPEG or PNG"),
        (("big.pdf", b"%PDF-1.7\n" + b"0" * (5 * 1024 * 1024), "application/pdf"), "larger than 5 MB"),
    ],
)
def test_a_missing_wrong_or_oversized_form_is_refused_beside_the_field_with_nothing_stored(
    social, settings, document, message
) -> None:  # type: ignore[no-untyped-def]
    client_id = client_id_of(settings)
    before = counts(settings)
    answer = give(social, client_id, ngo(settings), document, evidence="Form no. 15 typed by hand")
    assert answer.status_code == 422
    assert 'id="consent-document-error"' in answer.text and message in answer.text
    assert 'aria-describedby="consent-document-hint consent-document-error"' in answer.text
    assert 'value="Form no. 15 typed by hand"' in answer.text
    assert counts(settings) == before


def test_the_recipient_downloads_the_form_only_while_it_may_see_the_client(social, make_client, settings) -> None:  # type: ignore[no-untyped-def]
    client_id = client_id_of(settings)
    assert give(social, client_id, ngo(settings), ("form.pdf", PDF, "application/pdf")).status_code == 303
    consent_id = with_db(settings, lambda s: s.scalar(select(func.max(ConsentEvidence.consent_id))))
    link = f"/clients/{client_id}/consents/{consent_id}/evidence"
    partner = make_client()
    english(partner)
    login(partner, "ngo.worker")
    assert partner.get(link).status_code == 404  # no clause shares this client yet
    share_identity_with_ngo(settings)
    page = partner.get(f"/clients/{client_id}")
    assert page.status_code == 200 and f'href="{link}"' in page.text
    got = partner.get(link)
    assert got.status_code == 200 and got.content == PDF
    for persona in ("pes.case", "outsider.hr", "toqimachi.hr"):
        other = make_client()
        login(other, persona)
        assert other.get(link).status_code in (403, 404), persona
    # Every consent withdrawn: the clause asks for one, so the partner no longer sees the client nor the form.
    ids = with_db(settings, lambda s: s.scalars(select(Consent.id).where(Consent.client_id == client_id)))
    for given in ids.all():
        withdraw = f"/clients/{client_id}/consents/{given}/withdraw"
        assert social.post(withdraw, data={"_csrf_token": csrf(social)}, follow_redirects=False).status_code == 303
    assert partner.get(link).status_code == 404
    assert social.get(link).status_code == 200  # the owner keeps its evidence
