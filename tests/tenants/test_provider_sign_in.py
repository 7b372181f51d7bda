"""Signing in through a real OpenID Connect provider on loopback, redirect by redirect.

The portal runs in Litestar's test client; the person's browser at the provider is an httpx client
that opens the authorize URL, posts the provider's form and carries the callback back.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from portal.access.models import AuditEntry
from portal.settings import Settings
from portal.tenants.models import ExternalIdentity, Membership, User
from tests.conftest import login, make_settings, post_form, with_db
from tests.oidc_provider import (
    CLIENT_ID,
    DILNOZA_PINFL,
    FERUZA_PINFL,
    PROVIDER_NAME,
    MockProvider,
    authorize_at_provider,
    closed_loopback_port,
    come_back,
    sign_in_through_provider,
    start,
)


@pytest.fixture
def settings(database: str, oidc_provider: MockProvider) -> Settings:
    return make_settings(database, identity_providers=(oidc_provider.config(),))


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """In English, so the assertions below read the messages as written in the code."""
    with TestClient(app=app, base_url="http://testserver.local") as english:
        english.cookies.set("portal_lang", "en")
        yield english


@pytest.fixture(autouse=True)
def honest_provider(oidc_provider: MockProvider):  # type: ignore[no-untyped-def]
    oidc_provider.recorder.tamper = oidc_provider.recorder.token_endpoint_down = False
    yield
    oidc_provider.recorder.tamper = oidc_provider.recorder.token_endpoint_down = False


def register(settings: Settings, login_name: str, pinfl: str) -> None:
    """What a tenant administrator does on the user form (tested in test_identity_admin)."""

    async def work(session):  # type: ignore[no-untyped-def]
        user = await session.scalar(select(User).where(User.login == login_name))
        membership = await session.scalar(select(Membership).where(Membership.user_id == user.id))
        session.add(
            ExternalIdentity(provider=PROVIDER_NAME, claim_value=pinfl, user_id=user.id, tenant_id=membership.tenant_id)
        )

    with_db(settings, work)


def identity_row(settings: Settings, pinfl: str) -> ExternalIdentity | None:
    async def work(session):  # type: ignore[no-untyped-def]
        return await session.scalar(select(ExternalIdentity).where(ExternalIdentity.claim_value == pinfl))

    return with_db(settings, work)


def audit_actions(settings: Settings) -> list[str]:
    async def work(session):  # type: ignore[no-untyped-def]
        return list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))

    return with_db(settings, work)


def assert_not_signed_in(client: TestClient, response) -> None:  # type: ignore[no-untyped-def]
    assert "portal_session" not in response.cookies or not response.cookies["portal_session"]
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"].startswith("/login")


# --- the login page ---------------------------------------------------------------------------


def test_the_login_page_offers_one_button_per_provider_beside_the_password_form(
    database: str, oidc_provider: MockProvider
) -> None:
    from portal.app import create_app

    two = make_settings(
        database,
        identity_providers=(
            oidc_provider.config(),
            oidc_provider.config(name="second-id", label="Second ID"),
        ),
    )
    with TestClient(app=create_app(two), base_url="http://testserver.local") as client:
        page = client.get("/login?next=/admin/users").text
    assert 'href="/login/oidc/test-id?next=/admin/users"' in page
    assert 'href="/login/oidc/second-id?next=/admin/users"' in page
    assert "Test ID" in page and "Second ID" in page
    assert 'name="password"' in page


def test_the_password_form_is_hidden_and_refused_when_local_login_is_off(
    database: str, oidc_provider: MockProvider
) -> None:
    from portal.app import create_app

    off = make_settings(database, local_login=False, identity_providers=(oidc_provider.config(),))
    with TestClient(app=create_app(off), base_url="http://testserver.local") as client:
        page = client.get("/login").text
        assert 'name="password"' not in page
        assert 'href="/login/oidc/test-id"' in page
        assert post_form(client, "/login", {"login": "inson.admin", "password": "icm-demo-2026"}).status_code == 404


def test_without_providers_the_login_page_shows_no_provider_button(database: str) -> None:
    from portal.app import create_app

    with TestClient(app=create_app(make_settings(database)), base_url="http://testserver.local") as client:
        page = client.get("/login").text
    assert "/login/oidc/" not in page
    assert 'name="password"' in page


# --- the flow ---------------------------------------------------------------------------------


def test_a_registered_identity_signs_in_and_is_linked_on_first_use(client: TestClient, settings: Settings) -> None:
    register(settings, "inson.social", FERUZA_PINFL)
    assert identity_row(settings, FERUZA_PINFL).linked_at is None

    response = sign_in_through_provider(client, "feruza", next="/admin/users")

    assert response.status_code == 303
    assert response.headers["location"] == "/admin/users"
    home = client.get("/")
    assert home.status_code == 200
    assert "Феруза Алимова" in home.text
    assert "INSON" in home.text
    linked_at = identity_row(settings, FERUZA_PINFL).linked_at
    assert linked_at is not None
    assert audit_actions(settings)[-2:] == ["identity_linked", "sign_in"]

    # A second sign-in uses the link; it is not made again.
    client.cookies.delete("portal_session")
    assert sign_in_through_provider(client, "feruza").status_code == 303
    assert identity_row(settings, FERUZA_PINFL).linked_at == linked_at
    assert audit_actions(settings).count("identity_linked") == 1


def test_the_flow_uses_pkce_s256_state_and_nonce_and_sends_the_matching_verifier(
    client: TestClient, settings: Settings, oidc_provider: MockProvider
) -> None:
    register(settings, "inson.social", FERUZA_PINFL)
    authorize_url = start(client)
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    assert authorize_url.startswith(oidc_provider.issuer + "/")
    assert query["response_type"] == "code"
    assert query["client_id"] == CLIENT_ID
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    assert set(query["scope"].split()) == {"openid", "email"}
    assert query["redirect_uri"] == f"http://testserver.local/login/oidc/{PROVIDER_NAME}/callback"

    before = len(oidc_provider.recorder.token_requests)
    assert come_back(client, authorize_at_provider(authorize_url, "feruza")).status_code == 303
    token_request = oidc_provider.recorder.token_requests[before]
    verifier = token_request["code_verifier"]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert challenge == query["code_challenge"]
    assert token_request["grant_type"] == "authorization_code"

    # Every sign-in gets its own state, nonce and verifier.
    again = {k: v[0] for k, v in parse_qs(urlsplit(start(client)).query).items()}
    assert {again["state"], again["nonce"], again["code_challenge"]}.isdisjoint(
        {query["state"], query["nonce"], query["code_challenge"]}
    )


def test_an_unknown_identity_is_refused_and_told_to_ask_the_administrator(
    client: TestClient, settings: Settings
) -> None:
    response = sign_in_through_provider(client, "ulugbek")
    assert response.status_code == 403
    assert "Ask your organisation&#39;s administrator" in response.text
    assert_not_signed_in(client, response)
    assert "sign_in" not in audit_actions(settings)


def test_a_deactivated_member_cannot_sign_in_with_a_registered_identity(client: TestClient, settings: Settings) -> None:
    register(settings, "inson.social", FERUZA_PINFL)

    async def deactivate(session):  # type: ignore[no-untyped-def]
        user = await session.scalar(select(User).where(User.login == "inson.social"))
        user.is_active = False

    with_db(settings, deactivate)
    response = sign_in_through_provider(client, "feruza")
    assert response.status_code == 403
    assert_not_signed_in(client, response)


def test_a_tampered_id_token_is_refused(client: TestClient, settings: Settings, oidc_provider: MockProvider) -> None:
    # Dilnoza is registered; the token is rewritten on the way to claim Feruza's PINFL.
    register(settings, "inson.social", FERUZA_PINFL)
    register(settings, "pes.case", DILNOZA_PINFL)
    oidc_provider.recorder.tamper = True
    response = sign_in_through_provider(client, "dilnoza")
    assert response.status_code == 400
    assert "could not be verified" in response.text
    assert_not_signed_in(client, response)
    assert identity_row(settings, FERUZA_PINFL).linked_at is None


def test_a_replayed_callback_is_refused(client: TestClient, settings: Settings) -> None:
    register(settings, "inson.social", FERUZA_PINFL)
    callback = authorize_at_provider(start(client), "feruza")
    assert come_back(client, callback).status_code == 303
    client.cookies.delete("portal_session")  # signed out; the pending sign-in was used up by the first return

    replay = come_back(client, callback)
    assert replay.status_code == 400
    assert "already used" in replay.text
    assert_not_signed_in(client, replay)


def test_a_replayed_authorization_code_is_refused_by_the_provider(client: TestClient, settings: Settings) -> None:
    register(settings, "inson.social", FERUZA_PINFL)
    callback = authorize_at_provider(start(client), "feruza")
    assert come_back(client, callback).status_code == 303
    client.cookies.delete("portal_session")

    # The attacker starts a sign-in of their own (a fresh, valid state) and presents the used code.
    fresh_state = parse_qs(urlsplit(start(client)).query)["state"][0]
    replay = come_back(client, callback, state=fresh_state)
    assert replay.status_code == 400
    assert "did not accept this sign-in" in replay.text
    assert_not_signed_in(client, replay)


def test_a_state_mismatch_is_refused(client: TestClient, settings: Settings) -> None:
    register(settings, "inson.social", FERUZA_PINFL)
    callback = authorize_at_provider(start(client), "feruza")
    response = come_back(client, callback, state="not-the-state-this-browser-was-given")
    assert response.status_code == 400
    assert_not_signed_in(client, response)


def test_a_callback_in_another_browser_is_refused(client: TestClient, make_client, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    # A login CSRF: the victim's browser never started this sign-in, so it holds no pending state.
    register(settings, "inson.social", FERUZA_PINFL)
    callback = authorize_at_provider(start(client), "feruza")
    victim = make_client()
    response = come_back(victim, callback)
    assert response.status_code == 400
    assert_not_signed_in(victim, response)


def test_a_tampered_pending_cookie_is_refused(client: TestClient, settings: Settings) -> None:
    register(settings, "inson.social", FERUZA_PINFL)
    callback = authorize_at_provider(start(client), "feruza")
    sealed = client.cookies.get("portal_oidc")
    client.cookies.delete("portal_oidc")
    client.cookies.set("portal_oidc", sealed[:-4] + "AAAA", path="/login/oidc")
    response = come_back(client, callback)
    assert response.status_code == 400
    assert_not_signed_in(client, response)


def test_a_refusal_at_the_provider_is_explained(client: TestClient, settings: Settings) -> None:
    authorize_url = start(client)
    with httpx.Client(timeout=10) as browser:
        denied = browser.post(authorize_url, data={"action": "deny"})
    assert denied.status_code == 302
    response = come_back(client, denied.headers["location"])
    assert response.status_code == 400
    assert "cancelled" in response.text
    assert_not_signed_in(client, response)


def test_an_unreachable_provider_gives_a_clear_502_page(database: str) -> None:
    from portal.app import create_app
    from portal.settings import ProviderConfig

    down = ProviderConfig(
        name="down-id", label="Down ID", issuer=f"http://127.0.0.1:{closed_loopback_port()}", client_id="x"
    )
    with TestClient(
        app=create_app(make_settings(database, identity_providers=(down,))),
        base_url="http://testserver.local",
    ) as client:
        client.cookies.set("portal_lang", "en")
        response = client.get("/login/oidc/down-id", follow_redirects=False)
        assert response.status_code == 502
        assert "cannot be reached" in response.text
        assert_not_signed_in(client, response)


def test_a_provider_failing_during_the_token_exchange_gives_a_clear_502_page(
    client: TestClient, settings: Settings, oidc_provider: MockProvider
) -> None:
    register(settings, "inson.social", FERUZA_PINFL)
    callback = authorize_at_provider(start(client), "feruza")
    oidc_provider.recorder.token_endpoint_down = True
    response = come_back(client, callback)
    assert response.status_code == 502
    assert "could not talk to the identity provider" in response.text
    assert_not_signed_in(client, response)


def test_behind_a_proxy_the_provider_sends_the_browser_back_to_the_public_address(
    database: str, oidc_provider: MockProvider
) -> None:
    from portal.app import create_app

    proxied = make_settings(
        database, public_url="https://portal.example.uz", identity_providers=(oidc_provider.config(),)
    )
    with TestClient(app=create_app(proxied), base_url="http://testserver.local") as client:
        query = parse_qs(urlsplit(start(client)).query)
    assert query["redirect_uri"] == [f"https://portal.example.uz/login/oidc/{PROVIDER_NAME}/callback"]


def test_an_unknown_provider_name_is_not_found(client: TestClient) -> None:
    assert client.get("/login/oidc/nobody", follow_redirects=False).status_code == 404
    assert client.get("/login/oidc/nobody/callback?code=x&state=y", follow_redirects=False).status_code == 404


def test_an_open_redirect_through_next_is_not_possible(client: TestClient, settings: Settings) -> None:
    register(settings, "inson.social", FERUZA_PINFL)
    response = sign_in_through_provider(client, "feruza", next="https://evil.example/")
    assert response.status_code == 303
    assert response.headers["location"] == "/"


# --- signing out ------------------------------------------------------------------------------


def test_signing_out_ends_the_session_and_sends_the_browser_to_the_provider(
    client: TestClient, settings: Settings, oidc_provider: MockProvider
) -> None:
    register(settings, "inson.social", FERUZA_PINFL)
    sign_in_through_provider(client, "feruza")
    response = post_form(client, "/logout")
    assert response.status_code == 303
    target = urlsplit(response.headers["location"])
    assert f"{target.scheme}://{target.netloc}" == oidc_provider.issuer
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert query["post_logout_redirect_uri"] == "http://testserver.local/login"
    assert query["client_id"] == CLIENT_ID
    assert query["id_token_hint"].count(".") == 2
    assert_not_signed_in(client, response)

    # The provider accepts the hint and offers to send the person back to the portal.
    with httpx.Client(timeout=10) as browser:
        ended = browser.get(response.headers["location"])
    assert ended.status_code == 200
    assert "http://testserver.local/login" in ended.text


def test_an_htmx_sign_out_is_told_where_to_go(client: TestClient, settings: Settings, oidc_provider) -> None:  # type: ignore[no-untyped-def]
    register(settings, "inson.social", FERUZA_PINFL)
    sign_in_through_provider(client, "feruza")
    response = post_form(client, "/logout", headers={"hx-request": "true", "hx-boosted": "true"})
    assert response.status_code == 204
    assert response.headers["hx-redirect"].startswith(oidc_provider.issuer + "/")


def test_a_password_sign_out_stays_in_the_portal(client: TestClient) -> None:
    login(client, "inson.admin")
    response = post_form(client, "/logout")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


def test_the_content_security_policy_lets_sign_out_forms_reach_the_provider(
    client: TestClient, oidc_provider: MockProvider
) -> None:
    csp = client.get("/login").headers["content-security-policy"]
    assert f"form-action 'self' {oidc_provider.issuer};" in csp


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("uz", "Hisobingiz hali sozlanmagan"),
        ("uz_Cyrl", "Ҳисобингиз ҳали созланмаган"),
        ("ru", "Ваша учётная запись ещё не настроена"),
        ("en", "Your account is not set up yet"),
    ],
)
def test_a_refusal_is_explained_in_the_persons_language(client: TestClient, language: str, title: str) -> None:
    client.cookies.set("portal_lang", language)
    response = sign_in_through_provider(client, "ulugbek")
    assert response.status_code == 403
    assert f"<h1>{title}</h1>" in response.text
