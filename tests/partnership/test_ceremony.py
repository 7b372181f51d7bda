"""The signing ceremony and the ending steps through the real pages: review, confirm, say why beside the field."""

from __future__ import annotations

from litestar.testing import TestClient
from sqlalchemy import select

from portal.partnership.models import Agreement, AgreementVersion, Signature
from tests.conftest import DEMO_PASSWORD, login, post_form, with_db


def _memorandum(settings) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        row = (
            await session.execute(
                select(AgreementVersion.id, AgreementVersion.terms_hash)
                .join(Agreement, Agreement.id == AgreementVersion.agreement_id)
                .where(Agreement.template_key == "pes-ngo-referral")
            )
        ).one()
        return row[0], row[1]

    return with_db(settings, work)


def _signatures(settings, version_id: int) -> int:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        return len((await session.scalars(select(Signature).where(Signature.version_id == version_id))).all())

    return with_db(settings, work)


def test_signing_needs_the_confirmation_and_the_password_and_then_confirms_what_was_signed(
    client: TestClient, settings
) -> None:  # type: ignore[no-untyped-def]
    version_id, terms_hash = _memorandum(settings)
    url = f"/agreements/versions/{version_id}/sign"
    client.cookies.set("portal_lang", "en")
    login(client, "ngo.admin")
    review = client.get(url)
    assert review.status_code == 200
    assert (
        "I have read and agree on behalf of «Sharoit plus»" in review.text
        or "I have read and agree on behalf of" in review.text
    )
    assert "must still sign" in review.text and "signed by" in review.text  # who signed, who must

    unconfirmed = post_form(client, url, {"terms_hash": terms_hash, "password": DEMO_PASSWORD})
    assert unconfirmed.status_code == 422 and 'id="agree-error"' in unconfirmed.text
    assert DEMO_PASSWORD not in unconfirmed.text
    wrong = post_form(client, url, {"terms_hash": terms_hash, "agree": "on", "password": "not-my-password"})
    assert wrong.status_code == 422 and 'id="password-error"' in wrong.text
    assert "The password is not correct" in wrong.text and "not-my-password" not in wrong.text
    assert 'name="agree" checked' in wrong.text  # what was ticked stays ticked
    assert _signatures(settings, version_id) == 1  # only the monocentre's, from the seed

    signed = post_form(client, url, {"terms_hash": terms_hash, "agree": "on", "password": DEMO_PASSWORD})
    assert signed.status_code == 303 and signed.headers["location"].endswith(f"/versions/{version_id}/signed")
    confirmation = client.get(signed.headers["location"])
    assert confirmation.status_code == 200
    assert terms_hash in confirmation.text and "Sharoit plus" in confirmation.text
    assert _signatures(settings, version_id) == 2


def test_the_confirmation_page_exists_only_for_an_organisation_that_signed(client: TestClient, settings) -> None:  # type: ignore[no-untyped-def]
    version_id, _hash = _memorandum(settings)
    login(client, "ngo.admin")
    assert client.get(f"/agreements/versions/{version_id}/signed").status_code == 404


def test_proposing_has_a_review_step_and_the_page_offers_only_allowed_actions(client: TestClient, settings) -> None:  # type: ignore[no-untyped-def]
    version_id, _hash = _memorandum(settings)
    client.cookies.set("portal_lang", "en")
    login(client, "ngo.worker")
    page = client.get(f"/agreements/versions/{version_id}")
    assert page.status_code == 200
    for action in ("/sign", "/withdraw", "/notice", "/stop-sharing", "/propose", "/edit"):
        assert f'href="/agreements/versions/{version_id}{action}"' not in page.text
    client.cookies.clear()
    client.cookies.set("portal_lang", "en")
    login(client, "mono.admin")
    page = client.get(f"/agreements/versions/{version_id}")
    assert f'href="/agreements/versions/{version_id}/withdraw"' in page.text
    assert f'href="/agreements/versions/{version_id}/sign"' not in page.text  # the monocentre signed already
    review = client.get(f"/agreements/versions/{version_id}/propose")
    assert review.status_code == 403 and "frozen" in review.text


def test_notice_through_the_page_says_why_beside_the_field_and_tells_every_party(
    client: TestClient, make_client, settings
) -> None:  # type: ignore[no-untyped-def]
    async def pilot(session):  # type: ignore[no-untyped-def]
        return await session.scalar(
            select(AgreementVersion.id)
            .join(Agreement, Agreement.id == AgreementVersion.agreement_id)
            .where(Agreement.template_key == "tashkent-icm-pilot")
        )

    version_id = with_db(settings, pilot)
    url = f"/agreements/versions/{version_id}/notice"
    client.cookies.set("portal_lang", "en")
    login(client, "ngo.admin")
    review = client.get(url)
    assert review.status_code == 200 and "30 days of notice" in review.text
    too_soon = post_form(client, url, {"reason": "Loyiha yakunlandi", "ends_on": "2000-01-01"})
    assert too_soon.status_code == 422 and 'id="ends_on-error"' in too_soon.text
    assert "Loyiha yakunlandi" in too_soon.text  # the typed reason is kept
    no_date = post_form(client, url, {"reason": "Loyiha yakunlandi", "ends_on": "3²"})
    assert no_date.status_code == 422 and 'id="ends_on-error"' in no_date.text
    import re

    earliest = re.search(r'name="ends_on" value="([0-9-]+)"', review.text).group(1)
    given = post_form(client, url, {"reason": "Loyiha yakunlandi", "ends_on": earliest})
    assert given.status_code == 303
    other = make_client()
    other.cookies.set("portal_lang", "en")
    login(other, "inspection.head")
    page = other.get(f"/agreements/versions/{version_id}")
    assert "gave notice" in page.text and "Loyiha yakunlandi" in page.text and "status-active" in page.text
    assert post_form(client, url, {"reason": "Yana bir bor", "ends_on": earliest}).status_code == 422


def test_ids_out_of_range_are_not_found(client: TestClient) -> None:  # type: ignore[no-untyped-def]
    login(client, "pes.admin")
    for path in (f"/agreements/versions/{2**63}", f"/agreements/versions/{2**31}/comments", "/agreements/versions/0"):
        assert client.get(path).status_code == 404, path
