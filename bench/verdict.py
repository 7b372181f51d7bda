"""The bench's table and its verdict on the issue's targets: pure functions of the measured figures
(tests/test_bench.py runs them on made-up ones)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.load import LoadResult

# The targets (issue 9, "Build"), as ratios in one run on this machine.
MIN_CEILING_SHARE = 0.50
MAX_P99_MS = 150.0
MAX_DECISION_US = 50.0
MAX_FIRST_LOAD_KB = 60.0
MAX_FRAGMENT_KB = 8.0
MAX_RSS_MB = 250.0
MAX_PICKUP_MS = 1000.0
DECISION_LINES = 100_000


def combine(results: list[LoadResult]) -> LoadResult:
    """Several phases as one: their requests over their summed time and CPU."""
    out = LoadResult()
    for r in results:
        out.requests += r.requests
        out.errors += r.errors
        out.latencies_ms += r.latencies_ms
        out.bytes_received += r.bytes_received
        out.wall_s += r.wall_s
        out.generator_cpu_ms += r.generator_cpu_ms
        out.server_cpu_ms += r.server_cpu_ms
        out.database_cpu_ms += r.database_cpu_ms
        for status, n in r.statuses.items():
            out.statuses[status] = out.statuses.get(status, 0) + n
    return out


@dataclass
class PageRun:
    name: str
    result: LoadResult
    ceiling: LoadResult  # the ceiling phases just before and after this page
    expected: tuple[int, ...] = (200,)

    @property
    def share(self) -> float:
        """Throughput as a share of the ceiling's."""
        return self.result.rps / self.ceiling.rps if self.ceiling.rps else 0.0

    @property
    def cpu_times(self) -> float:
        """CPU per request as a multiple of the ceiling's."""
        base = self.ceiling.server_cpu_ms_per_request
        return self.result.server_cpu_ms_per_request / base if base else 0.0

    @property
    def answered(self) -> bool:
        r = self.result
        return r.requests > 0 and r.errors == 0 and set(r.statuses) <= set(self.expected)


def table(ceiling: LoadResult, pages: list[PageRun]) -> str:
    head = (
        f"{'page':<28} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms/req':>10} {'DB ms/req':>9} {'gen ms/req':>10}"
        f" {'% ceiling':>9} {'x ceiling CPU':>13} {'requests':>8}  statuses"
    )
    lines = [head, "-" * len(head)]

    def line(name: str, r: LoadResult, share: str, times: str) -> str:
        statuses = " ".join(f"{s}:{n}" for s, n in sorted(r.statuses.items()))
        if r.errors:
            statuses += f" errors:{r.errors}"
        return (
            f"{name:<28} {r.rps:>7.0f} {r.p50:>7.1f} {r.p99:>7.1f} {r.server_cpu_ms_per_request:>10.2f}"
            f" {r.database_cpu_ms_per_request:>9.2f}"
            f" {r.generator_cpu_ms_per_request:>10.2f} {share:>9} {times:>13} {r.requests:>8}  {statuses}"
        )

    lines.append(line("ceiling (all its phases)", ceiling, "100%", "x1.0"))
    for p in pages:
        lines.append(line(p.name, p.result, f"{p.share:.0%}", f"x{p.cpu_times:.1f}"))
    return "\n".join(lines)


@dataclass
class Target:
    name: str
    met: bool
    detail: str


@dataclass
class Figures:
    """Everything measured besides the table, as the targets read it."""

    decision_us: float | None = None
    first_load_kb: float | None = None
    fragment_kb: float | None = None
    rss_mb: list[float] = field(default_factory=list)
    policy_change_ms: float | None = None  # the slowest answer right after one role line changed
    seq_scans: list[str] = field(default_factory=list)  # the lists' queries that read a table in full
    explained: int = 0  # the lists' queries explained
    scans: list[str] = field(default_factory=list)  # each explained query's scans of those tables, one line each


def targets(pages: list[PageRun], figures: Figures) -> list[Target]:
    out = []
    for p in pages:
        out.append(Target(f"{p.name}: answered", p.answered, f"statuses {dict(p.result.statuses)}"))
        out.append(
            Target(
                f"{p.name}: >= {MIN_CEILING_SHARE:.0%} of the ceiling's throughput",
                p.share >= MIN_CEILING_SHARE,
                f"{p.share:.1%} (CPU x{p.cpu_times:.1f})",
            )
        )
        out.append(Target(f"{p.name}: p99 < {MAX_P99_MS:.0f} ms", p.result.p99 < MAX_P99_MS, f"{p.result.p99:.1f} ms"))

    def bounded(name: str, value: float | None, limit: float, unit: str) -> Target:
        if value is None:
            return Target(name, False, "not measured")
        return Target(name, value <= limit, f"{value:.1f} {unit}")

    out.append(bounded(f"a user's first decision at {DECISION_LINES:,} lines, median <= {MAX_DECISION_US:.0f} µs",
                       figures.decision_us, MAX_DECISION_US, "µs"))  # fmt: skip
    out.append(bounded(f"first load <= {MAX_FIRST_LOAD_KB:.0f} KB on the wire", figures.first_load_kb,
                       MAX_FIRST_LOAD_KB, "KB"))  # fmt: skip
    out.append(bounded(f"HTMX fragment <= {MAX_FRAGMENT_KB:.0f} KB on the wire", figures.fragment_kb,
                       MAX_FRAGMENT_KB, "KB"))  # fmt: skip
    out.append(bounded(f"one role line changed at {DECISION_LINES:,} lines: every answer within {MAX_PICKUP_MS:.0f} ms",
                       figures.policy_change_ms, MAX_PICKUP_MS, "ms"))  # fmt: skip
    out.append(bounded(f"RSS per worker <= {MAX_RSS_MB:.0f} MB", max(figures.rss_mb) if figures.rss_mb else None,
                       MAX_RSS_MB, "MB"))  # fmt: skip
    out.append(
        Target(
            "no sequential scan over clients, cases or referrals in the lists",
            figures.explained > 0 and not figures.seq_scans,
            f"{figures.explained} queries explained, {len(figures.seq_scans)} with a Seq Scan",
        )
    )
    return out


def report_targets(found: list[Target]) -> str:
    return "\n".join(f"  {'met   ' if t.met else 'MISSED'}  {t.name}: {t.detail}" for t in found)
