"""One settings object, read from the environment and passed into ``create_app``."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

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


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    environment: str = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "testserver.local")
    session_hours: int = 12
    login_max_failures: int = 5
    login_window_minutes: int = 15
    local_login: bool = True
    secure_cookies: bool = False
    policy_model: Path = field(default=ROOT / "policies.conf")

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
        return cls(
            database_url=normalise_database_url(env.get("DATABASE_URL") or default_db),
            secret_key=_secret_key(env, environment),
            environment=environment,
            host=env.get("HOST", "127.0.0.1"),
            port=_int(env, "PORT", 8000, 1, 65535),
            allowed_hosts=hosts or cls.allowed_hosts,
            session_hours=_int(env, "SESSION_HOURS", 12, 1, 24 * 30),
            login_max_failures=_int(env, "LOGIN_MAX_FAILURES", 5, 1, 1000),
            login_window_minutes=_int(env, "LOGIN_WINDOW_MINUTES", 15, 1, 24 * 60),
            local_login=_bool(env, "LOCAL_LOGIN", True),
            secure_cookies=_bool(env, "SECURE_COOKIES", environment == "production"),
        )
