"""Agreement pages as people use them: with and without htmx, with bad input, racing edits, and an outsider."""

from __future__ import annotations

import re

from litestar.testing import TestClient
from sqlalchemy import select

from portal.partnership.models import Agreement, AgreementVersion
from portal.tenants.models import Tenant
from tests.conftest import DEMO_PASSWORD, login, post_form, with_db

HX = {"HX-Request": "true"}
CONFIRMED = {"agree": "on", "password": DEMO_PASSWORD}  # the signing ceremony's confirmation


def _versions(settings) -> dict[str, tuple[int, str]]:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        rows = (
            await session.execute(
                select(Agreement.template_key, AgreementVersion.id, AgreementVersion.terms_hash).join(
                    AgreementVersion, AgreementVersion.agreement_id == Agreement.id
                )
            )
        ).all()
        return {key: (vid, h) for key, vid, h in rows}

    return with_db(settings, work)


def _tenant_ids(settings) -> dict[str, int]:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        return {t.slug: t.id for t in (await session.scalars(select(Tenant))).all()}

    return with_db(settings, work)


def _draft_fields(ids: dict[str, int], **overrides: str) -> dict[str, object]:
    fields: dict[str, object] = {
        "title": "Yo‘llanmalar bo‘yicha memorandum",
        "common_goals": "Nogironligi bo‘lgan shaxslarni ishga joylashtirish",
        "joint_tools": "E-CASE",
        "valid_from": "2026-01-01",
        "valid_until": "2026-12-31",
        "party-0-tenant_id": str(ids["pes-yunusobod"]),
        "party-0-role": "Bandlik",
        "party-1-tenant_id": str(ids["ngo-sharoit-plus"]),
        "party-1-role": "NNT",
        "clause-0-owner": str(ids["pes-yunusobod"]),
        "clause-0-recipient": str(ids["ngo-sharoit-plus"]),
        "clause-0-categories": ["identity", "disability"],
        "clause-0-access": "read",
        "clause-0-purpose": "referral",
        "clause-0-scope": "engaged",
        "clause-0-consent": "on",
    }
    fields.update(overrides)
    return fields


def test_the_list_shows_the_tenants_agreements_and_only_theirs(client: TestClient, settings) -> None:  # type: ignore[no-untyped-def]
    versions = _versions(settings)
    login(client, "ngo.worker")
    page = client.get("/agreements")
    assert page.status_code == 200
    assert f"/agreements/versions/{versions['tashkent-icm-pilot'][0]}" in page.text
    assert f"/agreements/versions/{versions['pes-ngo-referral'][0]}" in page.text
    client.cookies.clear()
    login(client, "pes.case")
    page = client.get("/agreements")
    assert f"/agreements/versions/{versions['pes-ngo-referral'][0]}" not in page.text


def test_a_draft_is_edited_with_htmx_fragments_and_the_same_urls_work_without_javascript(
    client: TestClient, make_client, settings
) -> None:  # type: ignore[no-untyped-def]
    ids = _tenant_ids(settings)
    login(client, "pes.admin")
    start = post_form(
        client, "/agreements/new", {"template": "pes-ngo-referral", "partners": str(ids["ngo-sharoit-plus"])}
    )
    assert start.status_code == 200 and 'id="draft-editor"' in start.text and "<html" in start.text
    fields = _draft_fields(ids)
    fragment = post_form(client, "/agreements", {**fields, "op": "add_party"}, headers=HX)
    assert fragment.status_code == 200 and fragment.text.lstrip().startswith('<form id="draft-editor"')
    assert "<html" not in fragment.text and "party-2-tenant_id" in fragment.text
    assert "HX-Request" in fragment.headers["vary"]
    # Without JavaScript the same post answers with the whole page, the typed values kept.
    full = post_form(client, "/agreements", {**fields, "op": "remove_clause:0"})
    assert full.status_code == 200 and "<html" in full.text and "clause-0-owner" not in full.text
    assert "Yo‘llanmalar bo‘yicha memorandum" in full.text
    created = post_form(client, "/agreements", {**fields, "op": "save"})
    assert created.status_code == 303
    version_url = created.headers["location"]
    page = client.get(version_url)
    assert page.status_code == 200 and "Yo‘llanmalar bo‘yicha memorandum" in page.text
    # The invited party sees the draft; it cannot edit it.
    other = make_client()
    login(other, "ngo.admin")
    assert other.get(version_url).status_code == 200
    assert other.get(version_url + "/edit").status_code == 403


def test_bad_input_is_answered_beside_each_field_with_the_typed_values_kept(client: TestClient, settings) -> None:  # type: ignore[no-untyped-def]
    ids = _tenant_ids(settings)
    login(client, "pes.admin")
    fields = _draft_fields(ids, **{"valid_until": "2025-01-01", "clause-0-recipient": str(ids["pes-yunusobod"])})
    response = post_form(client, "/agreements", {**fields, "op": "save"})
    assert response.status_code == 422
    assert 'aria-describedby="valid_until-error"' in response.text
    assert 'id="clause-0-recipient-error"' in response.text
    assert "Yo‘llanmalar bo‘yicha memorandum" in response.text


