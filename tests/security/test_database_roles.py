"""Which connection serves requests and which one migrates: DATABASE_URL and DATABASE_APP_URL."""

from __future__ import annotations

import pytest

from portal.settings import Settings, SettingsError

SECRET = {"SECRET_KEY": "x" * 40}


def test_on_postgresql_the_app_connects_as_portal_app_unless_told_otherwise() -> None:
    settings = Settings.from_env({**SECRET, "DATABASE_URL": "postgresql://owner:secret@db.local:5433/portal"})
    assert settings.database_url == "postgresql+asyncpg://owner:secret@db.local:5433/portal"
    assert settings.app_url == "postgresql+asyncpg://portal_app@db.local:5433/portal"
    told = Settings.from_env(
        {
            **SECRET,
            "DATABASE_URL": "postgresql://owner@db.local/portal",
            "DATABASE_APP_URL": "postgres://web:pw@db.local/portal",
        }
    )
    assert told.app_url == "postgresql+asyncpg://web:pw@db.local/portal"


def test_sqlite_has_one_connection_for_both() -> None:
    settings = Settings.from_env({**SECRET, "DATABASE_URL": "sqlite:////tmp/x.db", "DATABASE_APP_URL": ""})
    assert settings.app_url == settings.database_url == "sqlite+aiosqlite:////tmp/x.db"


@pytest.mark.parametrize("app_url", ["sqlite:////tmp/x.db", "postgresql://db.local/portal", "mysql://a@b/c"])
def test_an_app_url_that_cannot_serve_is_refused_at_start(app_url: str) -> None:
    with pytest.raises(SettingsError, match="DATABASE_APP_URL"):
        Settings.from_env({**SECRET, "DATABASE_URL": "postgresql://owner@db.local/portal", "DATABASE_APP_URL": app_url})
