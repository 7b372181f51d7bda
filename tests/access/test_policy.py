"""The cross-tenant grant index: equality only, and a malformed line grants nothing."""

from __future__ import annotations

from portal.access.policy import GrantIndex, parse_grant

LINE = ["tenant:1", "tenant:2", "identity", "read", "engaged|consent|referral", "version:3:clause:4"]


def test_a_well_formed_line_is_a_grant() -> None:
    grant = parse_grant(LINE)
    assert grant is not None
    assert (grant.recipient_tenant_id, grant.owner_tenant_id, grant.version_id, grant.clause_id) == (1, 2, 3, 4)
    assert grant.consent_required and grant.scope == "engaged" and grant.purpose == "referral"


def test_tenant_one_never_matches_tenant_ten() -> None:
    index = GrantIndex([LINE])
    assert index.matching(1, 2, "identity", "read")
    assert not index.matching(10, 2, "identity", "read")
    assert not index.matching(1, 20, "identity", "read")
    assert not index.for_recipient(10)


def test_wildcards_and_malformed_lines_grant_nothing() -> None:
    bad = [
        ["tenant:*", "tenant:2", "identity", "read", "all|no_consent|referral", "version:3:clause:4"],
        ["tenant:1", "*", "identity", "read", "all|no_consent|referral", "version:3:clause:4"],
        ["tenant:1", "tenant:2", "identity", "read", "all|maybe|referral", "version:3:clause:4"],
        ["tenant:1", "tenant:2", "identity", "read", "all|no_consent|referral", "clause:4"],
        ["tenant:1", "tenant:2", "identity", "read"],
        ["tenant:1x", "tenant:2", "identity", "read", "all|no_consent|referral", "version:3:clause:4"],
    ]
    index = GrantIndex(bad)
    for recipient in (1, 2):
        assert index.for_recipient(recipient) == []
