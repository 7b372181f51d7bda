"""Agreement ceremony: notice periods and notices, per-version events, comment disclosure, one open version

Revision ID: 0007
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agreement_events",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(length=200), nullable=False),
        sa.Column("subject_tenant_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_tenant_id"], ["tenants.id"], name=op.f("fk_agreement_events_subject_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_agreement_events_tenant_id_tenants")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_agreement_events_user_id_users")),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["agreement_versions.id"],
            name=op.f("fk_agreement_events_version_id_agreement_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_events")),
    )
    with op.batch_alter_table("agreement_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agreement_events_version_id"), ["version_id"], unique=False)

    with op.batch_alter_table("agreement_comments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("later_parties_may_read", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    with op.batch_alter_table("agreement_parties", schema=None) as batch_op:
        batch_op.add_column(sa.Column("joined_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("agreement_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notice_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("notice_given_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("notice_by_tenant_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("notice_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("notice_ends_on", sa.Date(), nullable=True))
        batch_op.create_index(
            "uq_agreement_versions_one_open",
            ["agreement_id"],
            unique=True,
            sqlite_where=sa.text("status IN ('draft', 'proposed', 'signing')"),
            postgresql_where=sa.text("status IN ('draft', 'proposed', 'signing')"),
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_agreement_versions_notice_by_tenant_id_tenants"), "tenants", ["notice_by_tenant_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("agreement_versions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_agreement_versions_notice_by_tenant_id_tenants"), type_="foreignkey")
        batch_op.drop_index(
            "uq_agreement_versions_one_open",
            sqlite_where=sa.text("status IN ('draft', 'proposed', 'signing')"),
            postgresql_where=sa.text("status IN ('draft', 'proposed', 'signing')"),
        )
        batch_op.drop_column("notice_ends_on")
        batch_op.drop_column("notice_reason")
        batch_op.drop_column("notice_by_tenant_id")
        batch_op.drop_column("notice_given_at")
        batch_op.drop_column("notice_days")

    with op.batch_alter_table("agreement_parties", schema=None) as batch_op:
        batch_op.drop_column("joined_at")

    with op.batch_alter_table("agreement_comments", schema=None) as batch_op:
        batch_op.drop_column("later_parties_may_read")

    with op.batch_alter_table("agreement_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_events_version_id"))

    op.drop_table("agreement_events")
