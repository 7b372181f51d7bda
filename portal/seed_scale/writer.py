"""Bulk writing in the caller's transaction: COPY on PostgreSQL, many-row INSERTs on SQLite.

Rows come with their ids (people.base); afterwards each table's id sequence is moved past them, so
the portal's own inserts carry on from there.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import JSON, Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

CHUNK = 5_000


class Writer:
    def __init__(self, conn: AsyncConnection, progress: Callable[[str], None]) -> None:
        self.conn = conn
        self.progress = progress
        self.postgres = conn.dialect.name == "postgresql"
        self.counts: dict[str, int] = {}

    async def next_id(self, table: Table) -> int:
        return int(await self.conn.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0) + 1

    async def write(self, table: Table, rows: Iterable[dict[str, Any]]) -> int:
        written = 0
        chunk: list[dict[str, Any]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) == CHUNK:
                written += await self._flush(table, chunk)
                chunk = []
                if written % (CHUNK * 10) == 0:
                    self.progress(f"  {table.name}: {written:,}")
        if chunk:
            written += await self._flush(table, chunk)
        self.counts[table.name] = self.counts.get(table.name, 0) + written
        return written

    async def _flush(self, table: Table, rows: list[dict[str, Any]]) -> int:
        if not self.postgres:
            await self.conn.execute(insert(table), rows)
            return len(rows)
        names = list(rows[0])
        as_json = {name for name in names if isinstance(table.c[name].type, JSON)}
        records = [
            tuple(json.dumps(row[name]) if name in as_json and row[name] is not None else row[name] for name in names)
            for row in rows
        ]
        raw = await self.conn.get_raw_connection()
        await raw.driver_connection.copy_records_to_table(table.name, records=records, columns=names)  # type: ignore[union-attr]
        return len(rows)

    async def move_sequences(self, tables: Iterable[Table]) -> None:
        """PostgreSQL: each table's id sequence continues after the rows written with explicit ids."""
        if not self.postgres:
            return
        for table in tables:
            await self.conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608 - our own table names
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)"
                )
            )
