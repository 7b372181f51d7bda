"""`make bench`: the portal's key pages against the framework's ceiling, on PostgreSQL, through the real
server, in one run; then the figures the targets of national scale are about. Exits 1 when a target
is missed.

1. A scratch database (`portal_bench` on PORTAL_BENCH_PG_URL) is migrated and seeded with the commands
   production uses (`portal migrate`, `portal seed-demo`, and `portal seed-scale --size SIZE` with
   `--scale SIZE` where that command exists).
2. `portal serve --workers N` runs twice side by side on loopback ports: once with the portal, once
   with the ceiling (bench/ceiling.py: Litestar + Jinja, 50 rows from memory) in its place.
3. Demo users sign in through the real /login form; the load generator (bench/load.py) runs each page
   at 32 connections, bounded in requests and seconds, with a ceiling phase before and after every
   page; a page's ratios are to those two ceiling phases. The servers' CPU time is read from /proc.
4. In-process (the app factory on the same database): SQL statements per page and EXPLAIN of the client
   list queries; bytes of the first load and of an HTMX fragment; RSS of each worker after the run; a
   Casbin decision at 100,000 role lines.

    python bench/run.py [--quick] [--workers 2] [--scale SIZE] [--keep-db]
"""

# ruff: noqa: S603 - the bench runs its own commands, never a shell or outside input

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

if str(Path(__file__).resolve().parent.parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BROWSER_HEADERS, DATABASE, HOST, ROOT, SECRET_KEY, admin, database_url, workers_of  # noqa: E402
from bench.inprocess import statements_and_plans, wire_bytes  # noqa: E402
from bench.load import LoadResult, Request, load, rss_mb  # noqa: E402
from bench.pages import Page, key_pages, sign_in, sign_in_logins  # noqa: E402
from bench.roles import decision_us, policy_change  # noqa: E402
from bench.verdict import (  # noqa: E402
    DECISION_LINES,
    PageRun,
    combine,
    report_targets,
    table,
    targets,
)


@dataclass(frozen=True)
class Profile:
    max_requests: int
    max_seconds: float
    warmup: int
    connections: int = 32


QUICK = Profile(max_requests=150, max_seconds=3.0, warmup=32)
FULL = Profile(max_requests=3000, max_seconds=10.0, warmup=64)


# --- the scratch database and the servers ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def server_env(port: int, workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=database_url(),
        PORTAL_ENV="production",
        SECRET_KEY=SECRET_KEY,
        SECURE_COOKIES="false",  # plain http on loopback
        PORTAL_SIGNING_KEY=str(workdir / "signing-key.pem"),
        HOST=HOST,
        PORT=str(port),
        # The load generator stands for the reverse proxy in front of many people: it names each
        # sign-in's address (see sign_in_requests), as a proxy does, so the per-address sign-in limit
        # meets what it would meet in production instead of refusing one address's hundreds of sign-ins.
        TRUSTED_PROXIES=HOST,
    )
    env.pop("DATABASE_APP_URL", None)
    return env


def ceiling_shim(workdir: Path) -> Path:
    """A directory that, first on PYTHONPATH, makes `portal.asgi:app` the ceiling's app and leaves every
    other module of the portal its own: the ceiling then runs under the very `portal serve --workers N`
    (the same server, workers and options, whatever that command chooses)."""
    package = workdir / "ceiling-shim" / "portal"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(f"__path__ = [{str(package)!r}, {str(ROOT / 'portal')!r}]\n")
    (package / "asgi.py").write_text("from bench.ceiling import app  # noqa: F401\n")
    return package.parent


def portal_command() -> list[str]:
    """The `portal` console script beside this interpreter (the worktree first on PYTHONPATH)."""
    script = Path(sys.executable).parent / "portal"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from portal.cli import main; main()"]


def portal(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*portal_command(), *args], env=env, cwd=ROOT, capture_output=True, text=True)


def demo_logins(printed: str) -> list[str]:
    """The logins `portal seed-demo` prints, one indented line each after its heading."""
    lines = printed.split("Demo logins", 1)[-1].splitlines()[1:]
    return [line.split()[0] for line in lines if line.startswith("  ") and line.split()]


def scale_logins(printed: str) -> tuple[str, str] | None:
    """(owner, recipient) from the closing lines of `portal seed-scale`: "Sign in as R (the recipient)
    or O (one of its owners)"."""
    found = re.search(r"Sign in as (\S+) \(the recipient\) or (\S+) \(one of its owners\)", printed)
    return (found.group(2), found.group(1)) if found else None


@dataclass
class Data:
    """What the scratch database holds: a line saying so, the demo's logins, and the owner and
    recipient that `portal seed-scale` names (None on the demo alone)."""

    described: str
    logins: list[str]
    scale_users: tuple[str, str] | None = None


