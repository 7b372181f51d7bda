"""A referral review names the referral's sender and recipient, its parties, on its own row

The kernel reads who may see a shared exchange from the row's own party columns (see
portal/access/declare.py); the review copies them from its referral when it is recorded.

Revision ID: 0014
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("referral_reviews", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sender_tenant_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("recipient_tenant_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE referral_reviews SET"
        " sender_tenant_id = (SELECT r.tenant_id FROM referrals r WHERE r.id = referral_reviews.referral_id),"
        " recipient_tenant_id = (SELECT r.recipient_tenant_id FROM referrals r WHERE r.id = referral_reviews.referral_id)"
    )
    with op.batch_alter_table("referral_reviews", schema=None) as batch_op:
        batch_op.alter_column("sender_tenant_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("recipient_tenant_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_referral_reviews_sender_tenant_id_tenants"), "tenants", ["sender_tenant_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_referral_reviews_recipient_tenant_id_tenants"), "tenants", ["recipient_tenant_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("referral_reviews", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_referral_reviews_recipient_tenant_id_tenants"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_referral_reviews_sender_tenant_id_tenants"), type_="foreignkey")
        batch_op.drop_column("recipient_tenant_id")
        batch_op.drop_column("sender_tenant_id")
