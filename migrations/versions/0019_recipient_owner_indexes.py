"""A recipient's engagements and consents by owner

A list of shared clients reads, for each owner whose grant asks for engagement or consent, the
recipient's engagements and consents with that owner. With an index on the recipient and another on
the owner, PostgreSQL intersected two bitmaps for every owner, the recipient's alone holding 21,000
entries for the 100-clause recipient of the national data set: 0.5 ms per owner, 37 ms per list.

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_engagements_recipient_owner", "engagements", ["recipient_tenant_id", "owner_tenant_id"])
    op.create_index("ix_consents_recipient_owner", "consents", ["recipient_tenant_id", "owner_tenant_id"])


def downgrade() -> None:
    op.drop_index("ix_consents_recipient_owner", table_name="consents")
    op.drop_index("ix_engagements_recipient_owner", table_name="engagements")
