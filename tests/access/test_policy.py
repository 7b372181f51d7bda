"""Grant specs: a malformed clause grants nothing; a well-formed one becomes one row per category and action."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from portal.access.grants import GrantSpec, rows_of

SPEC = GrantSpec(
    source="version:3:clause:4",
    owner_tenant_id=2,
    recipient_tenant_id=1,
    categories=("identity", "disability"),
    actions=("read", "comment"),
    purpose="referral",
    scope="engaged",
    consent_required=True,
    valid_from=date(2026, 1, 1),
    valid_until=date(2026, 12, 31),
    agreement_id=7,
    agreement_title="Pilot",
    version_number=1,
    clause_number=4,
    signed_on=date(2025, 12, 20),
)


def test_a_well_formed_clause_is_one_row_per_category_and_action() -> None:
    rows = rows_of(SPEC)
    assert sorted((r.category, r.action) for r in rows) == [
        ("disability", "comment"),
        ("disability", "read"),
        ("identity", "comment"),
        ("identity", "read"),
    ]
    assert {(r.recipient_tenant_id, r.owner_tenant_id, r.consent_required, r.scope) for r in rows} == {
        (1, 2, True, "engaged")
    }


def test_wildcards_and_malformed_clauses_grant_nothing() -> None:
    bad = [
        replace(SPEC, categories=("*",)),
        replace(SPEC, categories=("identity", "everything")),
        replace(SPEC, actions=("*",)),
        replace(SPEC, purpose="*"),
        replace(SPEC, scope="some"),
        replace(SPEC, recipient_tenant_id=2),  # owner and recipient the same
        replace(SPEC, categories=()),
        replace(SPEC, valid_from=date(2027, 1, 1)),  # a window that ends before it starts
    ]
    for spec in bad:
        assert rows_of(spec) == [], spec
