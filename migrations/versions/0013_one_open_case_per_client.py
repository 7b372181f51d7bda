"""One open case per client at a time, held by the database (a partial unique index)

Revision ID: 0013
Revises: 0016

The case service refuses a second open case with a message linking the open one; this index holds
the rule when two people open a case for the same client at the same moment.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("stage <> 'closed'")


def upgrade() -> None:
    op.create_index(
        "ix_cases_open_client", "cases", ["client_id"], unique=True, sqlite_where=OPEN, postgresql_where=OPEN
    )


def downgrade() -> None:
    op.drop_index("ix_cases_open_client", table_name="cases")
