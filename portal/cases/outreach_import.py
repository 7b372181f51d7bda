"""Importing an outreach list: accepted at once, run in the background, all or nothing.

The upload is recognised by its content and an import row is written in the request's transaction;
the rows themselves are read, checked and saved after the answer has gone, by `run_import`, which
writes its progress to the import row in short transactions of its own, so any worker's page can
show it. Nothing of the file is saved while any row is bad: every row is checked first (with the
PINFLs already on the tenant's list), and then all rows, the import's "done" and its audit entry
are written in one transaction — on any failure none of them is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import anyio
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from portal.access.guard import Actor
from portal.access.kernel import Access
from portal.access.policy import PolicyStore
from portal.access.sharing import local_date
from portal.cases import outreach_files as files
from portal.cases.models import OutreachImport, OutreachPerson
from portal.db import tenant_session
from portal.i18n import gettext as _
from portal.i18n import lazy

log = logging.getLogger("portal.outreach")
CHUNK = 500
RUNNING = ("queued", "reading", "checking", "saving")
# A running import whose row has not moved for this long was cut off (its worker stopped).
STALLED_AFTER = timedelta(minutes=10)


async def accept(access: Access, filename: str, data: bytes) -> tuple[OutreachImport | None, str | None]:
    """The import row for an upload, or None and the reason it is refused (nothing is stored then)."""
    if not access.allows("outreach", "import"):
        raise LookupError("outreach import")
    try:
        kind = files.recognise(filename, data)
    except files.FileProblem as problem:
        return None, _(problem.message) % problem.params if problem.params else _(problem.message)
    row = OutreachImport(
        tenant_id=access.actor.tenant_id,
        filename=_safe_name(filename),
        kind=kind,
        size=len(data),
        state="queued",
        errors=[],
        started_by=access.actor.user_id,
        started_at=access.now,
    )
    access.session.add(row)
    await access.session.flush()
    return row, None


def _safe_name(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ord(ch) >= 32 and ch not in '"<>')
    return name[:200] or "file"


def progress(row: OutreachImport) -> int:
    """Percent done: reading and checking take up to 90, saving 95, finished 100."""
    if row.state in ("done", "failed"):
        return 100
    if row.state == "saving":
        return 95
    if row.state == "checking" and row.total_rows:
        return min(90, 5 + 85 * row.rows_checked // row.total_rows)
    return 0 if row.state == "queued" else 5


def stalled(row: OutreachImport, now: datetime) -> bool:
    return row.state in RUNNING and row.updated_at < now - STALLED_AFTER


async def find(access: Access, import_id: int) -> OutreachImport | None:
    """The actor's tenant's import (its row holds no one's personal data), or None."""
    if not access.allows("outreach", "import") or not 0 < import_id < 2**31:
        return None
    return await access.session.scalar(
        select(OutreachImport).where(OutreachImport.id == import_id, OutreachImport.tenant_id == access.actor.tenant_id)
    )


async def recent(access: Access, limit: int = 10) -> list[OutreachImport]:
    stmt = (
        select(OutreachImport)
        .where(OutreachImport.tenant_id == access.actor.tenant_id)
        .order_by(OutreachImport.id.desc())
        .limit(limit)
    )
    return list((await access.session.scalars(stmt)).all())


class _Run:
    """One import's background run: its own sessions, acting for the uploader's tenant."""

    def __init__(
        self,
        factory: async_sessionmaker[AsyncSession],
        policy: PolicyStore,
        actor: Actor,
        clock: Callable[[], datetime],
    ) -> None:
        self.factory, self.policy, self.actor, self.clock = factory, policy, actor, clock

    def session(self) -> AsyncSession:
        return tenant_session(self.factory, self.actor.tenant_id)

    async def update(self, import_id: int, **values: Any) -> None:
        async with self.session() as session:
            row = await session.get(OutreachImport, import_id)
            if row is not None:
                for name, value in values.items():
                    setattr(row, name, value)
                await session.commit()

    async def fail(self, import_id: int, problems: list[files.Problem], count: int | None = None) -> None:
        kept = [p.stored() for p in problems[: files.MAX_ERRORS_KEPT]]
        total = len(problems) if count is None else count
        await self.update(import_id, state="failed", errors=kept, error_count=total, finished_at=self.clock())

    async def check(self, import_id: int, header: list[str], rows: list[tuple[int, list[Any]]]) -> list[dict] | None:
        """Every row checked, progress written per chunk; the values to save, or None when any row is bad."""
        problems = files.check_header(header)
        if problems:
            await self.fail(import_id, problems)
            return None
        today = local_date(self.clock())
        clean_rows: list[dict] = []
        first_line: dict[str, int] = {}
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            found: list[tuple[int, dict]] = []
            for line, values in chunk:
                clean, row_problems = files.check_row(line, header, values, today)
                problems.extend(row_problems)
                if row_problems:
                    continue
                if clean["pinfl"] in first_line:
                    problems.append(
                        files.Problem(
                            line,
                            "pinfl",
                            lazy("The same PINFL is on line %(line)s."),
                            {"line": first_line[clean["pinfl"]]},
                        )
                    )
                    continue
                first_line[clean["pinfl"]] = line
                found.append((line, clean))
            problems.extend(await self._already_listed(found))
            clean_rows.extend(clean for _line, clean in found)
            await self.update(import_id, rows_checked=start + len(chunk), error_count=len(problems))
        if problems:
            problems.sort(key=lambda p: p.line)
            await self.fail(import_id, problems)
            return None
        return clean_rows

    async def _already_listed(self, found: list[tuple[int, dict]]) -> list[files.Problem]:
        if not found:
            return []
        async with self.session() as session:
            access = Access(session, self.policy, self.actor, self.clock())
            stmt = select(OutreachPerson.pinfl).where(OutreachPerson.pinfl.in_([c["pinfl"] for _l, c in found]))
            listed = set((await session.scalars(await access.scope(stmt, OutreachPerson, "list", "pinfl"))).all())
            await session.commit()
        message = lazy("A person with this PINFL is already on your organisation's outreach list.")
        return [files.Problem(line, "pinfl", message, {}) for line, clean in found if clean["pinfl"] in listed]

    async def save(self, import_id: int, clean_rows: list[dict]) -> None:
        """All rows, the import's "done" and the audit entry in one transaction."""
        async with self.session() as session:
            access = Access(session, self.policy, self.actor, self.clock())
            row = await session.get(OutreachImport, import_id)
            if row is None:
                return
            base = {"tenant_id": self.actor.tenant_id, "import_id": import_id, "outcome": ""}
            for start in range(0, len(clean_rows), 1000):
                batch = [{**base, **values} for values in clean_rows[start : start + 1000]]
                await session.execute(insert(OutreachPerson), batch)
            row.state, row.imported, row.finished_at = "done", len(clean_rows), self.clock()
            await access.record("outreach.import", "outreach_import", import_id, rows=len(clean_rows))
            await session.commit()


async def run_import(
    factory: async_sessionmaker[AsyncSession],
    policy: PolicyStore,
    actor: Actor,
    clock: Callable[[], datetime],
    import_id: int,
    kind: str,
    data: bytes,
) -> None:
    """Read, check and save one accepted upload; every outcome is written to its import row."""
    run = _Run(factory, policy, actor, clock)
    try:
        await run.update(import_id, state="reading")
        try:
            header, rows = await anyio.to_thread.run_sync(files.read_rows, kind, data)
        except files.FileProblem as problem:
            await run.fail(import_id, [files.Problem(0, "", problem.message, problem.params)])
            return
        await run.update(import_id, state="checking", total_rows=len(rows))
        clean_rows = await run.check(import_id, header, rows)
        if clean_rows is None:
            return
        if not clean_rows:
            await run.fail(import_id, [files.Problem(0, "", lazy("The file has no rows under its header."), {})])
            return
        await run.update(import_id, state="saving")
        try:
            await run.save(import_id, clean_rows)
        except IntegrityError:
            # Another import of the same tenant saved one of these PINFLs meanwhile.
            message = lazy("Someone added some of these persons meanwhile. Import the file again to see which.")
            await run.fail(import_id, [files.Problem(0, "", message, {})])
    except Exception:
        log.exception("outreach import %s failed", import_id)
        message = lazy("The import stopped because of an error in the portal. Nothing was saved. Try again.")
        await run.fail(import_id, [files.Problem(0, "", message, {})])
