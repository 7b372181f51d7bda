"""Clients, engagements with partners, consents

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('clients',
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('full_name_cyrl', sa.String(length=200), nullable=False),
    sa.Column('name_key', sa.String(length=400), nullable=False),
    sa.Column('pinfl', sa.String(length=14), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('gender', sa.String(length=10), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('district_code', sa.String(length=60), nullable=True),
    sa.Column('disability_group', sa.String(length=5), nullable=False),
    sa.Column('disability_until', sa.Date(), nullable=True),
    sa.Column('work_recommendation', sa.Text(), nullable=False),
    sa.Column('benefits', sa.Text(), nullable=False),
    sa.Column('education', sa.Text(), nullable=False),
    sa.Column('skills', sa.Text(), nullable=False),
    sa.Column('employment_history', sa.Text(), nullable=False),
    sa.Column('assessment', sa.Text(), nullable=False),
    sa.Column('action_plan', sa.Text(), nullable=False),
    sa.Column('case_notes', sa.Text(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['district_code'], ['districts.code'], name=op.f('fk_clients_district_code_districts')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_clients_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clients'))
    )
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clients_name_key'), ['name_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_clients_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_clients_tenant_pinfl', ['tenant_id', 'pinfl'], unique=True)

    op.create_table('consents',
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('owner_tenant_id', sa.Integer(), nullable=False),
    sa.Column('recipient_tenant_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=30), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('given_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('given_recorded_by', sa.Integer(), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_recorded_by', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_consents_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['given_recorded_by'], ['users.id'], name=op.f('fk_consents_given_recorded_by_users')),
    sa.ForeignKeyConstraint(['owner_tenant_id'], ['tenants.id'], name=op.f('fk_consents_owner_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['recipient_tenant_id'], ['tenants.id'], name=op.f('fk_consents_recipient_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['withdrawn_recorded_by'], ['users.id'], name=op.f('fk_consents_withdrawn_recorded_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents'))
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consents_client_id'), ['client_id'], unique=False)
        batch_op.create_index('ix_consents_client_recipient', ['client_id', 'recipient_tenant_id', 'purpose'], unique=False)
        batch_op.create_index(batch_op.f('ix_consents_owner_tenant_id'), ['owner_tenant_id'], unique=False)

    op.create_table('engagements',
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('owner_tenant_id', sa.Integer(), nullable=False),
    sa.Column('recipient_tenant_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_engagements_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_tenant_id'], ['tenants.id'], name=op.f('fk_engagements_owner_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['recipient_tenant_id'], ['tenants.id'], name=op.f('fk_engagements_recipient_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_engagements'))
    )
    with op.batch_alter_table('engagements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_engagements_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_engagements_owner_tenant_id'), ['owner_tenant_id'], unique=False)
        batch_op.create_index('ix_engagements_recipient_client', ['recipient_tenant_id', 'client_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('engagements', schema=None) as batch_op:
        batch_op.drop_index('ix_engagements_recipient_client')
        batch_op.drop_index(batch_op.f('ix_engagements_owner_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_engagements_client_id'))

    op.drop_table('engagements')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consents_owner_tenant_id'))
        batch_op.drop_index('ix_consents_client_recipient')
        batch_op.drop_index(batch_op.f('ix_consents_client_id'))

    op.drop_table('consents')
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_index('ix_clients_tenant_pinfl')
        batch_op.drop_index(batch_op.f('ix_clients_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_clients_name_key'))

    op.drop_table('clients')
