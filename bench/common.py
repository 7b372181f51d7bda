"""What the bench's parts share: where the repository is, the scratch database, the address everything
listens on, and the demo's password."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.load import cmdline, descendants  # noqa: E402

PG = os.environ.get("PORTAL_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE = "portal_bench"
HOST = "127.0.0.1"
PASSWORD = "icm-demo-2026"  # noqa: S105 - the demo's published password
SECRET_KEY = "bench-secret-key-long-enough-0123456789abcdef"  # noqa: S105
BROWSER_HEADERS = (("Accept", "text/html"), ("Accept-Encoding", "gzip, deflate, br"))


def admin(sql: str, *args: object, url: str = PG) -> None:
    import asyncpg

    async def go() -> None:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(sql, *args)
        finally:
            await conn.close()

    asyncio.run(go())


def database_url() -> str:
    return PG.rpartition("/")[0] + "/" + DATABASE


def workers_of(pid: int) -> list[int]:
    """The worker processes of a server: its spawned children (not the supervisor, nor
    multiprocessing's resource tracker), or itself when it serves alone."""
    children = [p for p in descendants(pid) if p != pid]
    spawned = [p for p in children if "spawn_main" in cmdline(p)]
    return spawned or children or [pid]
