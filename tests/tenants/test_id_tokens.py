"""ID-token checks in isolation: each claim the portal relies on is verified, none is trusted blindly."""

from __future__ import annotations

import time

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey

from portal.tenants.providers import (
    PendingSignIn,
    SignInRejected,
    open_pending,
    seal_pending,
    verify_id_token,
)

ISSUER = "http://127.0.0.1:9"
CLIENT = "icm-portal"
NONCE = "nonce-0123456789"
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})
KEYS = KeySet([KEY])


def token(key=KEY, alg: str = "RS256", **changes) -> str:  # type: ignore[no-untyped-def]
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": CLIENT, "sub": "feruza", "iat": now, "exp": now + 300, "nonce": NONCE}
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode({"alg": alg, "kid": "k1"}, claims, key, algorithms=[alg])


def verify(id_token: str) -> dict:
    return verify_id_token(id_token, KEYS, issuer=ISSUER, client_id=CLIENT, nonce=NONCE)


def test_a_good_token_gives_its_claims() -> None:
    assert verify(token(pinfl="41203876540012"))["pinfl"] == "41203876540012"


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"exp": int(time.time()) - 3600}, id="expired"),
        pytest.param({"iss": "http://127.0.0.1:10"}, id="another-issuer"),
        pytest.param({"aud": "another-client"}, id="another-audience"),
        pytest.param({"nonce": "a-replayed-nonce"}, id="wrong-nonce"),
        pytest.param({"nonce": None}, id="no-nonce"),
        pytest.param({"exp": None}, id="no-expiry"),
        pytest.param({"aud": [CLIENT, "other"], "azp": "other"}, id="authorised-party-is-someone-else"),
    ],
)
def test_a_token_failing_a_claim_check_is_rejected(changes: dict) -> None:
    with pytest.raises(SignInRejected) as refused:
        verify(token(**changes))
    assert refused.value.reason == "token"


def test_a_token_signed_by_another_key_is_rejected() -> None:
    stranger = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    with pytest.raises(SignInRejected):
        verify(token(key=stranger))


def test_a_symmetric_token_is_rejected_even_with_a_matching_secret() -> None:
    secret = OctKey.import_key("a-shared-secret-that-is-long-enough-for-hs256")
    with pytest.raises(SignInRejected):
        verify_id_token(token(key=secret, alg="HS256"), KeySet([secret]), issuer=ISSUER, client_id=CLIENT, nonce=NONCE)


def test_an_unsigned_token_is_rejected() -> None:
    header, payload, _sig = token().split(".")
    with pytest.raises(SignInRejected):
        verify(f"{header}.{payload}.")


def test_the_pending_sign_in_survives_the_round_trip_but_not_tampering_or_another_key() -> None:
    pending = PendingSignIn.start("test-id", "/admin/users")
    sealed = seal_pending(pending, "k" * 40)
    assert open_pending(sealed, "k" * 40) == pending
    assert pending.code_verifier not in sealed  # the browser cannot read it
    assert open_pending(sealed[:-3] + "abc", "k" * 40) is None
    assert open_pending(sealed, "j" * 40) is None
    assert open_pending(None, "k" * 40) is None


def test_a_pending_sign_in_expires_after_ten_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    sealed = seal_pending(PendingSignIn.start("test-id", "/"), "k" * 40)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 601)
    assert open_pending(sealed, "k" * 40) is None
