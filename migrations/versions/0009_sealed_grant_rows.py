"""Grant rows carry a seal (rows written before it are recompiled by `portal migrate`); a recipient index on consents

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("access_grants") as batch:
        batch.add_column(sa.Column("seal", sa.String(length=64), nullable=False, server_default=""))
    with op.batch_alter_table("consents") as batch:
        batch.create_index("ix_consents_recipient_client", ["recipient_tenant_id", "client_id"], unique=False)
    # Unsealed rows would grant nothing; `portal migrate` compiles them again from the signed terms.
    op.execute("DELETE FROM access_grants")


def downgrade() -> None:
    with op.batch_alter_table("consents") as batch:
        batch.drop_index("ix_consents_recipient_client")
    with op.batch_alter_table("access_grants") as batch:
        batch.drop_column("seal")
