"""OIDC_PROVIDERS is parsed strictly: a mistake stops the start, it never half-configures sign-in."""

from __future__ import annotations

import json

import pytest

from portal.settings import Settings, SettingsError, parse_providers

GOOD = {
    "name": "test-id",
    "label": "Test ID",
    "issuer": "https://id.example.uz/",
    "client_id": "icm-portal",
    "client_secret": "s3cret",
    "scopes": ["openid", "email"],
    "claim": "pinfl",
}


def env(providers: object, **more: str) -> dict[str, str]:
    return {"SECRET_KEY": "x" * 40, "OIDC_PROVIDERS": json.dumps(providers), **more}


def test_no_variable_means_no_providers() -> None:
    assert Settings.from_env({"SECRET_KEY": "x" * 40}).identity_providers == ()
    assert parse_providers("  ") == ()


def test_several_providers_are_read_in_order() -> None:
    second = {**GOOD, "name": "second", "label": "Second", "claim": "email"}
    settings = Settings.from_env(env([GOOD, second]))
    assert [p.name for p in settings.identity_providers] == ["test-id", "second"]
    first = settings.provider("test-id")
    assert first is not None
    assert first.issuer == "https://id.example.uz"  # a trailing slash is dropped
    assert first.scopes == ("openid", "email")
    assert first.claim == "pinfl"
    assert settings.provider("nobody") is None


def test_defaults_are_the_subject_claim_and_the_openid_scope() -> None:
    minimal = {k: GOOD[k] for k in ("name", "label", "issuer", "client_id")}
    (provider,) = parse_providers(json.dumps([minimal]))
    assert provider.claim == "sub" and provider.scopes == ("openid",) and provider.kind == "oidc"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("{not json", id="not-json"),
        pytest.param(json.dumps(GOOD), id="not-a-list"),
        pytest.param(json.dumps([GOOD, GOOD]), id="duplicate-names"),
        pytest.param(json.dumps([{**GOOD, "colour": "blue"}]), id="unknown-key"),
        pytest.param(json.dumps([{**GOOD, "name": "Test ID"}]), id="bad-name"),
        pytest.param(json.dumps([{**GOOD, "client_id": ""}]), id="empty-client-id"),
        pytest.param(json.dumps([{**GOOD, "issuer": "ftp://id.example.uz"}]), id="bad-scheme"),
        pytest.param(json.dumps([{**GOOD, "issuer": "http://id.example.uz"}]), id="plain-http-elsewhere"),
        pytest.param(json.dumps([{**GOOD, "issuer": "https://id.example.uz/?x=1"}]), id="query"),
        pytest.param(json.dumps([{**GOOD, "scopes": ["email"]}]), id="no-openid-scope"),
        pytest.param(json.dumps([{**GOOD, "scopes": "openid email"}]), id="scopes-not-a-list"),
        pytest.param(json.dumps([{**GOOD, "claim": "a claim"}]), id="bad-claim"),
        pytest.param(json.dumps([{**GOOD, "kind": "saml"}]), id="unknown-kind"),
    ],
)
def test_a_bad_provider_list_stops_the_start(raw: str) -> None:
    with pytest.raises(SettingsError):
        parse_providers(raw)


def test_plain_http_is_allowed_only_on_loopback_and_never_in_production() -> None:
    local = {**GOOD, "issuer": "http://127.0.0.1:9000"}
    assert parse_providers(json.dumps([local]))[0].issuer == "http://127.0.0.1:9000"
    with pytest.raises(SettingsError):
        parse_providers(json.dumps([local]), environment="production")


def test_the_public_address_is_checked_and_loses_its_trailing_slash() -> None:
    base = {"SECRET_KEY": "x" * 40}
    assert Settings.from_env(base).public_url == ""
    assert Settings.from_env({**base, "PUBLIC_URL": "https://portal.example.uz/"}).public_url == (
        "https://portal.example.uz"
    )
    with pytest.raises(SettingsError):
        Settings.from_env({**base, "PUBLIC_URL": "portal.example.uz"})
