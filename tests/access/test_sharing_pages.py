"""The owner's pages: the sharing matrix and the read log; `portal verify-audit` catches tampering."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from portal.access.models import AuditEntry
from portal.db import utcnow
from tests.conftest import login, post_form, with_db
from tests.factories import english, make_agreement, tenant_id

# These tests build their own agreements; the demo pilot would share the same clients again.
pytestmark = pytest.mark.usefixtures("no_demo_agreements")

ROOT = Path(__file__).resolve().parents[2]


def _agreement(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        today = utcnow().date()
        inson = await tenant_id(session, "inson-yunusobod")
        await make_agreement(
            session,
            title="Yunusobod pilot",
            valid_from=today - timedelta(days=1),
            valid_until=today + timedelta(days=100),
            clauses=[
                {"owner": inson, "recipient": await tenant_id(session, "ngo-sharoit-plus"), "categories": ["identity"]},
                {
                    "owner": inson,
                    "recipient": await tenant_id(session, "employer-toqimachi"),
                    "categories": ["education", "disability"],
                    "scope": "engaged",
                    "consent_required": True,
                    "purpose": "job_matching",
                },
            ],
        )
        await make_agreement(
            session,
            title="Expired pilot",
            valid_from=today - timedelta(days=100),
            valid_until=today - timedelta(days=1),
            clauses=[
                {
                    "owner": inson,
                    "recipient": await tenant_id(session, "monocentre-tashkent"),
                    "categories": ["contact"],
                }
            ],
        )

    with_db(settings, work)


def test_the_sharing_matrix_shows_clauses_in_force_from_both_sides(client, make_client, settings) -> None:  # type: ignore[no-untyped-def]
    _agreement(settings)
    english(client)
    login(client, "inson.admin")
    ours = client.get("/sharing")
    assert ours.status_code == 200
    assert "Yunusobod pilot" in ours.text and "Expired pilot" not in ours.text
    assert "Sharoit plus" in ours.text and "To‘qimachi" in ours.text
    assert "Your organisation shares no client data." not in ours.text
    partner = make_client()
    english(partner)
    login(partner, "toqimachi.director")
    theirs = partner.get("/sharing")
    assert "Yunusobod pilot" in theirs.text and "Your organisation shares no client data." in theirs.text
    outsider = make_client()
    english(outsider)
    login(outsider, "outsider.hr")
    nothing = outsider.get("/sharing")
    assert "Yunusobod pilot" not in nothing.text and "No organisation shares client data with yours." in nothing.text


def test_portal_verify_audit_detects_a_changed_entry(client, settings) -> None:  # type: ignore[no-untyped-def]
    login(client, "inson.social")
    created = post_form(
        client, "/clients", {"full_name": "Aliyev Bobur", "pinfl": "31203851234560", "birth_date": "1985-03-12"}
    )
    assert created.status_code == 303  # one audited change, at least
    env = {**os.environ, "DATABASE_URL": settings.database_url, "SECRET_KEY": settings.secret_key, "PORTAL_ENV": "test"}
    command = [sys.executable, "-c", "from portal.cli import main; main()", "verify-audit"]
    ok = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr

    async def tamper(session):  # type: ignore[no-untyped-def]
        first = await session.scalar(AuditEntry.__table__.select().with_only_columns(AuditEntry.id).limit(1))
        await session.execute(update(AuditEntry).where(AuditEntry.id == first).values(action="nothing_happened"))
        return first

    broken_id = with_db(settings, tamper)
    bad = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and f"BROKEN at entry {broken_id}" in bad.stderr
