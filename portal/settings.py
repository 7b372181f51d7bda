"""One settings object, read from the environment and passed into ``create_app``."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
ENVIRONMENTS = ("development", "test", "production")


class SettingsError(ValueError):
    """The environment holds a value the portal cannot run with."""


def _int(env: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from exc
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _bool(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _secret_key(env: dict[str, str], environment: str) -> str:
    """Production must be given a key; elsewhere one is kept in var/ so sessions survive restarts."""
    key = env.get("SECRET_KEY", "")
    if key:
        if len(key) < 32:
            raise SettingsError("SECRET_KEY must be at least 32 characters")
        return key
    if environment == "production":
        raise SettingsError("SECRET_KEY is required when PORTAL_ENV=production")
    path = VAR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    VAR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def normalise_database_url(url: str) -> str:
    """Accept the usual URL spellings and pick the async driver for each."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite:///"):
        url = "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    if not url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite:///")):
        raise SettingsError("DATABASE_URL must be a sqlite:/// or postgresql:// URL")
    return url


APP_ROLE = "portal_app"


def app_database_url(owner_url: str, explicit: str = "") -> str:
    """The web app's connection: DATABASE_APP_URL, else the owner's URL with the user `portal_app`
    and no password (fine where the server trusts local connections); SQLite has only one."""
    if owner_url.startswith("sqlite"):
        return owner_url
    if explicit:
        url = normalise_database_url(explicit) if explicit.startswith(("postgres://", "postgresql")) else ""
        if not url.startswith("postgresql"):
            raise SettingsError("DATABASE_APP_URL must be a postgresql:// URL beside a postgresql:// DATABASE_URL")
        if not urlsplit(url).username:
            raise SettingsError("DATABASE_APP_URL must name its user (the role the portal serves requests as)")
        return url
    parts = urlsplit(owner_url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{quote(APP_ROLE)}@{host}"))


PROVIDER_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
PROVIDER_KINDS = ("oidc",)
_PROVIDER_KEYS = {"name", "kind", "label", "issuer", "client_id", "client_secret", "scopes", "claim"}


@dataclass(frozen=True)
class ProviderConfig:
    """One identity provider people may sign in with (see README, "Signing in with an identity provider")."""

    name: str
    label: str
    issuer: str
    client_id: str
    client_secret: str = ""
    scopes: tuple[str, ...] = ("openid",)
    claim: str = "sub"
    kind: str = "oidc"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _provider(raw: object, index: int, environment: str) -> ProviderConfig:
    where = f"OIDC_PROVIDERS[{index}]"
    if not isinstance(raw, dict):
        raise SettingsError(f"{where} must be an object")
    unknown = set(raw) - _PROVIDER_KEYS
    if unknown:
        raise SettingsError(f"{where} has unknown keys: {', '.join(sorted(unknown))}")
    for key in ("name", "label", "issuer", "client_id"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise SettingsError(f"{where}.{key} is required and must be a non-empty string")
    name = raw["name"]
    if not PROVIDER_NAME_RE.fullmatch(name):
        raise SettingsError(f"{where}.name must be small Latin letters, digits or dashes (at most 40)")
    kind = raw.get("kind", "oidc")
    if kind not in PROVIDER_KINDS:
        raise SettingsError(f"{where}.kind must be one of {', '.join(PROVIDER_KINDS)}")
    issuer = raw["issuer"].rstrip("/")
    parts = urlsplit(issuer)
    if parts.scheme not in {"https", "http"} or not parts.hostname or parts.query or parts.fragment:
        raise SettingsError(f"{where}.issuer must be an https:// URL without query or fragment")
    # Plain http only for a provider on this machine (tests, a local development provider).
    if parts.scheme == "http" and (environment == "production" or not _is_loopback(parts.hostname)):
        raise SettingsError(f"{where}.issuer must use https")
    secret = raw.get("client_secret", "")
    if not isinstance(secret, str):
        raise SettingsError(f"{where}.client_secret must be a string")
    scopes = raw.get("scopes", ["openid"])
    if not isinstance(scopes, list) or not all(isinstance(x, str) and x and " " not in x for x in scopes):
        raise SettingsError(f"{where}.scopes must be a list of scope names")
    if kind == "oidc" and "openid" not in scopes:
        raise SettingsError(f"{where}.scopes must include openid")
    claim = raw.get("claim", "sub")
    if not isinstance(claim, str) or not re.fullmatch(r"[A-Za-z0-9_.:-]{1,60}", claim):
        raise SettingsError(f"{where}.claim must be a claim name such as sub, email or pinfl")
    return ProviderConfig(
        name=name,
        label=raw["label"].strip(),
        issuer=issuer,
        client_id=raw["client_id"],
        client_secret=secret,
        scopes=tuple(dict.fromkeys(scopes)),
        claim=claim,
        kind=kind,
    )


def _public_url(raw: str) -> str:
    if not raw.strip():
        return ""
    parts = urlsplit(raw.strip())
    if parts.scheme not in {"https", "http"} or not parts.hostname or parts.query or parts.fragment:
        raise SettingsError("PUBLIC_URL must be an http(s):// URL without query or fragment")
    return raw.strip().rstrip("/")


def parse_networks(raw: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """TRUSTED_PROXIES: comma-separated addresses or networks, e.g. `10.0.0.5, 10.0.1.0/24`."""
    found = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            found.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise SettingsError(f"TRUSTED_PROXIES: {item!r} is not an address or a network") from exc
    return tuple(found)


SMTP_SECURITY = {"starttls": 587, "tls": 465, "none": 25}  # each with its usual port


def _smtp(env: dict[str, str]) -> dict[str, object]:
    """SMTP_*: the mail server `portal worker` sends notifications' e-mails through; none when SMTP_HOST is unset."""
    host = env.get("SMTP_HOST", "").strip()
    security = env.get("SMTP_SECURITY", "starttls").strip().lower() or "starttls"
    if security not in SMTP_SECURITY:
        raise SettingsError(f"SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY)}")
    sender = env.get("SMTP_FROM", "").strip()
    if host and not re.fullmatch(r"[^\s<>@]+@[^\s<>@]+|[^<>\r\n]*<[^\s<>@]+@[^\s<>@]+>", sender):
        raise SettingsError("SMTP_FROM must be an address like portal@example.uz when SMTP_HOST is set")
    return {
        "smtp_host": host,
        "smtp_port": _int(env, "SMTP_PORT", SMTP_SECURITY[security], 1, 65535),
        "smtp_security": security,
        "smtp_from": sender,
        "smtp_user": env.get("SMTP_USER", ""),
        "smtp_password": env.get("SMTP_PASSWORD", ""),
        "smtp_timeout": _int(env, "SMTP_TIMEOUT", 10, 1, 300),
    }


def parse_providers(raw: str, environment: str = "development") -> tuple[ProviderConfig, ...]:
    """OIDC_PROVIDERS: a JSON list of provider objects; empty or unset means none."""
    if not raw.strip():
        return ()
    try:
        items = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SettingsError(f"OIDC_PROVIDERS is not valid JSON: {exc.msg}") from exc
    if not isinstance(items, list):
        raise SettingsError("OIDC_PROVIDERS must be a JSON list of provider objects")
    providers = tuple(_provider(item, i, environment) for i, item in enumerate(items))
    names = [p.name for p in providers]
    if len(set(names)) != len(names):
        raise SettingsError("OIDC_PROVIDERS names must be unique")
    return providers


@dataclass(frozen=True)
class Settings:
    # The owner's connection: migrations and the `portal` command (see README, "Row-level security").
    database_url: str
    secret_key: str
    # The web app's connection on PostgreSQL (a role without ownership, subject to row-level security);
    # "" = derived from database_url by app_database_url().
    database_app_url: str = ""
    environment: str = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "testserver.local")
    session_hours: int = 12
    # Sign-in limits (see portal/tenants/sign_in_limits.py): failures allowed before each further
    # attempt must wait, per login and per socket address; the first wait, doubling to the longest.
    login_max_failures: int = 5
    login_address_max_failures: int = 100
    login_delay_seconds: int = 30
    login_max_delay_minutes: int = 15
    login_window_minutes: int = 15
    local_login: bool = True
    secure_cookies: bool = False
    identity_providers: tuple[ProviderConfig, ...] = ()
    # The portal's address as people's browsers see it (behind a proxy); "" = the request's own.
    public_url: str = ""
    policy_model: Path = field(default=ROOT / "policies.conf")
    # The portal's Ed25519 key (PORTAL_SIGNING_KEY): seals signatures and audit checkpoints.
    signing_key: Path = field(default=VAR / "portal-signing-key.pem")
    # The mail server for notifications' e-mails (see README, "Notifications and e-mail"); "" = none.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_from: str = ""
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_timeout: int = 10
    # Connections each worker process keeps to PostgreSQL, and how many more it may open at a peak
    # (see README, "Several machines"): workers x (size + overflow) must stay under max_connections.
    db_pool_size: int = 10
    db_max_overflow: int = 10
    # Reverse proxies whose X-Forwarded-For is believed (addresses or networks); none: the socket peer.
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    def provider(self, name: str) -> ProviderConfig | None:
        return next((p for p in self.identity_providers if p.name == name), None)

    @property
    def app_url(self) -> str:
        return app_database_url(self.database_url, self.database_app_url)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        environment = env.get("PORTAL_ENV", "development")
        if environment not in ENVIRONMENTS:
            raise SettingsError(f"PORTAL_ENV must be one of {', '.join(ENVIRONMENTS)}")
        default_db = f"sqlite:///{VAR / 'portal.db'}"
        hosts = tuple(h.strip() for h in env.get("ALLOWED_HOSTS", "").split(",") if h.strip())
        database_url = normalise_database_url(env.get("DATABASE_URL") or default_db)
        return cls(
            database_url=database_url,
            secret_key=_secret_key(env, environment),
            database_app_url=app_database_url(database_url, env.get("DATABASE_APP_URL", "")),
            environment=environment,
            host=env.get("HOST", "127.0.0.1"),
            port=_int(env, "PORT", 8000, 1, 65535),
            allowed_hosts=hosts or cls.allowed_hosts,
            session_hours=_int(env, "SESSION_HOURS", 12, 1, 24 * 30),
            login_max_failures=_int(env, "LOGIN_MAX_FAILURES", 5, 1, 1000),
            login_address_max_failures=_int(env, "LOGIN_ADDRESS_MAX_FAILURES", 100, 1, 100_000),
            login_delay_seconds=_int(env, "LOGIN_DELAY_SECONDS", 30, 1, 3600),
            login_max_delay_minutes=_int(env, "LOGIN_MAX_DELAY_MINUTES", 15, 1, 24 * 60),
            login_window_minutes=_int(env, "LOGIN_WINDOW_MINUTES", 15, 1, 24 * 60),
            local_login=_bool(env, "LOCAL_LOGIN", True),
            secure_cookies=_bool(env, "SECURE_COOKIES", environment == "production"),
            identity_providers=parse_providers(env.get("OIDC_PROVIDERS", ""), environment),
            public_url=_public_url(env.get("PUBLIC_URL", "")),
            signing_key=Path(env.get("PORTAL_SIGNING_KEY") or VAR / "portal-signing-key.pem"),
            db_pool_size=_int(env, "DB_POOL_SIZE", 10, 1, 500),
            db_max_overflow=_int(env, "DB_MAX_OVERFLOW", 10, 0, 500),
            trusted_proxies=parse_networks(env.get("TRUSTED_PROXIES", "")),
            **_smtp(env),  # type: ignore[arg-type]
        )