def prepare_database(env: dict[str, str], scale: str | None) -> Data:
    """Migrate and seed the scratch database with the `portal` commands. The seeds run outside
    PORTAL_ENV=production (seed-scale refuses a production database); the server runs inside it."""
    admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{DATABASE}"')
    seeding = {**env, "PORTAL_ENV": "development"}
    outputs = []
    for step in (["migrate"], ["seed-demo"]):
        done = portal(step, seeding)
        if done.returncode:
            raise SystemExit(f"portal {' '.join(step)} failed:\n{done.stdout}\n{done.stderr}")
        outputs.append(done.stdout)
    logins = demo_logins(outputs[-1])
    if scale is None:
        return Data("demo seed (portal seed-demo)", logins)
    if portal(["seed-scale", "--help"], seeding).returncode:
        return Data(f"demo seed: `portal seed-scale` is not on this branch (asked for --scale {scale})", logins)
    print(f"portal seed-scale --size {scale} ...", flush=True)
    done = portal(["seed-scale", "--size", scale], seeding)
    if done.returncode:
        raise SystemExit(f"portal seed-scale failed:\n{done.stdout}\n{done.stderr}")
    return Data(f"portal seed-scale --size {scale} (on the demo seed)", logins, scale_logins(done.stdout))


@contextmanager
def running(command: list[str], env: dict[str, str], port: int, ready_path: str, log: Path) -> Iterator[int]:
    """Start a server in its own process group, wait until `ready_path` answers, stop it afterwards."""
    with log.open("w") as out:
        proc = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"{' '.join(command)} stopped:\n{log.read_text()[-3000:]}")
            try:
                with socket.create_connection((HOST, port), timeout=1) as s:
                    s.sendall(f"GET {ready_path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n".encode())
                    if s.recv(64).startswith(b"HTTP/1.1 200"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{' '.join(command)} did not answer in 90 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        time.sleep(1.0)  # every worker up, not only the first
        yield proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def measure(
    pages: list[Page], port: int, pid: int, ceiling_port: int, ceiling_pid: int, profile: Profile
) -> tuple[LoadResult, list[PageRun]]:
    """Ceiling, page, ceiling, page, ..., ceiling: each page's ratios are to its two neighbours."""
    options = {
        "connections": profile.connections,
        "max_requests": profile.max_requests,
        "max_seconds": profile.max_seconds,
        "warmup": profile.warmup,
    }
    ceiling_request = Request("GET", "/", BROWSER_HEADERS)

    def ceiling_phase() -> LoadResult:
        return load(HOST, ceiling_port, ceiling_request, server_pid=ceiling_pid, **options)

    ceilings = [ceiling_phase()]
    runs = []
    for page in pages:
        result = load(HOST, port, page.request, server_pid=pid, database=DATABASE, **options)
        ceilings.append(ceiling_phase())
        runs.append(PageRun(page.name, result, combine(ceilings[-2:]), page.expected))
        print(
            f"  {page.name:<28} {result.rps:7.0f} req/s, {result.server_cpu_ms_per_request:6.2f} CPU ms/req", flush=True
        )
    return combine(ceilings), runs


# --- the run ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="A short smoke run (a few seconds per phase)")
    parser.add_argument("--workers", type=int, default=2, help="Worker processes of both servers (default 2)")
    parser.add_argument(
        "--scale",
        default=None,
        metavar="SIZE",
        help="Also seed with `portal seed-scale --size SIZE` (e.g. full, small)",
    )
    parser.add_argument("--owner", default=None, help="A login whose tenant owns clients (default: the data's)")
    parser.add_argument(
        "--recipient", default=None, help="A login whose tenant is shared clients (default: the data's)"
    )
    parser.add_argument(
        "--server", choices=("uvicorn", "granian"), default=None, help="The server both run under (default: serve's)"
    )
    parser.add_argument("--search", default="ov", help="The search text of the search page")
    parser.add_argument("--keep-db", action="store_true", help=f"Leave the {DATABASE} database afterwards")
    args = parser.parse_args(argv)
    profile = QUICK if args.quick else FULL
    started = time.monotonic()

    logs = ROOT / "var" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        workdir = Path(tmp)
        port, ceiling_port = free_port(), free_port()
        env = server_env(port, workdir)
        print(f"Preparing {DATABASE} ...", flush=True)
        data = prepare_database(env, args.scale)
        owner_login, recipient_login = data.scale_users or ("inson.social", "ngo.worker")
        try:
            base = f"http://{HOST}:{port}"
            serve = [*portal_command(), "serve", "--workers", str(args.workers)]
            if args.server:
                serve += ["--server", args.server]
            ceiling_env = {
                **server_env(ceiling_port, workdir),
                "PYTHONPATH": f"{ceiling_shim(workdir)}{os.pathsep}{ROOT}",
            }
            with (
                running(serve, env, port, "/health", logs / "portal.log") as pid,
                running(serve, ceiling_env, ceiling_port, "/", logs / "ceiling.log") as ceiling_pid,
            ):
                owner = sign_in(base, args.owner or owner_login)
                recipient = sign_in(base, args.recipient or recipient_login)
                pages = key_pages(
                    base, owner, recipient, args.search, sign_in_logins(data.logins, data.scale_users is not None)
                )
                print(f"Load: {profile.connections} connections, at most {profile.max_requests} requests or "
                      f"{profile.max_seconds:.0f} s per phase, {args.workers} workers each", flush=True)  # fmt: skip
                ceiling_result, runs = measure(pages, port, pid, ceiling_port, ceiling_pid, profile)
                rss = {p: rss_mb(p) for p in workers_of(pid)}
                ceiling_rss = [rss_mb(p) for p in workers_of(ceiling_pid)]
                first_wire, first_gzip, fragment_wire, fragment_gzip = wire_bytes(base, owner)
                print("Policy changes at the running workers ...", flush=True)
                change = policy_change(port, pid, owner)
                rss_after_reloads = {p: rss_mb(p) for p in workers_of(pid)}
            counts, figures = statements_and_plans(env, pages, seqscan_off=data.scale_users is None)
        finally:
            if not args.keep_db:
                admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')

    decisions = {lines: decision_us(lines) for lines in (1_000, 10_000, DECISION_LINES)}
    figures.decision_us = decisions[DECISION_LINES][0]  # median of a user's first question
    figures.first_load_kb = first_wire
    figures.fragment_kb = fragment_wire
    figures.rss_mb = [*rss.values(), *rss_after_reloads.values()]
    figures.policy_change_ms = max(change.one.latencies_ms, default=None)

    print()
    print(f"Logs of both servers: {logs}")
    print(f"Data: {data.described}; owner {owner.login}, recipient {recipient.login}")
    print(f"Server: `portal serve --workers {args.workers}` on PostgreSQL ({DATABASE}), the ceiling beside it")
    print(table(ceiling_result, runs))
    print("\nSQL statements per page (one request in-process, after a warm one):")
    for name, n in counts.items():
        print(f"  {name:<28} {n if n >= 0 else f'answered {-n}'}")
    print(f"\nFirst load (home + CSS + JS): {first_wire:.1f} KB on the wire, {first_gzip:.1f} KB gzipped")
    print(f"HTMX fragment (client rows): {fragment_wire:.1f} KB on the wire, {fragment_gzip:.1f} KB gzipped")
    print("RSS per worker after the run: " + ", ".join(f"{mb:.0f} MB" for mb in rss.values())
          + f" (ceiling: {', '.join(f'{mb:.0f} MB' for mb in ceiling_rss)})")  # fmt: skip
    print("  after the policy changes below: " + ", ".join(f"{mb:.0f} MB" for mb in rss_after_reloads.values()))
    print(f"Policy change at the running workers, the owner's client list at 8 connections (steady: p50 "
          f"{change.steady.p50:.0f} ms, {change.steady.server_cpu_ms_per_request:.1f} CPU ms/req):")  # fmt: skip
    for name, result in ((f"role lines grown to {DECISION_LINES:,}", change.bulk), ("one role line added", change.one)):
        above = result.server_cpu_ms - change.steady.server_cpu_ms_per_request * result.requests
        print(f"  {name:<30} slowest answer {max(result.latencies_ms, default=0):6.0f} ms, p50 {result.p50:5.0f} ms, "
              f"server CPU above steady {above:6.0f} ms over {len(rss)} workers")  # fmt: skip
    print("Role decisions: a user's first question (Casbin's matcher only for a set of roles not met before;"
          " median, p99), the same one again (median), and loading every line from memory (a worker's start"
          " or full reload):")  # fmt: skip
    for lines, (median, p99, held, loaded) in decisions.items():
        print(f"  {lines:>7,} role lines: first {median:7.1f} µs, {p99:8.1f} µs; again {held:5.2f} µs;"
              f" loaded in {loaded:5.2f} s")  # fmt: skip
    how = (
        "enable_seqscan off: the demo's few rows would be scanned anyway" if data.scale_users is None else "as planned"
    )
    print(f"EXPLAIN of the lists' queries on clients, cases and referrals ({how}): {figures.explained} explained, "
          f"{len(figures.seq_scans)} with a Seq Scan on one of them")  # fmt: skip
    for scans in figures.scans:
        print(f"    {scans}")
    for plan in figures.seq_scans[:2]:
        print("    " + plan.replace("\n", "\n    "))
    found = targets(runs, figures)
    print("\nTargets (issue 9):")
    print(report_targets(found))
    missed = sum(not t.met for t in found)
    print(f"\n{len(found) - missed} met, {missed} missed; {time.monotonic() - started:.0f} s")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
