"""The layers hold: import contracts (pyproject.toml, [tool.importlinter]) and no role names outside the grant table."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own console script, no shell
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_import_contracts_hold() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_forbidden_import_breaks_the_contracts(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "portal", tmp_path / "portal", ignore=shutil.ignore_patterns("__pycache__", "translations"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "portal" / "access" / "shortcut.py").write_text("from portal.cases.models import Client\n")
    (tmp_path / "portal" / "cases" / "reach_in.py").write_text("from portal.partnership import drafting\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "portal.access.shortcut -> portal.cases.models" in result.stdout
    assert "portal.cases.reach_in -> portal.partnership.drafting" in result.stdout


ROLE_NAMES = ("tenant_admin", "case_manager", "signatory", "coordinator", "employer_hr", "viewer")
# The role-grant table and the places that name roles as data: the list of roles a membership may
# hold, the label of each role, the demo seed that gives demo people their roles.
ROLE_TABLES = {
    "portal/access/policy.py",
    "portal/tenants/models.py",
    "portal/labels.py",
}


def test_no_role_name_outside_the_grant_table() -> None:
    pattern = re.compile(r"[\"'](" + "|".join(ROLE_NAMES) + r")[\"']")
    found = []
    for path in [*ROOT.glob("portal/**/*.py"), *ROOT.glob("templates/**/*.html")]:
        relative = path.relative_to(ROOT).as_posix()
        if relative in ROLE_TABLES or "/seed" in relative or relative.endswith("seed.py"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if pattern.search(line):
                found.append(f"{relative}:{number}: {line.strip()}")
    assert not found, "role names outside the grant table:\n" + "\n".join(found)
