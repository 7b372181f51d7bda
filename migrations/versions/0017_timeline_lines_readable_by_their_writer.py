"""A timeline line is readable by the tenant that wrote it

Row-level security (PostgreSQL): a party of a referral (the labour inspection reviewing it, which no
clause may tie to the case's owner) writes a line on the case's timeline. The insert reads the new
row back (RETURNING its id), and PostgreSQL holds that read to the policy's USING as well, so the
insert failed. A tenant may now read the lines it wrote itself; what it may read of the rest of
the timeline is unchanged (its own cases', and those of an owner that granted it something).

Revision ID: 0017
Revises: 0013
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTING = "NULLIF(current_setting('portal.tenant', true), '')::int"
_GRANTED = (
    "EXISTS (SELECT 1 FROM access_grants g WHERE g.owner_tenant_id = case_events.tenant_id"
    f" AND g.recipient_tenant_id = {ACTING}"
    " AND g.valid_until >= (now() AT TIME ZONE 'Asia/Tashkent')::date)"
)
# Unchanged from 0010: the owner writes, and so does a party of one of the case's referrals.
_CHECK = (
    f"tenant_id = {ACTING} OR (actor_tenant_id = {ACTING} AND EXISTS (SELECT 1 FROM referrals r"
    f" WHERE r.case_id = case_events.case_id AND (r.recipient_tenant_id = {ACTING}"
    f" OR r.inspection_tenant_id = {ACTING})))"
)


def _policy(using: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP POLICY IF EXISTS tenant_rows ON case_events")
    op.execute(f"CREATE POLICY tenant_rows ON case_events USING ({using}) WITH CHECK ({_CHECK})")


def upgrade() -> None:
    _policy(f"tenant_id = {ACTING} OR {_GRANTED} OR actor_tenant_id = {ACTING}")


def downgrade() -> None:
    _policy(f"tenant_id = {ACTING} OR {_GRANTED}")
