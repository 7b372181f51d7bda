"""The benchmark's own pieces, cheaply and in-process: the load generator against a tiny loopback
server, the reading of /proc, the table and the verdict on the targets. No timing is asserted."""

from __future__ import annotations

import asyncio
import os

import pytest

from bench import run
from bench import verdict as judged
from bench.load import LoadResult, Request, cpu_ms, descendants, percentile, rss_mb, run_load


async def _serve_tiny(
    seen: list[bytes], senders: dict[bytes, set[int]] | None = None
) -> tuple[asyncio.base_events.Server, int]:
    """An HTTP/1.1 keep-alive server: every other answer chunked; /close answers and closes. `senders`
    gets, for each request line and body, the client ports of the connections that sent it."""
    count = [0]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    ),
                    0,
                )
                body = await reader.readexactly(length)
                seen.append(head.split(b"\r\n")[0] + b" " + body)
                if senders is not None:
                    senders.setdefault(seen[-1], set()).add(writer.get_extra_info("peername")[1])
                count[0] += 1
                if head.startswith(b"GET /close"):
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                    await writer.drain()
                    break
                if count[0] % 2:
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
                else:
                    writer.write(
                        b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n"
                    )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def test_the_load_generator_stops_at_its_request_budget_and_reads_both_framings() -> None:
    async def go() -> tuple[LoadResult, list[bytes]]:
        seen: list[bytes] = []
        server, port = await _serve_tiny(seen)
        async with server:
            result = await run_load(
                "127.0.0.1", port, Request("GET", "/"), connections=4, max_requests=50, max_seconds=30, warmup=6
            )
        return result, seen

    result, seen = asyncio.run(go())
    assert result.requests == 50
    assert len(seen) == 56  # the warm-up's 6 are sent but not counted
    assert result.errors == 0
    assert set(result.statuses) == {200, 201}
    assert sum(result.statuses.values()) == 50
    assert result.bytes_received == 250
    assert len(result.latencies_ms) == 50
    assert result.p50 <= result.p99


def test_each_connection_sends_its_own_request_and_a_closed_connection_is_opened_again() -> None:
    async def go() -> tuple[LoadResult, list[bytes]]:
        seen: list[bytes] = []
        server, port = await _serve_tiny(seen)
        requests = [Request("POST", "/login", body=b"login=a"), Request("GET", "/close")]
        async with server:
            result = await run_load("127.0.0.1", port, requests, connections=2, max_requests=20, max_seconds=30)
        return result, seen

    result, seen = asyncio.run(go())
    assert result.requests == 20
    assert result.errors == 0
    assert any(line == b"POST /login HTTP/1.1 login=a" for line in seen)
    assert any(line.startswith(b"GET /close") for line in seen)


def test_every_request_of_a_list_is_sent_and_never_by_two_connections() -> None:
    """The sign-in phase gives a list of people: each must sign in, and two connections signing one
    person in at once would measure the sign-in limits rather than the page."""

    async def go() -> dict[bytes, set[int]]:
        senders: dict[bytes, set[int]] = {}
        server, port = await _serve_tiny([], senders)
        requests = [Request("POST", "/login", body=f"login=u{n}".encode()) for n in range(12)]
        async with server:
            result = await run_load("127.0.0.1", port, requests, connections=4, max_requests=120, max_seconds=30)
        assert result.requests == 120
        return senders

    senders = asyncio.run(go())
    assert sorted(senders) == sorted(f"POST /login HTTP/1.1 login=u{n}".encode() for n in range(12))
    assert all(len(ports) == 1 for ports in senders.values()), senders


def test_the_budget_of_seconds_ends_a_phase_against_a_server_that_never_answers() -> None:
    async def go() -> LoadResult:
        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read()  # reads until the client goes away, never answers
            writer.close()

        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            return await asyncio.wait_for(
                run_load("127.0.0.1", port, Request("GET", "/"), connections=2, max_requests=10, max_seconds=0.3,
                         answer_seconds=0.5),
                timeout=30,
            )  # fmt: skip

    result = asyncio.run(go())
    assert result.requests == 0
    assert result.errors > 0


def test_a_request_goes_on_the_wire_as_http_1_1_keep_alive() -> None:
    wire = Request("POST", "/login", (("Cookie", "a=b"),), b"x=1").encode("127.0.0.1:8000")
    assert wire == (
        b"POST /login HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nConnection: keep-alive\r\nCookie: a=b\r\n"
        b"Content-Length: 3\r\n\r\nx=1"
    )


def test_percentiles_are_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) == 0.0


def test_this_process_is_found_in_proc_with_its_cpu_and_memory() -> None:
    me = os.getpid()
    assert me in descendants(os.getppid())
    assert descendants(me)[0] == me
    sum(range(200_000))
    assert cpu_ms([me]) > 0
    assert rss_mb(me) > 1
    assert rss_mb(2**22 + 1) == 0.0


