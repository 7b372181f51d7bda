"""Identity providers people sign in with: the adapter seam and the standard OpenID Connect adapter.

A provider adapter turns "send this person to their provider" and "they came back with these
parameters" into one claim value (a PINFL, an e-mail...) that an administrator registered
beforehand. Standard OpenID Connect is one adapter; Uzbekistan's OneID (OAuth2 with its own
endpoints and no ID token) is meant to be another one beside it, registered in ``ADAPTERS``.
No HTTP routing and no database here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from authlib.integrations.base_client.errors import OAuthError

with warnings.catch_warnings():
    # Authlib 1.9 asks users of its httpx integration to move to "httpx2". The portal stays on httpx,
    # which Litestar's test client and the tests share, until that move is made on purpose; the
    # integration works and is tested against a real provider.
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client
from cryptography.fernet import Fernet, InvalidToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from portal.settings import ProviderConfig

PENDING_TTL_SECONDS = 600
HTTP_TIMEOUT_SECONDS = 5.0
METADATA_TTL_SECONDS = 300
CLOCK_LEEWAY_SECONDS = 60
# Asymmetric only: a symmetric algorithm would let a token signed with a public key pass.
ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered nonsense: nobody is signed in."""


class SignInRejected(Exception):
    """The provider's answer is not acceptable; ``reason`` says which check failed."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class PendingSignIn:
    """What the portal remembers between sending someone to the provider and their return."""

    provider: str
    state: str
    nonce: str
    code_verifier: str
    next: str
    created_at: int

    @classmethod
    def start(cls, provider: str, next: str) -> PendingSignIn:
        return cls(
            provider=provider,
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            code_verifier=secrets.token_urlsafe(64),
            next=next,
            created_at=int(time.time()),
        )


def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(b"portal pending sign-in\0" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal_pending(pending: PendingSignIn, secret_key: str) -> str:
    """Encrypted and authenticated: the browser carries it but can neither read nor change it."""
    return _fernet(secret_key).encrypt(json.dumps(asdict(pending)).encode()).decode()


def open_pending(sealed: str | None, secret_key: str) -> PendingSignIn | None:
    """None when missing, tampered with or older than the allowed ten minutes."""
    if not sealed:
        return None
    try:
        raw = _fernet(secret_key).decrypt(sealed.encode(), ttl=PENDING_TTL_SECONDS)
        return PendingSignIn(**json.loads(raw))
    except (InvalidToken, ValueError, TypeError):
        return None


@dataclass(frozen=True)
class Identity:
    claim_value: str
    # Kept with the session for RP-initiated logout (id_token_hint); None for plain OAuth2 providers.
    id_token: str | None = None


class IdentityProvider(Protocol):
    """The seam every provider adapter fills."""

    config: ProviderConfig

    async def authorize_url(self, pending: PendingSignIn, redirect_uri: str) -> str:
        """Where to send the browser; raises ProviderUnavailable."""
        ...

    async def identify(self, params: Mapping[str, str], pending: PendingSignIn, redirect_uri: str) -> Identity:
        """The claim value behind a callback whose state already matched; raises SignInRejected or
        ProviderUnavailable."""
        ...

    async def end_session_url(self, id_token: str | None, post_logout_redirect_uri: str) -> str | None:
        """Where to end the provider's own session after the portal's, or None."""
        ...


def verify_id_token(
    id_token: str, keys: KeySet, *, issuer: str, client_id: str, nonce: str, now: int | None = None
) -> dict[str, Any]:
    """Signature, issuer, audience, expiry and nonce; the claims, or SignInRejected("token")."""
    try:
        token = jwt.decode(id_token, keys, algorithms=ID_TOKEN_ALGORITHMS)
        jwt.JWTClaimsRegistry(
            now=now,
            leeway=CLOCK_LEEWAY_SECONDS,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
    except (JoseError, ValueError, TypeError) as exc:
        raise SignInRejected("token", type(exc).__name__) from exc
    claims = dict(token.claims)
    audience = claims["aud"]
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != client_id:
        raise SignInRejected("token", "azp")
    return claims


class OIDCProvider:
    """Standard OpenID Connect: discovery, authorization code with PKCE (S256), a verified ID token."""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._keys: KeySet | None = None

    async def _get_json(self, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS) as client:
                response = await client.get(url, **kwargs)
            if response.status_code != 200:
                raise ProviderUnavailable(f"{url} answered {response.status_code}")
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ProviderUnavailable(f"{url}: {exc!r}") from exc
        if not isinstance(body, dict):
            raise ProviderUnavailable(f"{url} did not answer a JSON object")
        return body

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is not None and time.monotonic() - self._metadata_at < METADATA_TTL_SECONDS:
            return self._metadata
        meta = await self._get_json(self.config.issuer + "/.well-known/openid-configuration")
        if str(meta.get("issuer", "")).rstrip("/") != self.config.issuer:
            raise ProviderUnavailable("the discovery document names another issuer")
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(meta.get(key), str):
                raise ProviderUnavailable(f"the discovery document has no {key}")
        self._metadata, self._metadata_at = meta, time.monotonic()
        return meta

    async def _key_set(self, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            meta = await self.metadata()
            try:
                self._keys = KeySet.import_key_set(await self._get_json(meta["jwks_uri"]))  # type: ignore[arg-type]
            except (JoseError, ValueError, TypeError, KeyError) as exc:
                raise ProviderUnavailable("the provider's key set cannot be read") from exc
        return self._keys

    def _client(self, redirect_uri: str) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self.config.client_id,
            client_secret=self.config.client_secret or None,
            scope=" ".join(self.config.scopes),
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic" if self.config.client_secret else "none",
            timeout=HTTP_TIMEOUT_SECONDS,
        )

    async def authorize_url(self, pending: PendingSignIn, redirect_uri: str) -> str:
        meta = await self.metadata()
        async with self._client(redirect_uri) as client:
            url, _state = client.create_authorization_url(
                meta["authorization_endpoint"],
                state=pending.state,
                nonce=pending.nonce,
                code_verifier=pending.code_verifier,
            )
        return str(url)

    async def identify(self, params: Mapping[str, str], pending: PendingSignIn, redirect_uri: str) -> Identity:
        if params.get("error"):
            raise SignInRejected("denied", params["error"])
        code = params.get("code")
        if not code:
            raise SignInRejected("code", "no code")
        meta = await self.metadata()
        async with self._client(redirect_uri) as client:
            try:
                token = await client.fetch_token(
                    meta["token_endpoint"],
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=pending.code_verifier,
                )
            except OAuthError as exc:
                # invalid_grant: a code used twice, expired, or issued for another client.
                raise SignInRejected("code", exc.error or "") from exc
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                raise ProviderUnavailable(f"token endpoint: {exc!r}") from exc
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise SignInRejected("token", "no id_token")
        claims = await self._verified_claims(id_token, meta, pending.nonce)
        value = claims.get(self.config.claim)
        if value is None and isinstance(meta.get("userinfo_endpoint"), str) and token.get("access_token"):
            info = await self._get_json(
                meta["userinfo_endpoint"], headers={"Authorization": f"Bearer {token['access_token']}"}
            )
            if info.get("sub") == claims["sub"]:
                value = info.get(self.config.claim)
        if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
            raise SignInRejected("claim", self.config.claim)
        return Identity(claim_value=str(value).strip(), id_token=id_token)

    async def _verified_claims(self, id_token: str, meta: dict[str, Any], nonce: str) -> dict[str, Any]:
        options = {"issuer": meta["issuer"], "client_id": self.config.client_id, "nonce": nonce}
        try:
            return verify_id_token(id_token, await self._key_set(), **options)
        except SignInRejected:
            # The provider may have rotated its keys since we fetched them: look once more.
            return verify_id_token(id_token, await self._key_set(refresh=True), **options)

    async def end_session_url(self, id_token: str | None, post_logout_redirect_uri: str) -> str | None:
        try:
            meta = await self.metadata()
        except ProviderUnavailable:
            return None  # the portal's own session is over either way
        endpoint = meta.get("end_session_endpoint")
        if not isinstance(endpoint, str) or not endpoint:
            return None
        parts = urlsplit(endpoint)
        query = parse_qsl(parts.query, keep_blank_values=True)
        query.append(("client_id", self.config.client_id))
        query.append(("post_logout_redirect_uri", post_logout_redirect_uri))
        if id_token:
            query.append(("id_token_hint", id_token))
        return urlunsplit(parts._replace(query=urlencode(query)))


# kind (ProviderConfig.kind) -> adapter class. A OneID adapter would be added here as "oneid".
ADAPTERS: dict[str, type] = {"oidc": OIDCProvider}


def build_providers(configs: tuple[ProviderConfig, ...]) -> dict[str, IdentityProvider]:
    return {config.name: ADAPTERS[config.kind](config) for config in configs}
