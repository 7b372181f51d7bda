"""Alembic environment: runs migrations over the portal's async engine."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from portal import models  # noqa: F401  (registers every table on the metadata)
from portal.db import Base, UTCDateTime, make_engine, prepare_app_role
from portal.settings import Settings, app_database_url

config = context.config
target_metadata = Base.metadata


def database_url() -> str:
    return config.attributes.get("database_url") or Settings.from_env().database_url


def app_url() -> str:
    """The role the web app connects as; migrations (run as the owner) make sure it exists and is granted."""
    if config.attributes.get("app_database_url"):
        return config.attributes["app_database_url"]
    if config.attributes.get("database_url"):
        return app_database_url(config.attributes["database_url"])
    return Settings.from_env().app_url


def render_item(type_: str, obj: object, autogen_context) -> str | bool:  # type: ignore[no-untyped-def]
    """Migrations spell the portal's own column types in plain SQLAlchemy."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
        prepare_app_role(connection, app_url())


async def run_migrations_online() -> None:
    engine = make_engine(database_url())
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        asyncio.run(run_migrations_online())
