"""Policy changes a worker can replay

A membership change used to make every worker load every role line again (seconds at national
scale). Each change now leaves a row naming the member, the tenant and the revision it made; a worker
re-reads only those members' lines. The role grants and migrations still bump the revision alone,
which makes workers load the whole policy.

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "policy_changes",
        sa.Column("revision", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("revision", name=op.f("pk_policy_changes")),
    )


def downgrade() -> None:
    op.drop_table("policy_changes")
