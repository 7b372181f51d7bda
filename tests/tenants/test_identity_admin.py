"""A tenant administrator registers and removes identity-provider identities for their own members."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from portal.access.models import AuditEntry
from portal.settings import Settings
from portal.tenants.models import ExternalIdentity
from tests.conftest import login, make_settings, post_form, with_db
from tests.oidc_provider import FERUZA_PINFL, PROVIDER_NAME, MockProvider, sign_in_through_provider
from tests.tenants.test_users_admin import user_id


@pytest.fixture
def settings(database: str, oidc_provider: MockProvider) -> Settings:
    return make_settings(
        database,
        identity_providers=(
            oidc_provider.config(),
            oidc_provider.config(name="mail-id", label="Mail ID", claim="email"),
        ),
    )


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """In English, so the assertions below read the messages as written in the code."""
    with TestClient(app=app, base_url="http://testserver.local") as english:
        english.cookies.set("portal_lang", "en")
        yield english


def identities(settings: Settings) -> list[tuple[str, str, int, int]]:
    async def work(session):  # type: ignore[no-untyped-def]
        rows = await session.scalars(select(ExternalIdentity).order_by(ExternalIdentity.id))
        return [(r.provider, r.claim_value, r.user_id, r.tenant_id) for r in rows]

    return with_db(settings, work)


def actions(settings: Settings) -> list[str]:
    async def work(session):  # type: ignore[no-untyped-def]
        return list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))

    return with_db(settings, work)


def test_an_administrator_registers_an_identity_and_the_member_then_signs_in_with_it(
    client: TestClient, make_client, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    login(client, "inson.admin")
    social = user_id(client, "inson.social")
    page = client.get(f"/admin/users/{social}").text
    assert "Test ID (pinfl)" in page and "Mail ID (email)" in page

    response = post_form(
        client,
        f"/admin/users/{social}/identities",
        {"provider": PROVIDER_NAME, "claim_value": f" {FERUZA_PINFL} "},
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/users/{social}"
    page = client.get(f"/admin/users/{social}").text
    assert FERUZA_PINFL in page
    assert "identity_registered" in actions(settings)
    assert identities(settings)[0][:3] == (PROVIDER_NAME, FERUZA_PINFL, social)

    feruza = make_client()
    assert sign_in_through_provider(feruza, "feruza").status_code == 303
    assert "Феруза Алимова" in feruza.get("/").text
    assert re.search(r"Linked on \d{1,2} [A-Z][a-z]+ \d{4} \d\d:\d\d", client.get(f"/admin/users/{social}").text)


def test_an_email_identity_is_kept_in_small_letters(client: TestClient, settings: Settings) -> None:
    login(client, "inson.admin")
    social = user_id(client, "inson.social")
    post_form(
        client,
        f"/admin/users/{social}/identities",
        {"provider": "mail-id", "claim_value": "Feruza@Example.UZ"},
    )
    assert identities(settings)[0][1] == "feruza@example.uz"


def test_bad_identity_input_is_explained_beside_the_field(client: TestClient, settings: Settings) -> None:
    login(client, "inson.admin")
    social = user_id(client, "inson.social")
    response = post_form(client, f"/admin/users/{social}/identities", {"provider": "nobody", "claim_value": ""})
    assert response.status_code == 422
    assert 'id="provider-error"' in response.text
    assert 'id="claim_value-error"' in response.text
    assert identities(settings) == []


def test_one_identity_belongs_to_one_person_even_across_organisations(
    client: TestClient, make_client, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    pes_admin = make_client()
    login(pes_admin, "pes.admin")
    pes_case = user_id(pes_admin, "pes.case")
    assert (
        post_form(
            pes_admin,
            f"/admin/users/{pes_case}/identities",
            {"provider": PROVIDER_NAME, "claim_value": FERUZA_PINFL},
        ).status_code
        == 303
    )
    login(client, "inson.admin")
    social = user_id(client, "inson.social")
    response = post_form(
        client, f"/admin/users/{social}/identities", {"provider": PROVIDER_NAME, "claim_value": FERUZA_PINFL}
    )
    assert response.status_code == 422
    assert "already registered" in response.text
    assert "pes.case" not in response.text and "Gulnora" not in response.text
    assert f'value="{FERUZA_PINFL}"' in response.text  # what was typed is kept
    assert len(identities(settings)) == 1


def test_removing_an_identity_stops_sign_in_with_it_and_ends_its_sessions(
    client: TestClient, make_client, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    login(client, "inson.admin")
    social = user_id(client, "inson.social")
    post_form(client, f"/admin/users/{social}/identities", {"provider": PROVIDER_NAME, "claim_value": FERUZA_PINFL})
    feruza = make_client()
    sign_in_through_provider(feruza, "feruza")
    assert feruza.get("/", follow_redirects=False).status_code == 200

    page = client.get(f"/admin/users/{social}").text
    identity = re.search(rf'action="/admin/users/{social}/identities/(\d+)/delete"', page)
    assert identity
    response = post_form(client, f"/admin/users/{social}/identities/{identity.group(1)}/delete")
    assert response.status_code == 303
    assert identities(settings) == []
    assert "identity_removed" in actions(settings)
    assert feruza.get("/", follow_redirects=False).status_code == 303  # signed out

    feruza.cookies.delete("portal_session")
    assert sign_in_through_provider(feruza, "feruza").status_code == 403


def test_another_tenants_member_and_identity_are_404(client: TestClient, make_client, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    pes_admin = make_client()
    login(pes_admin, "pes.admin")
    pes_case = user_id(pes_admin, "pes.case")
    post_form(pes_admin, f"/admin/users/{pes_case}/identities", {"provider": PROVIDER_NAME, "claim_value": "1"})
    page = pes_admin.get(f"/admin/users/{pes_case}").text
    identity = re.search(rf'action="/admin/users/{pes_case}/identities/(\d+)/delete"', page)
    assert identity

    login(client, "outsider.hr")
    add = post_form(client, f"/admin/users/{pes_case}/identities", {"provider": PROVIDER_NAME, "claim_value": "2"})
    assert add.status_code == 404
    remove = post_form(client, f"/admin/users/{pes_case}/identities/{identity.group(1)}/delete")
    assert remove.status_code == 404
    own = user_id(client, "outsider.hr")
    # Not even through one of the outsider's own members.
    assert post_form(client, f"/admin/users/{own}/identities/{identity.group(1)}/delete").status_code == 404
    assert [row[1] for row in identities(settings)] == ["1"]


@pytest.mark.parametrize("persona", ["inson.social", "inson.sign"])
def test_members_without_administration_cannot_register_identities(client: TestClient, persona: str) -> None:
    login(client, persona)
    response = post_form(client, "/admin/users/1/identities", {"provider": PROVIDER_NAME, "claim_value": "3"})
    assert response.status_code == 403


def test_registering_an_identity_needs_the_csrf_token(client: TestClient) -> None:
    login(client, "inson.admin")
    social = user_id(client, "inson.social")
    response = client.post(
        f"/admin/users/{social}/identities",
        data={"provider": PROVIDER_NAME, "claim_value": "4"},
        follow_redirects=False,
    )
    assert response.status_code == 403


def test_without_providers_the_user_form_has_no_identity_section(make_client, database: str) -> None:  # type: ignore[no-untyped-def]
    from portal.app import create_app

    with TestClient(app=create_app(make_settings(database)), base_url="http://testserver.local") as c:
        login(c, "inson.admin")
        page = c.get(f"/admin/users/{user_id(c, 'inson.social')}").text
    assert "/identities" not in page
