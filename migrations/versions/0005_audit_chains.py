"""Audit log: one keyed chain per owner tenant, chain heads, signed checkpoints, kind of read

Entries written before this revision keep their plain SHA-256 links as the chain "legacy"; the first
`portal verify-audit` after the upgrade seals its head with the portal's key.

Revision ID: 0005
Revises: 0003
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table(
        "audit_chains",
        sa.Column("chain_key", sa.String(length=80), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("chain_key", name=op.f("pk_audit_chains")),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_key", sa.String(length=80), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
        sa.UniqueConstraint("chain_key", "count", name=op.f("uq_audit_checkpoints_chain_key_count")),
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("chain_key", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE audit_entries SET chain_key = 'legacy', kind = CASE WHEN action = 'client.read' THEN 'open' END, "
        "seq = (SELECT count(*) FROM audit_entries AS earlier WHERE earlier.id <= audit_entries.id)"
    )
    op.execute(
        "INSERT INTO audit_chains (chain_key, length, head_hash) "
        "SELECT 'legacy', count(*), (SELECT hash FROM audit_entries ORDER BY id DESC LIMIT 1) FROM audit_entries "
        "HAVING count(*) > 0"
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.alter_column("chain_key", existing_type=sa.String(length=80), nullable=False)
        batch_op.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch_op.drop_constraint("uq_audit_entries_hash", type_="unique")
        batch_op.drop_constraint("uq_audit_entries_prev_hash", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_audit_entries_chain_key_seq"), ["chain_key", "seq"])
        batch_op.create_index("ix_audit_entries_reads", ["owner_tenant_id", "kind", "id"], unique=False)


def _relink_as_one_chain() -> None:
    """Back to one global SHA-256 chain in id order, as revision 0003 expects (the keys are lost)."""
    bind = op.get_bind()
    entries = sa.table(
        "audit_entries",
        *(sa.column(n) for n in ("id", "actor_user_id", "actor_tenant_id", "owner_tenant_id", "action")),
        *(sa.column(n) for n in ("object_type", "object_id", "prev_hash", "hash")),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("detail", sa.JSON()),
    )
    prev = GENESIS
    for row in bind.execute(sa.select(entries).order_by(entries.c.id)).mappings().all():
        at = row["at"] if row["at"].tzinfo else row["at"].replace(tzinfo=UTC)
        body = {k: row[k] for k in ("actor_user_id", "actor_tenant_id", "owner_tenant_id", "action", "object_type")}
        body.update(at=at.isoformat(timespec="microseconds"), object_id=row["object_id"], detail=row["detail"])
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        new = hashlib.sha256(prev.encode() + b"\n" + canonical).hexdigest()
        bind.execute(sa.update(entries).where(entries.c.id == row["id"]).values(prev_hash=prev, hash=new))
        prev = new


def downgrade() -> None:
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entries_reads")
        batch_op.drop_constraint(batch_op.f("uq_audit_entries_chain_key_seq"), type_="unique")
        batch_op.drop_column("seq")
        batch_op.drop_column("chain_key")
        batch_op.drop_column("kind")
    _relink_as_one_chain()
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_audit_entries_hash", ["hash"])
        batch_op.create_unique_constraint("uq_audit_entries_prev_hash", ["prev_hash"])
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_chains")