def test_a_concurrent_edit_of_a_draft_is_shown_not_overwritten(client: TestClient, make_client, settings) -> None:  # type: ignore[no-untyped-def]
    ids = _tenant_ids(settings)
    login(client, "pes.admin")
    created = post_form(client, "/agreements", {**_draft_fields(ids), "op": "save"})
    edit_url = created.headers["location"] + "/edit"
    form_page = client.get(edit_url)
    version = re.search(r'name="version" value="(\d+)"', form_page.text).group(1)
    colleague = make_client()
    login(colleague, "coordinator")
    saved = post_form(colleague, edit_url, {**_draft_fields(ids, title="Their newer title"), "version": version})
    assert saved.status_code == 303, saved.text
    mine = post_form(client, edit_url, {**_draft_fields(ids, title="My own better title"), "version": version})
    assert mine.status_code == 409
    assert "Their newer title" in mine.text and "My own better title" in mine.text


def test_signing_through_the_page_refuses_a_stale_hash_a_non_signatory_and_a_non_party(
    client: TestClient, make_client, settings
) -> None:  # type: ignore[no-untyped-def]
    version_id, terms_hash = _versions(settings)["pes-ngo-referral"]
    url = f"/agreements/versions/{version_id}/sign"
    login(client, "ngo.worker")
    assert client.get(url).status_code == 403
    assert post_form(client, url, {"terms_hash": terms_hash}).status_code == 403
    stranger = make_client()
    login(stranger, "inson.sign")
    assert stranger.get(url).status_code == 404
    assert post_form(stranger, url, {"terms_hash": terms_hash}).status_code == 404
    signer = make_client()
    signer.cookies.set("portal_lang", "en")
    login(signer, "ngo.admin")
    page = signer.get(url)
    assert page.status_code == 200 and terms_hash in page.text
    stale = post_form(signer, url, {"terms_hash": "f" * 64, **CONFIRMED})
    assert stale.status_code == 422 and "not the terms of this version" in stale.text
    signed = post_form(signer, url, {"terms_hash": terms_hash, **CONFIRMED})
    assert signed.status_code == 303
    assert "status-active" in signer.get(f"/agreements/versions/{version_id}").text


def test_comments_arrive_as_a_fragment_for_htmx_and_as_a_page_otherwise(client: TestClient, settings) -> None:  # type: ignore[no-untyped-def]
    version_id, _hash = _versions(settings)["pes-ngo-referral"]
    url = f"/agreements/versions/{version_id}/comments"
    login(client, "ngo.admin")
    fragment = post_form(client, url, {"body": "2-bandni aniqlashtirish kerak"}, headers=HX)
    assert fragment.status_code == 200 and fragment.text.lstrip().startswith('<section id="comments"')
    assert "2-bandni aniqlashtirish kerak" in fragment.text
    assert post_form(client, url, {"body": "Yana bir izoh"}).status_code == 303
    assert "Yana bir izoh" in client.get(url).text
    assert post_form(client, url, {"body": ""}).status_code == 422


