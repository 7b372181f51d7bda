"""A small load generator on loopback: HTTP/1.1 keep-alive over raw asyncio sockets, a fixed number of
connections, bounded both in requests and in seconds.

It is kept cheap on purpose (the machine has 2 cores and the server under test needs them): no HTTP
library, one event loop, responses read by Content-Length or chunked framing. Its own CPU time is
measured and reported beside the server's, so a reader can see what the generator took from the box.

The server's CPU is read from /proc (utime + stime of the server's process and all its descendants)
before and after each measured phase; CPU milliseconds per request is the figure that stays steady on
a busy machine, where requests per second do not.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass(frozen=True)
class Request:
    """One request as bytes on the wire; the same request is sent again and again."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def encode(self, host: str) -> bytes:
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}", "Connection: keep-alive"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if self.body or self.method not in {"GET", "HEAD"}:
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


@dataclass
class LoadResult:
    requests: int = 0
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    bytes_received: int = 0
    wall_s: float = 0.0
    generator_cpu_ms: float = 0.0
    server_cpu_ms: float = 0.0
    database_cpu_ms: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 99)

    @property
    def server_cpu_ms_per_request(self) -> float:
        return self.server_cpu_ms / self.requests if self.requests else 0.0

    @property
    def database_cpu_ms_per_request(self) -> float:
        return self.database_cpu_ms / self.requests if self.requests else 0.0

    @property
    def generator_cpu_ms_per_request(self) -> float:
        return self.generator_cpu_ms / self.requests if self.requests else 0.0


def percentile(values: list[float], pct: float) -> float:
    """The nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]


class ResponseError(Exception):
    """The server closed the connection or sent something that is not an HTTP/1.1 response."""


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """One response: status, headers (lower-case names; repeated ones joined by a newline), body."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise ResponseError(lines[0])
    status = int(parts[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(":")
        name = name.strip().lower()
        headers[name] = f"{headers[name]}\n{value.strip()}" if name in headers else value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                break
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(chunks)
    elif status in (204, 304) or 100 <= status < 200:
        body = b""
    else:
        body = await reader.read()
    return status, headers, body


# --- the server's processes, from /proc -------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    """The process and all its descendants that are alive now."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def cpu_ms(pids: list[int]) -> float:
    """User + system CPU milliseconds these processes have used so far (gone ones count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total * 1000 / CLOCK_TICKS


def database_backends(database: str) -> list[int]:
    """PostgreSQL's server processes for one database on this machine, found by their process title
    ("postgres: [cluster: ]user database address state"); the bench's own connections are not open then."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            title = cmdline(int(entry.name))
            if title.startswith("postgres: ") and database in title.split()[2:4]:
                found.append(int(entry.name))
    return found


def cpu_by_process(pids: list[int]) -> dict[int, float]:
    return {pid: cpu_ms([pid]) for pid in pids}


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def rss_mb(pid: int) -> float:
    """Resident memory of one process in MB (0 when it is gone)."""
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except OSError:
        return 0.0
    return pages * PAGE_SIZE / 1e6


# --- the load -----------------------------------------------------------------------------------


async def _connection(
    host: str,
    port: int,
    wires: list[bytes],
    budget: list[int],
    deadline: float,
    result: LoadResult,
    record: bool,
    answer_seconds: float,
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    sent = 0
    try:
        while budget[0] > 0 and time.perf_counter() < deadline:
            budget[0] -= 1
            started = time.perf_counter()
            try:
                writer.write(wires[sent % len(wires)])
                sent += 1
                status, headers, body = await asyncio.wait_for(read_response(reader), answer_seconds)
            except (OSError, asyncio.IncompleteReadError, ResponseError, ValueError, TimeoutError):
                result.errors += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            if not record:
                continue
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            result.requests += 1
            result.statuses[status] = result.statuses.get(status, 0) + 1
            result.bytes_received += len(body)
            if headers.get("connection", "").lower() == "close":
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


async def run_load(
    host: str,
    port: int,
    request: Request | list[Request],
    *,
    connections: int = 32,
    max_requests: int = 1000,
    max_seconds: float = 10.0,
    warmup: int = 0,
    server_pid: int | None = None,
    database: str | None = None,
    answer_seconds: float = 30.0,
) -> LoadResult:
    """Send `request` over `connections` keep-alive connections until `max_requests` answers or
    `max_seconds`, whichever comes first, after `warmup` requests that are not counted (in at most a
    third of `max_seconds`). Given several requests, connection i sends the i-th, then the
    (i + connections)-th and so on, cycling through its own share: every request of the list is sent,
    and no two connections send the same one (with at least as many requests as connections). An
    answer that takes longer than `answer_seconds` counts as an error and its connection is opened
    again, so a phase ends at most that long after `max_seconds`. The CPU of the server's processes
    and of PostgreSQL's processes serving `database` is read before and after the measured part."""
    requests = request if isinstance(request, list) else [request]
    wires = [r.encode(f"{host}:{port}") for r in requests]

    def share(i: int) -> list[bytes]:
        return wires[i % len(wires) :: connections]

    if warmup:
        shared, until = [warmup], time.perf_counter() + max_seconds / 3
        await asyncio.gather(
            *(
                _connection(host, port, share(i), shared, until, LoadResult(), False, answer_seconds)
                for i in range(min(connections, warmup))
            )
        )
    result = LoadResult()
    pids = descendants(server_pid) if server_pid else []
    server_before = cpu_ms(pids)
    database_before = cpu_by_process(database_backends(database)) if database else {}
    own_before = time.process_time()
    started = time.perf_counter()
    budget = [max_requests]
    deadline = started + max_seconds
    await asyncio.gather(
        *(_connection(host, port, share(i), budget, deadline, result, True, answer_seconds) for i in range(connections))
    )
    result.wall_s = time.perf_counter() - started
    result.generator_cpu_ms = (time.process_time() - own_before) * 1000
    result.server_cpu_ms = cpu_ms(pids) - server_before
    if database:  # a backend that began during the phase counts from zero
        after = cpu_by_process(database_backends(database))
        result.database_cpu_ms = sum(ms - database_before.get(pid, 0.0) for pid, ms in after.items())
    return result


def load(host: str, port: int, request: Request | list[Request], **options: object) -> LoadResult:
    """run_load for callers without an event loop."""
    return asyncio.run(run_load(host, port, request, **options))  # type: ignore[arg-type]
