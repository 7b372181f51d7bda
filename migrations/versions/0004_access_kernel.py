"""Access kernel: grant rows replace p2 policy lines, engagements name their source, case notes

Revision ID: 0004
Revises: 0003
"""

import json
from collections.abc import Sequence
from datetime import date, timedelta, timezone

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TASHKENT = timezone(timedelta(hours=5))


def upgrade() -> None:
    op.create_table(
        "access_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_tenant_id", sa.Integer(), nullable=False),
        sa.Column("owner_tenant_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("consent_required", sa.Boolean(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("agreement_title", sa.String(length=300), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("clause_number", sa.Integer(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["owner_tenant_id"], ["tenants.id"], name=op.f("fk_access_grants_owner_tenant_id_tenants")),
        sa.ForeignKeyConstraint(
            ["recipient_tenant_id"], ["tenants.id"], name=op.f("fk_access_grants_recipient_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_grants")),
    )
    with op.batch_alter_table("access_grants") as batch:
        batch.create_index(
            "ix_access_grants_lookup", ["recipient_tenant_id", "owner_tenant_id", "category", "action"], unique=False
        )
        batch.create_index("ix_access_grants_owner_purpose", ["owner_tenant_id", "purpose"], unique=False)
        batch.create_index(batch.f("ix_access_grants_source"), ["source"], unique=False)

    with op.batch_alter_table("engagements") as batch:
        batch.add_column(sa.Column("source_id", sa.Integer(), nullable=True))

    op.create_table(
        "case_notes",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["author_user_id"], ["users.id"], name=op.f("fk_case_notes_author_user_id_users")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_case_notes_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_case_notes_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_notes")),
    )
    with op.batch_alter_table("case_notes") as batch:
        batch.create_index(batch.f("ix_case_notes_client_id"), ["client_id"], unique=False)
        batch.create_index(batch.f("ix_case_notes_tenant_id"), ["tenant_id"], unique=False)

    bind = op.get_bind()
    # The client's one free-text note becomes its first dated note.
    bind.execute(
        sa.text(
            "INSERT INTO case_notes (client_id, author_user_id, author_name, written_at, body, tenant_id,"
            " created_at, updated_at, version)"
            " SELECT id, NULL, '', updated_at, case_notes, tenant_id, updated_at, updated_at, 1"
            " FROM clients WHERE case_notes <> ''"
        )
    )
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("case_notes")

    # The compiled p2 lines give way to grant rows, compiled from the signed terms of active versions.
    bind.execute(sa.text("DELETE FROM casbin_rule WHERE ptype = 'p2'"))
    bind.execute(sa.text("UPDATE policy_revision SET revision = revision + 1"))
    versions = bind.execute(
        sa.text("SELECT id, terms_json, activated_at FROM agreement_versions WHERE status = 'active'")
    ).all()
    grants = sa.table(
        "access_grants",
        *(
            sa.column(name)
            for name in (
                "recipient_tenant_id owner_tenant_id category action purpose scope consent_required valid_from"
                " valid_until source agreement_id agreement_title version_number clause_number signed_on"
            ).split()
        ),
    )
    for version_id, terms_json, activated_at in versions:
        if not terms_json:
            continue
        terms = json.loads(terms_json)
        signed_on = None
        if activated_at is not None:
            at = activated_at if not isinstance(activated_at, str) else None
            if at is not None:
                at = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
                signed_on = at.astimezone(TASHKENT).date()
        until = date.fromisoformat(terms["valid_until"])
        for clause in terms.get("clauses", []):
            ends = date.fromisoformat(clause["ends_on"]) if clause.get("ends_on") else until
            for category in sorted(set(clause["categories"])):
                for action in sorted(set(clause["actions"])):
                    bind.execute(
                        grants.insert().values(
                            recipient_tenant_id=clause["recipient_tenant_id"],
                            owner_tenant_id=clause["owner_tenant_id"],
                            category=category,
                            action=action,
                            purpose=clause["purpose"],
                            scope=clause["scope"],
                            consent_required=bool(clause["consent_required"]),
                            valid_from=date.fromisoformat(terms["valid_from"]),
                            valid_until=min(until, ends),
                            source=f"version:{version_id}:clause:{clause['number']}",
                            agreement_id=terms["agreement_id"],
                            agreement_title=terms["title"][:300],
                            version_number=terms["version"],
                            clause_number=clause["number"],
                            signed_on=signed_on,
                        )
                    )


def downgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("case_notes", sa.Text(), nullable=False, server_default=""))
    op.drop_table("case_notes")
    with op.batch_alter_table("engagements") as batch:
        batch.drop_column("source_id")
    op.drop_table("access_grants")
