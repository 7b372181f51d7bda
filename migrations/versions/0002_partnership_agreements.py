"""Partnership agreements: versions, parties, clauses, signatures, comments

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('agreements',
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('template_key', sa.String(length=60), nullable=True),
    sa.Column('created_by_user_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_agreements_created_by_user_id_users')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_agreements_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreements'))
    )
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreements_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('agreement_versions',
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('common_goals', sa.Text(), nullable=False),
    sa.Column('joint_tools', sa.Text(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('terms_json', sa.Text(), nullable=True),
    sa.Column('terms_hash', sa.String(length=64), nullable=True),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.Text(), nullable=True),
    sa.Column('ended_by_tenant_id', sa.Integer(), nullable=True),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_agreement_versions_agreement_id_agreements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ended_by_tenant_id'], ['tenants.id'], name=op.f('fk_agreement_versions_ended_by_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['agreement_versions.id'], name=op.f('fk_agreement_versions_supersedes_id_agreement_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_versions')),
    sa.UniqueConstraint('agreement_id', 'number', name=op.f('uq_agreement_versions_agreement_id_number'))
    )
    with op.batch_alter_table('agreement_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_versions_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreement_versions_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreement_versions_terms_hash'), ['terms_hash'], unique=False)

    op.create_table('agreement_clauses',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('owner_tenant_id', sa.Integer(), nullable=False),
    sa.Column('recipient_tenant_id', sa.Integer(), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('actions', sa.JSON(), nullable=False),
    sa.Column('purpose', sa.String(length=30), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('consent_required', sa.Boolean(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['owner_tenant_id'], ['tenants.id'], name=op.f('fk_agreement_clauses_owner_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['recipient_tenant_id'], ['tenants.id'], name=op.f('fk_agreement_clauses_recipient_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['version_id'], ['agreement_versions.id'], name=op.f('fk_agreement_clauses_version_id_agreement_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_clauses')),
    sa.UniqueConstraint('version_id', 'number', name=op.f('uq_agreement_clauses_version_id_number'))
    )
    with op.batch_alter_table('agreement_clauses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_clauses_owner_tenant_id'), ['owner_tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreement_clauses_recipient_tenant_id'), ['recipient_tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreement_clauses_version_id'), ['version_id'], unique=False)

    op.create_table('agreement_comments',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('author_user_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['author_user_id'], ['users.id'], name=op.f('fk_agreement_comments_author_user_id_users')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_agreement_comments_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['version_id'], ['agreement_versions.id'], name=op.f('fk_agreement_comments_version_id_agreement_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_comments'))
    )
    with op.batch_alter_table('agreement_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_comments_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreement_comments_version_id'), ['version_id'], unique=False)

    op.create_table('agreement_parties',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Text(), nullable=False),
    sa.Column('resources', sa.Text(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_agreement_parties_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['version_id'], ['agreement_versions.id'], name=op.f('fk_agreement_parties_version_id_agreement_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_parties')),
    sa.UniqueConstraint('version_id', 'tenant_id', name=op.f('uq_agreement_parties_version_id_tenant_id'))
    )
    with op.batch_alter_table('agreement_parties', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_parties_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreement_parties_version_id'), ['version_id'], unique=False)

    op.create_table('agreement_signatures',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('signer_user_id', sa.Integer(), nullable=False),
    sa.Column('signer_name', sa.String(length=200), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('terms_hash', sa.String(length=64), nullable=False),
    sa.Column('method', sa.String(length=30), nullable=False),
    sa.Column('portal_signature', sa.String(length=200), nullable=False),
    sa.Column('portal_key_id', sa.String(length=64), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['signer_user_id'], ['users.id'], name=op.f('fk_agreement_signatures_signer_user_id_users')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_agreement_signatures_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['version_id'], ['agreement_versions.id'], name=op.f('fk_agreement_signatures_version_id_agreement_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_signatures')),
    sa.UniqueConstraint('version_id', 'tenant_id', name=op.f('uq_agreement_signatures_version_id_tenant_id'))
    )
    with op.batch_alter_table('agreement_signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_signatures_version_id'), ['version_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('agreement_signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_signatures_version_id'))

    op.drop_table('agreement_signatures')
    with op.batch_alter_table('agreement_parties', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_parties_version_id'))
        batch_op.drop_index(batch_op.f('ix_agreement_parties_tenant_id'))

    op.drop_table('agreement_parties')
    with op.batch_alter_table('agreement_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_comments_version_id'))
        batch_op.drop_index(batch_op.f('ix_agreement_comments_tenant_id'))

    op.drop_table('agreement_comments')
    with op.batch_alter_table('agreement_clauses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_clauses_version_id'))
        batch_op.drop_index(batch_op.f('ix_agreement_clauses_recipient_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_agreement_clauses_owner_tenant_id'))

    op.drop_table('agreement_clauses')
    with op.batch_alter_table('agreement_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_versions_terms_hash'))
        batch_op.drop_index(batch_op.f('ix_agreement_versions_status'))
        batch_op.drop_index(batch_op.f('ix_agreement_versions_agreement_id'))

    op.drop_table('agreement_versions')
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreements_tenant_id'))

    op.drop_table('agreements')
