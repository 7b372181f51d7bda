"""Benchmarks, reported as ratios against a baseline measured in the same run.

1. Role decisions: the time of one Casbin RBAC decision in a tenant with 1 / 1,000 / 10,000
   memberships loaded, against one membership.
2. Requests: the dashboard (session lookup, policy check, template) against /health, through the
   real app and the in-process test client, on SQLite.

Bounded: fixed repetition counts, each section stops after its time budget.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import casbin  # noqa: E402


def _median_us(fn, repeat: int = 2000, budget_s: float = 5.0) -> float:
    samples = []
    deadline = time.perf_counter() + budget_s
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1e6)
        if time.perf_counter() > deadline:
            break
    return statistics.median(samples)


def bench_policy() -> None:
    """Role decisions inside a tenant stay in Casbin; cross-tenant grants are rows read by SQL
    (bench/kernel_explain.py measures those at national scale on PostgreSQL)."""
    print("Role decisions (median µs per decision; ratio to one role line)")
    baseline = None
    for members in (1, 1_000, 10_000):
        enforcer = casbin.Enforcer(str(ROOT / "policies.conf"))
        enforcer.add_policy("role:case_manager", "client", "read")
        for i in range(members):
            enforcer.add_named_grouping_policy("g", f"user:{i + 1}", "role:case_manager", f"tenant:{i % 1000 + 1}")
        rbac = _median_us(lambda e=enforcer: e.enforce("user:1", "tenant:1", "client", "read"))
        baseline = baseline or rbac
        print(f"  {members:>6} memberships: {rbac:8.1f} µs (x{rbac / baseline:.1f})")


def bench_requests() -> None:
    from litestar.testing import TestClient

    from portal.app import create_app
    from portal.cli import migrate_database, seed_demo_database
    from portal.settings import Settings, normalise_database_url

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=normalise_database_url(f"sqlite:///{tmp}/bench.db"),
            secret_key="bench-secret-key-long-enough-0123456789abcdef",  # noqa: S106
            environment="test",
        )
        migrate_database(settings)
        seed_demo_database(settings, Path(tmp) / "logins.json")
        with TestClient(app=create_app(settings), base_url="http://testserver.local") as client:
            client.get("/login")
            client.post(
                "/login",
                data={"login": "pes.admin", "password": "icm-demo-2026", "_csrf_token": client.cookies["portal_csrf"]},
            )
            health = _median_us(lambda: client.get("/health"), 300, 10)
            dashboard = _median_us(lambda: client.get("/"), 300, 10)
            users = _median_us(lambda: client.get("/admin/users"), 300, 10)
    print("Requests through the app (median µs; ratio to /health)")
    print(f"  /health      {health:8.0f} µs (x1.0)")
    print(f"  /            {dashboard:8.0f} µs (x{dashboard / health:.1f})")
    print(f"  /admin/users {users:8.0f} µs (x{users / health:.1f})")


if __name__ == "__main__":
    bench_policy()
    bench_requests()
