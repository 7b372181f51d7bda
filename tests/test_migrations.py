"""The committed migrations build the schema the models describe, and undo it."""

from __future__ import annotations

import asyncio

from sqlalchemy import inspect

from portal.cli import downgrade_database, migrate_database
from portal.db import Base, make_engine
from portal.models import __all__ as _registered  # noqa: F401


def _tables(url: str) -> set[str]:
    async def go() -> set[str]:
        engine = make_engine(url)
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        await engine.dispose()
        return names - {"alembic_version"}

    return asyncio.run(go())


def test_migrations_upgrade_to_the_models_and_downgrade_to_nothing(settings) -> None:  # type: ignore[no-untyped-def]
    # `settings` points at a migrated copy; go all the way down and up again.
    assert _tables(settings.database_url) == set(Base.metadata.tables)
    downgrade_database(settings, "base")
    assert _tables(settings.database_url) == set()
    migrate_database(settings)
    assert _tables(settings.database_url) == set(Base.metadata.tables)


def test_the_models_need_no_migration_that_is_not_committed(settings) -> None:  # type: ignore[no-untyped-def]
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    async def go():  # type: ignore[no-untyped-def]
        engine = make_engine(settings.database_url)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c, opts={"compare_type": False}), Base.metadata)
            )
        await engine.dispose()
        return diff

    assert asyncio.run(go()) == []
