"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22 09:02:54.558365
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import coordinator.models._types

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('subject_type', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', coordinator.models._types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('dispatched_at', coordinator.models._types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_dispatched_at'), ['dispatched_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_round_id'), ['round_id'], unique=False)

    op.create_table('idempotent_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=200), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('response', sa.JSON(), nullable=False),
    sa.Column('created_at', coordinator.models._types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotent_requests')),
    sa.UniqueConstraint('scope', 'key', name=op.f('uq_idempotent_requests_scope_key'))
    )
    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dedup_key', sa.String(length=200), nullable=False),
    sa.Column('template', sa.String(length=60), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('context', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.String(length=200), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', coordinator.models._types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', coordinator.models._types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    sa.UniqueConstraint('dedup_key', name=op.f('uq_messages_dedup_key'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_recipient'), ['recipient'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_template'), ['template'], unique=False)

    op.create_table('rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('weeks', sa.JSON(), nullable=False),
    sa.Column('applications_close_on', sa.Date(), nullable=True),
    sa.Column('response_days', sa.Integer(), nullable=False),
    sa.Column('default_max_km', sa.Integer(), nullable=False),
    sa.Column('created_at', coordinator.models._types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', coordinator.models._types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rounds'))
    )
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rounds_status'), ['status'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', coordinator.models._types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('org_level', sa.String(length=20), nullable=False),
    sa.Column('municipality_code', sa.String(length=3), nullable=True),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('learning_goal', sa.Text(), nullable=False),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('open_to_any', sa.Boolean(), nullable=False),
    sa.Column('weeks', sa.JSON(), nullable=False),
    sa.Column('max_km', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('team_mate_email', sa.String(length=254), nullable=True),
    sa.Column('manager_name', sa.String(length=200), nullable=False),
    sa.Column('manager_email', sa.String(length=254), nullable=False),
    sa.Column('created_at', coordinator.models._types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', coordinator.models._types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_applications_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_applications'))
    )
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_applications_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_status'), ['status'], unique=False)
        batch_op.create_index('uq_applications_round_email_live', ['round_id', 'email'], unique=True, sqlite_where=sa.text("status != 'withdrawn'"), postgresql_where=sa.text("status != 'withdrawn'"))

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('at', coordinator.models._types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_log_actor_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_table('hosts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('org_level', sa.String(length=20), nullable=False),
    sa.Column('municipality_code', sa.String(length=3), nullable=True),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('innovation_title', sa.String(length=200), nullable=False),
    sa.Column('innovation_description', sa.Text(), nullable=False),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('min_visitors', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('weeks', sa.JSON(), nullable=False),
    sa.Column('visit_days', sa.Integer(), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('contact_phone', sa.String(length=40), nullable=True),
    sa.Column('created_at', coordinator.models._types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', coordinator.models._types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('capacity BETWEEN 1 AND 3', name=op.f('ck_hosts_capacity_range')),
    sa.CheckConstraint('min_visitors BETWEEN 1 AND capacity', name=op.f('ck_hosts_min_le_capacity')),
    sa.CheckConstraint('visit_days BETWEEN 2 AND 5', name=op.f('ck_hosts_visit_days_range')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_hosts_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hosts'))
    )
    with op.batch_alter_table('hosts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hosts_contact_email'), ['contact_email'], unique=False)
        batch_op.create_index(batch_op.f('ix_hosts_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hosts_status'), ['status'], unique=False)

    op.create_table('application_choices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('host_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_application_choices_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['host_id'], ['hosts.id'], name=op.f('fk_application_choices_host_id_hosts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application_choices')),
    sa.UniqueConstraint('application_id', 'host_id', name=op.f('uq_application_choices_application_id_host_id')),
    sa.UniqueConstraint('application_id', 'rank', name=op.f('uq_application_choices_application_id_rank'))
    )
    with op.batch_alter_table('application_choices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_choices_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_application_choices_host_id'), ['host_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('application_choices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_choices_host_id'))
        batch_op.drop_index(batch_op.f('ix_application_choices_application_id'))

    op.drop_table('application_choices')
    with op.batch_alter_table('hosts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hosts_status'))
        batch_op.drop_index(batch_op.f('ix_hosts_round_id'))
        batch_op.drop_index(batch_op.f('ix_hosts_contact_email'))

    op.drop_table('hosts')
    op.drop_table('audit_log')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('uq_applications_round_email_live', sqlite_where=sa.text("status != 'withdrawn'"), postgresql_where=sa.text("status != 'withdrawn'"))
        batch_op.drop_index(batch_op.f('ix_applications_status'))
        batch_op.drop_index(batch_op.f('ix_applications_round_id'))

    op.drop_table('applications')
    op.drop_table('users')
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rounds_status'))

    op.drop_table('rounds')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messages_template'))
        batch_op.drop_index(batch_op.f('ix_messages_status'))
        batch_op.drop_index(batch_op.f('ix_messages_round_id'))
        batch_op.drop_index(batch_op.f('ix_messages_recipient'))

    op.drop_table('messages')
    op.drop_table('idempotent_requests')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_round_id'))
        batch_op.drop_index(batch_op.f('ix_events_kind'))
        batch_op.drop_index(batch_op.f('ix_events_dispatched_at'))

    op.drop_table('events')
