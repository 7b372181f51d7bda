"""The ICM case cycle: cases and their timeline, needs assessment, action plan, labour-integration
agreement, addenda; referrals between partners and the labour inspection's reviews; placements and
their monthly check-ins; the working days the government moved

Revision ID: 0010
Revises: 0009

Row-level security (PostgreSQL; see 0008 for the roles and the setting):
- a case and everything about it: the own tenant's rows and those of an owner that granted the acting
  tenant anything that still holds; written by the owner. A timeline line may also be written by a
  party of a referral of that case (the recipient answering, the inspection reviewing).
- referrals: their three parties (sender, recipient, the reviewing inspection) read and write them.
- referral reviews: the inspection's own, read also by the referral's sender and recipient.
- engagements: the recipient of a referral writes the engagement its acceptance opens and its end
  closes, and nothing else.
- working_day_overrides: the national calendar, read by everyone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTING = "NULLIF(current_setting('portal.tenant', true), '')::int"


def _granted(owner: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM access_grants g WHERE g.owner_tenant_id = {owner}"
        f" AND g.recipient_tenant_id = {ACTING}"
        " AND g.valid_until >= (now() AT TIME ZONE 'Asia/Tashkent')::date)"
    )


def _owned(table: str) -> tuple[str, str]:
    return f"tenant_id = {ACTING} OR {_granted(table + '.tenant_id')}", f"tenant_id = {ACTING}"


_REFERRAL_PARTY = f"(r.recipient_tenant_id = {ACTING} OR r.inspection_tenant_id = {ACTING})"
POLICIES = {
    **{
        table: _owned(table)
        for table in (
            "cases",
            "assessments",
            "action_plans",
            "plan_measures",
            "integration_agreements",
            "case_addenda",
            "placements",
            "check_ins",
        )
    },
    "case_events": (
        _owned("case_events")[0],
        f"tenant_id = {ACTING} OR (actor_tenant_id = {ACTING} AND EXISTS (SELECT 1 FROM referrals r"
        f" WHERE r.case_id = case_events.case_id AND {_REFERRAL_PARTY}))",
    ),
    "referrals": (
        f"tenant_id = {ACTING} OR recipient_tenant_id = {ACTING} OR inspection_tenant_id = {ACTING}",
        f"tenant_id = {ACTING} OR recipient_tenant_id = {ACTING} OR inspection_tenant_id = {ACTING}",
    ),
    "referral_reviews": (
        f"tenant_id = {ACTING} OR EXISTS (SELECT 1 FROM referrals r WHERE r.id = referral_reviews.referral_id"
        f" AND (r.tenant_id = {ACTING} OR r.recipient_tenant_id = {ACTING}))",
        f"tenant_id = {ACTING}",
    ),
}
_ENGAGEMENTS_BEFORE = (f"owner_tenant_id = {ACTING} OR recipient_tenant_id = {ACTING}", f"owner_tenant_id = {ACTING}")
_ENGAGEMENTS_AFTER = (
    _ENGAGEMENTS_BEFORE[0],
    f"owner_tenant_id = {ACTING} OR (recipient_tenant_id = {ACTING} AND kind = 'referral' AND EXISTS"
    f" (SELECT 1 FROM referrals r WHERE r.id = engagements.source_id AND r.recipient_tenant_id = {ACTING}))",
)


def _policy(table: str, using: str, check: str) -> None:
    op.execute(f"DROP POLICY IF EXISTS tenant_rows ON {table}")
    op.execute(f"CREATE POLICY tenant_rows ON {table} USING ({using}) WITH CHECK ({check})")


def upgrade() -> None:
    op.create_table(
        "working_day_overrides",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("entered_by", sa.Integer(), nullable=True),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["entered_by"], ["users.id"], name=op.f("fk_working_day_overrides_entered_by_users")),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_working_day_overrides")),
    )
    op.create_table(
        "cases",
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("manager_user_id", sa.Integer(), nullable=True),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("work_readiness", sa.String(length=30), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closure_reason", sa.String(length=30), nullable=False),
        sa.Column("closure_summary", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_cases_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["manager_user_id"], ["users.id"], name=op.f("fk_cases_manager_user_id_users")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_cases_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_manager_user_id"), ["manager_user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index("ix_cases_tenant_stage", ["tenant_id", "stage"], unique=False)

    op.create_table(
        "action_plans",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("goal", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_action_plans_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_action_plans_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_action_plans_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_plans")),
        sa.UniqueConstraint("case_id", name=op.f("uq_action_plans_case_id")),
    )
    with op.batch_alter_table("action_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_plans_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_action_plans_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "assessments",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("readiness", sa.String(length=30), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=True),
        sa.Column("assessed_by", sa.Integer(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["assessed_by"], ["users.id"], name=op.f("fk_assessments_assessed_by_users")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_assessments_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_assessments_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_assessments_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
        sa.UniqueConstraint("case_id", name=op.f("uq_assessments_case_id")),
    )
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessments_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assessments_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "case_addenda",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["author_user_id"], ["users.id"], name=op.f("fk_case_addenda_author_user_id_users")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_addenda_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_case_addenda_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_case_addenda_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_addenda")),
    )
    with op.batch_alter_table("case_addenda", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_addenda_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_addenda_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "case_events",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_tenant_id", sa.Integer(), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_tenant_id"], ["tenants.id"], name=op.f("fk_case_events_actor_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(["actor_user_id"], ["users.id"], name=op.f("fk_case_events_actor_user_id_users")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_case_events_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_case_events_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_events_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_events_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "integration_agreements",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_integration_agreements_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_integration_agreements_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_integration_agreements_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_agreements")),
    )
    with op.batch_alter_table("integration_agreements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_integration_agreements_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_integration_agreements_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_integration_agreements_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "referrals",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("recipient_tenant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("sent_by", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer_due_on", sa.Date(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.Integer(), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=False),
        sa.Column("outcome_note", sa.Text(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("inspection_tenant_id", sa.Integer(), nullable=True),
        sa.Column("engagement_id", sa.Integer(), nullable=True),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["answered_by"], ["users.id"], name=op.f("fk_referrals_answered_by_users")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_referrals_case_id_cases"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_referrals_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"], ["engagements.id"], name=op.f("fk_referrals_engagement_id_engagements")
        ),
        sa.ForeignKeyConstraint(
            ["inspection_tenant_id"], ["tenants.id"], name=op.f("fk_referrals_inspection_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(["previous_id"], ["referrals.id"], name=op.f("fk_referrals_previous_id_referrals")),
        sa.ForeignKeyConstraint(
            ["recipient_tenant_id"], ["tenants.id"], name=op.f("fk_referrals_recipient_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(["sent_by"], ["users.id"], name=op.f("fk_referrals_sent_by_users")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_referrals_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referrals_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_client_id"), ["client_id"], unique=False)
        batch_op.create_index("ix_referrals_inspection_state", ["inspection_tenant_id", "state"], unique=False)
        batch_op.create_index("ix_referrals_recipient_state", ["recipient_tenant_id", "state"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "placements",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=True),
        sa.Column("employer_tenant_id", sa.Integer(), nullable=True),
        sa.Column("employer_name", sa.String(length=300), nullable=False),
        sa.Column("job_title", sa.String(length=300), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("contract_registered", sa.Boolean(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_placements_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_placements_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["employer_tenant_id"], ["tenants.id"], name=op.f("fk_placements_employer_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"], name=op.f("fk_placements_referral_id_referrals")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_placements_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placements")),
    )
    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_placements_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_placements_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_placements_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "plan_measures",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("partner_tenant_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_plan_measures_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["partner_tenant_id"], ["tenants.id"], name=op.f("fk_plan_measures_partner_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["action_plans.id"], name=op.f("fk_plan_measures_plan_id_action_plans"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_plan_measures_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_measures")),
    )
    with op.batch_alter_table("plan_measures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_measures_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_plan_measures_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_plan_measures_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "referral_reviews",
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_referral_reviews_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["recorded_by"], ["users.id"], name=op.f("fk_referral_reviews_recorded_by_users")),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_referral_reviews_referral_id_referrals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_referral_reviews_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_reviews")),
        sa.UniqueConstraint("referral_id", name=op.f("uq_referral_reviews_referral_id")),
    )
    with op.batch_alter_table("referral_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_reviews_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "check_ins",
        sa.Column("placement_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_check_ins_client_id_clients"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["placement_id"], ["placements.id"], name=op.f("fk_check_ins_placement_id_placements"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["recorded_by"], ["users.id"], name=op.f("fk_check_ins_recorded_by_users")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_check_ins_tenant_id_tenants"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_ins")),
    )
    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.create_index("ix_check_ins_placement_month", ["placement_id", "month"], unique=True)
        batch_op.create_index(batch_op.f("ix_check_ins_tenant_id"), ["tenant_id"], unique=False)
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, (using, check) in POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        _policy(table, using, check)
    _policy("engagements", *_ENGAGEMENTS_AFTER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Policies that read referrals go first, or the tables cannot be dropped.
        _policy("engagements", *_ENGAGEMENTS_BEFORE)
        for table in POLICIES:
            op.execute(f"DROP POLICY IF EXISTS tenant_rows ON {table}")
    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_ins_tenant_id"))
        batch_op.drop_index("ix_check_ins_placement_month")

    op.drop_table("check_ins")
    with op.batch_alter_table("referral_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_reviews_tenant_id"))

    op.drop_table("referral_reviews")
    with op.batch_alter_table("plan_measures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_measures_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_plan_measures_plan_id"))
        batch_op.drop_index(batch_op.f("ix_plan_measures_client_id"))

    op.drop_table("plan_measures")
    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_placements_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_placements_client_id"))
        batch_op.drop_index(batch_op.f("ix_placements_case_id"))

    op.drop_table("placements")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_tenant_id"))
        batch_op.drop_index("ix_referrals_recipient_state")
        batch_op.drop_index("ix_referrals_inspection_state")
        batch_op.drop_index(batch_op.f("ix_referrals_client_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_case_id"))

    op.drop_table("referrals")
    with op.batch_alter_table("integration_agreements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_integration_agreements_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_integration_agreements_client_id"))
        batch_op.drop_index(batch_op.f("ix_integration_agreements_case_id"))

    op.drop_table("integration_agreements")
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_events_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_case_events_case_id"))

    op.drop_table("case_events")
    with op.batch_alter_table("case_addenda", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_addenda_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_case_addenda_case_id"))

    op.drop_table("case_addenda")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessments_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_assessments_client_id"))

    op.drop_table("assessments")
    with op.batch_alter_table("action_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_plans_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_action_plans_client_id"))

    op.drop_table("action_plans")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_tenant_stage")
        batch_op.drop_index(batch_op.f("ix_cases_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_cases_manager_user_id"))
        batch_op.drop_index(batch_op.f("ix_cases_client_id"))

    op.drop_table("cases")
    op.drop_table("working_day_overrides")