def test_verify_page_and_pdf_of_the_signed_pilot(client: TestClient, settings) -> None:  # type: ignore[no-untyped-def]
    version_id, terms_hash = _versions(settings)["tashkent-icm-pilot"]
    login(client, "inspection.head")
    verify = client.get(f"/agreements/versions/{version_id}/verify")
    assert verify.status_code == 200 and 'class="verdict ok"' in verify.text
    pdf = client.get(f"/agreements/versions/{version_id}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and terms_hash.encode() in pdf.content

    async def tamper(session):  # type: ignore[no-untyped-def]
        version = await session.get(AgreementVersion, version_id)
        version.terms_json = version.terms_json.replace("identity", "benefits", 1)

    with_db(settings, tamper)
    assert 'class="verdict broken"' in client.get(f"/agreements/versions/{version_id}/verify").text


def test_an_amendment_is_compared_side_by_side_with_the_version_in_force(client: TestClient, settings) -> None:  # type: ignore[no-untyped-def]
    from portal.partnership.models import Clause

    version_id, _hash = _versions(settings)["tashkent-icm-pilot"]
    client.cookies.set("portal_lang", "en")
    login(client, "pes.admin")
    amended = post_form(client, f"/agreements/versions/{version_id}/amend")
    assert amended.status_code == 303
    edit_url = amended.headers["location"]
    assert client.get(edit_url).status_code == 200
    new_id = int(re.search(r"versions/(\d+)", edit_url).group(1))

    async def narrow(session):  # type: ignore[no-untyped-def]
        clause = await session.scalar(select(Clause).where(Clause.version_id == new_id, Clause.number == 1))
        clause.categories = ["identity"]

    with_db(settings, narrow)
    diff = client.get(f"/agreements/versions/{new_id}/diff")
    assert diff.status_code == 200
    rows = re.findall(r'<th scope="row">([^<]+)</th>', diff.text)
    assert rows == ["Clause 1"]
    assert "Disability and work recommendation" in diff.text  # the old side still shows what was dropped
    # An amendment that is not signed yet leaves the version in force as it was.
    assert "status-active" in client.get(f"/agreements/versions/{version_id}").text


def test_the_outsider_gets_404_on_every_agreement_route(client: TestClient, app, settings) -> None:  # type: ignore[no-untyped-def]
    from portal.access.policy import write_memberships
    from portal.tenants.models import Membership, User

    everything = ["tenant_admin", "signatory", "coordinator", "case_manager", "employer_hr", "viewer"]

    async def promote(session):  # type: ignore[no-untyped-def]
        # Even holding every role, the outsider must not learn that another tenant's agreement exists.
        user = await session.scalar(select(User).where(User.login == "outsider.hr"))
        membership = await session.scalar(select(Membership).where(Membership.user_id == user.id))
        membership.roles = everything
        await write_memberships(session, user.id, membership.tenant_id, everything)

    with_db(settings, promote)
    versions = _versions(settings)
    login(client, "outsider.hr")
    routes = [
        (route.path, method)
        for route in app.routes
        if route.path.startswith("/agreements/versions/")
        for handler in getattr(route, "route_handlers", [])
        for method in handler.http_methods
        if method in ("GET", "POST")
    ]
    assert len(routes) >= 10
    for version_id, terms_hash in versions.values():
        for path, method in routes:
            url = path.replace("{version_id:int}", str(version_id))
            if method == "GET":
                status = client.get(url, follow_redirects=False).status_code
            else:
                no_token = client.post(url, data={"terms_hash": terms_hash}, follow_redirects=False)
                assert no_token.status_code == 403, (url, "CSRF")
                status = post_form(
                    client, url, {"terms_hash": terms_hash, "reason": "xxxxxxxx", "body": "hi"}
                ).status_code
            assert status == 404, (method, url, status)
    assert f"/agreements/versions/{versions['tashkent-icm-pilot'][0]}" not in client.get("/agreements").text


def test_a_signatory_cannot_sign_for_another_party_by_naming_it_in_the_form(client: TestClient, settings) -> None:  # type: ignore[no-untyped-def]
    from portal.partnership.models import Signature

    version_id, terms_hash = _versions(settings)["pes-ngo-referral"]
    ids = _tenant_ids(settings)
    login(client, "ngo.admin")
    forged = {
        "terms_hash": terms_hash,
        "tenant_id": str(ids["monocentre-tashkent"]),
        "signer_user_id": "1",
        **CONFIRMED,
    }
    assert post_form(client, f"/agreements/versions/{version_id}/sign", forged).status_code == 303

    async def signatures(session):  # type: ignore[no-untyped-def]
        rows = (await session.scalars(select(Signature).where(Signature.version_id == version_id))).all()
        return sorted(s.tenant_id for s in rows)

    # The monocentre had signed in the seed; the new signature is the NGO's own, whatever the form said.
    assert with_db(settings, signatures) == sorted([ids["monocentre-tashkent"], ids["ngo-sharoit-plus"]])


def test_the_list_pages_through_many_agreements_by_key(client: TestClient, settings) -> None:  # type: ignore[no-untyped-def]
    """Sixty drafts beside the demo's agreements: the first page holds fifty agreements and a link to the
    next, which holds the rest; nothing is shown twice or lost, and nobody else sees the drafts."""
    from datetime import date

    from portal.tenants.models import User

    async def draft_many(session):  # type: ignore[no-untyped-def]
        tenant = await session.scalar(select(Tenant.id).where(Tenant.slug == "pes-yunusobod"))
        author = await session.scalar(select(User.id).where(User.login == "pes.admin"))
        for n in range(60):
            agreement = Agreement(tenant_id=tenant, title=f"Sahifa loyihasi {n}", created_by_user_id=author)
            session.add(agreement)
            await session.flush()
            session.add(
                AgreementVersion(
                    agreement_id=agreement.id,
                    number=1,
                    title=f"Sahifa loyihasi {n}",
                    valid_from=date(2027, 1, 1),
                    valid_until=date(2027, 12, 31),
                )
            )

    with_db(settings, draft_many)
    login(client, "pes.admin")
    pages, url = [], "/agreements"
    while url:
        page = client.get(url)
        assert page.status_code == 200
        pages.append(page.text)
        found = re.search(r'href="(/agreements/\?after=\d+|/agreements\?after=\d+)"', page.text)
        url = found.group(1) if found else ""
    assert len(pages) == 2
    shown = [set(re.findall(r"/agreements/versions/(\d+)\"", text)) for text in pages]
    assert not shown[0] & shown[1]
    drafts = [set(re.findall(r"Sahifa loyihasi (\d+)<", text)) for text in pages]
    assert len(drafts[0]) == 50 and drafts[0] | drafts[1] == {str(n) for n in range(60)}
    assert f"/agreements/versions/{_versions(settings)['tashkent-icm-pilot'][0]}" in pages[1]
    client.cookies.clear()
    login(client, "ngo.worker")
    assert "Sahifa loyihasi" not in client.get("/agreements").text
    assert "Sahifa loyihasi" not in client.get("/agreements?after=1000000").text
