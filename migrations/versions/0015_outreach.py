"""Outreach: the social worker's list of persons with a TIEK work recommendation, its imports and
home visits; the signed consent forms behind consents

Revision ID: 0015
Revises: 0014

Row-level security (PostgreSQL; see 0008 for the roles and the setting):
- outreach_imports, outreach_persons, outreach_visits: the own tenant's rows only, read and written;
  no clause opens an outreach list to a partner.
- consent_evidence: the owner's rows, and the form behind a consent given to the acting tenant (the
  kernel still asks that it may see the client); written by the owner only.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTING = "NULLIF(current_setting('portal.tenant', true), '')::int"
OWN = f"tenant_id = {ACTING}"
POLICIES = {
    "outreach_imports": (OWN, OWN),
    "outreach_persons": (OWN, OWN),
    "outreach_visits": (OWN, OWN),
    "consent_evidence": (
        f"{OWN} OR EXISTS (SELECT 1 FROM consents c WHERE c.id = consent_evidence.consent_id"
        f" AND c.recipient_tenant_id = {ACTING})",
        OWN,
    ),
}


def _model_columns() -> list[sa.Column]:
    return [
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    ]


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"], ["tenants.id"], name=op.f(f"fk_{table}_tenant_id_tenants"), ondelete="RESTRICT"
    )


def upgrade() -> None:
    op.create_table(
        "outreach_imports",
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("rows_checked", sa.Integer(), nullable=False),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("started_by", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        *_model_columns(),
        sa.ForeignKeyConstraint(["started_by"], ["users.id"], name=op.f("fk_outreach_imports_started_by_users")),
        _tenant_fk("outreach_imports"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_imports")),
    )
    with op.batch_alter_table("outreach_imports", schema=None) as batch_op:
        batch_op.create_index("ix_outreach_imports_tenant", ["tenant_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outreach_imports_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "outreach_persons",
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("full_name_cyrl", sa.String(length=200), nullable=False),
        sa.Column("pinfl", sa.String(length=14), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("gender", sa.String(length=10), nullable=False),
        sa.Column("mahalla", sa.String(length=120), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("disability_group", sa.String(length=5), nullable=False),
        sa.Column("disability_until", sa.Date(), nullable=True),
        sa.Column("work_recommendation", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        *_model_columns(),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["outreach_imports.id"],
            name=op.f("fk_outreach_persons_import_id_outreach_imports"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_outreach_persons_client_id_clients"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_outreach_persons_case_id_cases"), ondelete="SET NULL"
        ),
        _tenant_fk("outreach_persons"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_persons")),
    )
    with op.batch_alter_table("outreach_persons", schema=None) as batch_op:
        batch_op.create_index("ix_outreach_persons_tenant_pinfl", ["tenant_id", "pinfl"], unique=True)
        batch_op.create_index("ix_outreach_persons_tenant_mahalla", ["tenant_id", "mahalla", "id"], unique=False)
        batch_op.create_index("ix_outreach_persons_tenant_outcome", ["tenant_id", "outcome", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outreach_persons_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "outreach_visits",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        *_model_columns(),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["outreach_persons.id"],
            name=op.f("fk_outreach_visits_person_id_outreach_persons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["recorded_by"], ["users.id"], name=op.f("fk_outreach_visits_recorded_by_users")),
        _tenant_fk("outreach_visits"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_visits")),
    )
    with op.batch_alter_table("outreach_visits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outreach_visits_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outreach_visits_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "consent_evidence",
        sa.Column("consent_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        *_model_columns(),
        sa.ForeignKeyConstraint(
            ["consent_id"], ["consents.id"], name=op.f("fk_consent_evidence_consent_id_consents"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["uploaded_by"], ["users.id"], name=op.f("fk_consent_evidence_uploaded_by_users")),
        _tenant_fk("consent_evidence"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_evidence")),
        sa.UniqueConstraint("consent_id", name=op.f("uq_consent_evidence_consent_id")),
    )
    with op.batch_alter_table("consent_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_evidence_tenant_id"), ["tenant_id"], unique=False)

    if op.get_bind().dialect.name != "postgresql":
        return
    for table, (using, check) in POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_rows ON {table} USING ({using}) WITH CHECK ({check})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in POLICIES:
            op.execute(f"DROP POLICY IF EXISTS tenant_rows ON {table}")
    with op.batch_alter_table("consent_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_evidence_tenant_id"))
    op.drop_table("consent_evidence")
    with op.batch_alter_table("outreach_visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outreach_visits_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_outreach_visits_person_id"))
    op.drop_table("outreach_visits")
    with op.batch_alter_table("outreach_persons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outreach_persons_tenant_id"))
        batch_op.drop_index("ix_outreach_persons_tenant_outcome")
        batch_op.drop_index("ix_outreach_persons_tenant_mahalla")
        batch_op.drop_index("ix_outreach_persons_tenant_pinfl")
    op.drop_table("outreach_persons")
    with op.batch_alter_table("outreach_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outreach_imports_tenant_id"))
        batch_op.drop_index("ix_outreach_imports_tenant")
    op.drop_table("outreach_imports")
