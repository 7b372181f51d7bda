"""The figures taken in-process with the app factory on the bench's database: SQL statements per page,
EXPLAIN of the lists of clients, cases and referrals, and the bytes of the first load and of an HTMX
fragment."""

from __future__ import annotations

import gzip
import logging
import re

from bench.pages import Page, User
from bench.verdict import Figures

LISTS = ("clients", "search", "cases", "referrals")  # the pages (by name) whose queries are explained
LISTED = r"(?:clients|cases|referrals)"  # the tables none of their plans may read in full
SCANNED = re.compile(rf" on {LISTED}\b")  # a plan's line that reads one of them


def statements_and_plans(env: dict[str, str], pages: list[Page], seqscan_off: bool) -> tuple[dict[str, int], Figures]:
    """Each page once through the app factory on the same database: the SQL statements it sends, and
    EXPLAIN of every statement of the lists that reads the clients, cases or referrals table (in the
    request's own transaction, as the app's role, so row-level security and the tenant are those of
    the page)."""
    from litestar.testing import TestClient
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from portal.app import create_app
    from portal.settings import Settings

    settings = Settings.from_env(env)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    counted: list[str] = []
    explaining = [""]  # the page whose statements are explained now
    figures = Figures()

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        counted.append(statement)

    def explain(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if not explaining[0] or not statement.lstrip().upper().startswith("SELECT"):
            return
        if not re.search(rf"\b(?:FROM|JOIN) {LISTED}\b", statement):
            return
        raw = conn.connection.cursor()
        if seqscan_off:
            raw.execute("SET LOCAL enable_seqscan = off")
        raw.execute("EXPLAIN " + statement, parameters)
        plan = "\n".join(row[0] for row in raw.fetchall())
        if seqscan_off:
            raw.execute("SET LOCAL enable_seqscan TO DEFAULT")
        figures.explained += 1
        scans = "; ".join(line.strip().split("  (")[0] for line in plan.splitlines() if SCANNED.search(line))
        figures.scans.append(f"{explaining[0]}: {scans}")
        if re.search(rf"Seq Scan on {LISTED}\b", plan):
            figures.seq_scans.append(f"{explaining[0]}: {statement[:300]} ...\n" + "\n".join(plan.splitlines()[:30]))

    event.listen(Engine, "before_cursor_execute", count)
    event.listen(Engine, "after_cursor_execute", explain)
    counts: dict[str, int] = {}
    try:
        with TestClient(app=create_app(settings), base_url="http://testserver.local") as client:
            for page in pages:
                if isinstance(page.request, list) or page.request.method != "GET":
                    continue
                headers = dict(page.request.headers)
                client.get(page.request.path, headers=headers)  # warm: the policy and caches loaded
                counted.clear()
                explaining[0] = page.name if page.name.startswith(LISTS) else ""
                answer = client.get(page.request.path, headers=headers)
                explaining[0] = ""
                counts[page.name] = len(counted) if answer.status_code == 200 else -answer.status_code
    finally:
        event.remove(Engine, "before_cursor_execute", count)
        event.remove(Engine, "after_cursor_execute", explain)
    return counts, figures


def wire_bytes(base: str, user: User) -> tuple[float, float, float, float]:
    """(first load on the wire, first load gzipped, fragment on the wire, fragment gzipped), in KB:
    the home page with its stylesheets and scripts, and the client list's rows as HTMX asks for them."""
    import httpx

    headers = {"Cookie": user.cookie, "Accept-Encoding": "gzip, deflate, br"}
    with httpx.Client(base_url=base, headers=headers, timeout=300) as client:
        home = client.get("/")
        assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', home.text)
        responses = [home, *(client.get(a) for a in dict.fromkeys(assets))]
        wire = sum(r.num_bytes_downloaded for r in responses)
        zipped = sum(len(gzip.compress(r.content, 6)) for r in responses)
        fragment = client.get("/clients/", headers={"HX-Request": "true"})
    return (
        wire / 1000,
        zipped / 1000,
        fragment.num_bytes_downloaded / 1000,
        len(gzip.compress(fragment.content, 6)) / 1000,
    )
