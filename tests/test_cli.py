"""The `portal` command: tenants and users from the shell, and the audit chain check."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient
from sqlalchemy import select, update

from portal.access.models import AuditEntry
from portal.cli import main
from tests.conftest import SECRET, login, with_db


@pytest.fixture
def runner(settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SECRET_KEY", SECRET)
    return CliRunner()


def test_a_tenant_and_its_first_user_are_created_from_the_shell(runner: CliRunner, client: TestClient) -> None:
    result = runner.invoke(
        main,
        [
            "create-tenant", "--slug", "ngo-umid", "--kind", "ngo", "--region", "samarkand",
            "--district", "samarkand-city", "--name-uz", "«Umid» NNT", "--name-uz-cyrl", "«Умид» ННТ",
            "--name-ru", "ННО «Умид»", "--name-en", "Umid NGO",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        main,
        ["create-user", "--login", "umid.admin", "--full-name", "Umida Karimova", "--tenant", "ngo-umid",
         "--role", "tenant_admin", "--password", "a-long-secret-1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    login(client, "umid.admin", "a-long-secret-1")
    assert "«Umid» NNT" in client.get("/").text


def test_bad_tenant_input_is_refused_with_a_reason(runner: CliRunner) -> None:
    result = runner.invoke(
        main,
        ["create-tenant", "--slug", "x", "--kind", "bank", "--region", "tashkent-city", "--name-uz", "a",
         "--name-uz-cyrl", "a", "--name-ru", "a", "--name-en", "a"],
    )  # fmt: skip
    assert result.exit_code != 0
    assert "unknown tenant kind" in result.output


def test_verify_audit_passes_then_detects_a_changed_entry(runner: CliRunner, client: TestClient, settings) -> None:  # type: ignore[no-untyped-def]
    login(client, "pes.admin")  # sign-ins are audited
    login(client, "inson.admin")
    ok = runner.invoke(main, ["verify-audit"])
    assert ok.exit_code == 0, ok.output
    assert "intact" in ok.output

    async def tamper(session) -> None:  # type: ignore[no-untyped-def]
        first = await session.scalar(select(AuditEntry.id).order_by(AuditEntry.id).limit(1))
        await session.execute(update(AuditEntry).where(AuditEntry.id == first).values(action="nothing_happened"))

    with_db(settings, tamper)
    broken = runner.invoke(main, ["verify-audit"])
    assert broken.exit_code == 1
    assert "BROKEN" in broken.output


def test_verify_audit_detects_a_removed_entry(runner: CliRunner, client: TestClient, settings) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import delete

    for who in ("pes.admin", "inson.admin", "ngo.admin"):
        login(client, who)

    async def remove_middle(session) -> None:  # type: ignore[no-untyped-def]
        ids = (await session.scalars(select(AuditEntry.id).order_by(AuditEntry.id))).all()
        await session.execute(delete(AuditEntry).where(AuditEntry.id == ids[len(ids) // 2]))

    with_db(settings, remove_middle)
    assert runner.invoke(main, ["verify-audit"]).exit_code == 1


def test_moved_working_days_are_entered_listed_and_removed_from_the_shell(runner: CliRunner, settings) -> None:  # type: ignore[no-untyped-def]
    from portal.cases.referral_models import WorkingDayOverride

    added = runner.invoke(main, ["working-days", "add", "2026-03-07", "--working", "--note", "Decree PF-12"])
    assert added.exit_code == 0, added.output
    assert runner.invoke(main, ["working-days", "add", "2026-03-12", "--rest"]).exit_code == 0
    listed = runner.invoke(main, ["working-days", "list", "--year", "2026"])
    assert "2026-03-07  working  Decree PF-12" in listed.output and "2026-03-12  rest" in listed.output
    assert runner.invoke(main, ["working-days", "remove", "2026-03-12"]).exit_code == 0
    assert runner.invoke(main, ["working-days", "remove", "2026-03-12"]).exit_code != 0
    assert runner.invoke(main, ["working-days", "add", "7.3.2026", "--rest"]).exit_code != 0

    async def days(session):  # type: ignore[no-untyped-def]
        return {(r.day.isoformat(), r.working) for r in (await session.scalars(select(WorkingDayOverride))).all()}

    assert with_db(settings, days) == {("2026-03-07", True)}
