"""Row-level security on PostgreSQL: the second wall behind the access kernel

Revision ID: 0008
Revises: 0007

The web app connects as a role that owns nothing (`portal_app` by default, created by `portal
migrate`, see portal/db.py: prepare_app_role) and sets the tenant it acts for at the start of every
transaction (`set_config('portal.tenant', id, true)`, portal/db.py: tenant_session). The tables below
get ENABLE and FORCE ROW LEVEL SECURITY. An empty or missing setting means "no tenant": no rows.
The policies are coarse on purpose; the kernel still decides which columns, purposes and clients.

- clients, case_notes: the own tenant's rows, and rows of an owner that granted the acting tenant
  anything that still holds (a grant row whose last day, a Tashkent calendar day, is not past).
  Written only for the own tenant.
- engagements, consents: rows the acting tenant owns or is the recipient of. Written by the owner.
- access_grants: rows the acting tenant owns or receives, and the rows of agreements it is a party
  of (the party that activates or ends a multi-party version installs and removes every pair's rows).

Left without row-level security, and why:
- tenants, regions, districts, users, memberships, external_identities, login_sessions,
  login_attempts, sign_in_throttles: sign-in and the look-up of a session's user run before any
  tenant is known; an administrator's user pages are scoped by the tenants area.
- casbin_rule, policy_revision: the role policy every worker loads whole at start and on change.
- agreements and their versions, parties, clauses, signatures, comments and events: every party of
  another tenant reads them, and the public verify page reads them with no one signed in; the
  partnership area decides who sees a draft's comments.
- audit_entries, audit_chains, audit_checkpoints: every tenant appends to a chain whose head it must
  read, and `portal verify-audit` reads every chain; the owner's page filters by owner in SQL.
The owner (DATABASE_URL: migrations and the `portal` command) must be a superuser or have
BYPASSRLS: seeding and verifying the audit log act for no tenant and for all of them.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTING = "NULLIF(current_setting('portal.tenant', true), '')::int"


def _granted(owner: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM access_grants g WHERE g.owner_tenant_id = {owner}"
        f" AND g.recipient_tenant_id = {ACTING}"
        " AND g.valid_until >= (now() AT TIME ZONE 'Asia/Tashkent')::date)"
    )


def _party(agreement: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM agreement_parties p JOIN agreement_versions v ON v.id = p.version_id"
        f" WHERE v.agreement_id = {agreement} AND p.tenant_id = {ACTING})"
    )


# table: (rows it may read and change, rows it may write)
POLICIES = {
    "clients": (f"tenant_id = {ACTING} OR {_granted('clients.tenant_id')}", f"tenant_id = {ACTING}"),
    "case_notes": (f"tenant_id = {ACTING} OR {_granted('case_notes.tenant_id')}", f"tenant_id = {ACTING}"),
    "engagements": (f"owner_tenant_id = {ACTING} OR recipient_tenant_id = {ACTING}", f"owner_tenant_id = {ACTING}"),
    "consents": (f"owner_tenant_id = {ACTING} OR recipient_tenant_id = {ACTING}", f"owner_tenant_id = {ACTING}"),
    "access_grants": (
        f"owner_tenant_id = {ACTING} OR recipient_tenant_id = {ACTING} OR {_party('access_grants.agreement_id')}",
        f"owner_tenant_id = {ACTING} OR recipient_tenant_id = {ACTING} OR {_party('access_grants.agreement_id')}",
    ),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, (using, check) in POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_rows ON {table} USING ({using}) WITH CHECK ({check})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in POLICIES:
        op.execute(f"DROP POLICY IF EXISTS tenant_rows ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