def _result(rps: float, cpu_per_request: float, p99: float, statuses: dict[int, int] | None = None) -> LoadResult:
    result = LoadResult(requests=100, wall_s=100 / rps, server_cpu_ms=cpu_per_request * 100)
    result.latencies_ms = [p99] * 100
    result.statuses = statuses or {200: 100}
    return result


def test_the_table_and_the_targets_read_ratios_to_the_neighbouring_ceiling() -> None:
    ceiling = judged.combine([_result(1000, 1.0, 20), _result(1000, 1.0, 20)])
    assert ceiling.requests == 200
    assert ceiling.rps == pytest.approx(1000)
    fast = judged.PageRun("fast page", _result(600, 1.6, 40), ceiling)
    slow = judged.PageRun("slow page", _result(100, 10.0, 400), ceiling)
    broken = judged.PageRun("broken page", _result(600, 1.0, 40, {200: 90, 500: 10}), ceiling)
    assert fast.share == pytest.approx(0.6)
    assert slow.cpu_times == pytest.approx(10.0)

    text = judged.table(ceiling, [fast, slow, broken])
    assert "ceiling (all its phases)" in text
    assert "60%" in text and "x10.0" in text and "500:10" in text

    figures = judged.Figures(
        decision_us=12.0, first_load_kb=30.0, fragment_kb=9.0, rss_mb=[120.0, 260.0], explained=2, policy_change_ms=400
    )
    verdict = {t.name: t.met for t in judged.targets([fast, slow, broken], figures)}
    assert verdict["fast page: >= 50% of the ceiling's throughput"]
    assert verdict["fast page: p99 < 150 ms"]
    assert not verdict["slow page: >= 50% of the ceiling's throughput"]
    assert not verdict["slow page: p99 < 150 ms"]
    assert not verdict["broken page: answered"]
    assert verdict["a user's first decision at 100,000 lines, median <= 50 µs"]
    assert verdict["first load <= 60 KB on the wire"]
    assert not verdict["HTMX fragment <= 8 KB on the wire"]
    assert not verdict["RSS per worker <= 250 MB"]
    assert verdict["one role line changed at 100,000 lines: every answer within 1000 ms"]
    assert verdict["no sequential scan over clients, cases or referrals in the lists"]
    report = judged.report_targets(judged.targets([fast], figures))
    assert "MISSED  HTMX fragment" in report and "met     fast page: answered" in report


def test_a_figure_not_measured_and_a_sequential_scan_miss_their_targets() -> None:
    verdict = {t.name: t.met for t in judged.targets([], judged.Figures(seq_scans=["SELECT ... Seq Scan on clients"]))}
    assert not any(verdict.values())
    assert not {t.name: t.met for t in judged.targets([], judged.Figures(explained=0))}[
        "no sequential scan over clients, cases or referrals in the lists"
    ]


def test_the_demo_logins_are_read_from_what_seed_demo_prints() -> None:
    printed = (
        "Demo logins (password for all: icm-demo-2026):\n"
        "  pes.admin            Yunusobod PES                tenant_admin\n"
        "  ngo.worker           Sharoit plus                 case_manager\n"
        "Written to var/demo-logins.json\n"
    )
    assert run.demo_logins(printed) == ["pes.admin", "ngo.worker"]


def test_the_owner_and_recipient_are_read_from_what_seed_scale_prints() -> None:
    printed = (
        "The recipient scale-recipient holds 100 clauses from 100 owners over 20,000 engaged clients.\n"
        "Sign in as scale.recipient (the recipient) or scale.owner.17 (one of its owners),\n"
        "password icm-demo-2026. Written in 32.0 s.\n"
    )
    assert run.scale_logins(printed) == ("scale.owner.17", "scale.recipient")
    assert run.scale_logins("nothing of the kind") is None


def test_under_the_ceiling_shim_portal_asgi_is_the_ceiling_and_every_other_module_the_portals(tmp_path) -> None:
    import subprocess
    import sys

    shim = run.ceiling_shim(tmp_path)
    probe = (
        "import portal.asgi, portal.cli, portal.settings, bench.ceiling;"
        "print(portal.asgi.app is bench.ceiling.app, portal.cli.__file__, portal.settings.ROOT)"
    )
    env = {**os.environ, "PYTHONPATH": f"{shim}{os.pathsep}{run.ROOT}"}
    # Run from elsewhere: like the `portal` script, nothing but PYTHONPATH puts the worktree on the path.
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True, check=True
    )
    same, cli, root = done.stdout.split()
    assert same == "True"
    assert cli == str(run.ROOT / "portal" / "cli.py")
    assert root == str(run.ROOT)
