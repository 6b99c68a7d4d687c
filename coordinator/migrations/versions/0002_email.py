"""Email delivery: claim lease, retry time, attachments, webhook events, undeliverable addresses.

Revision ID: 0002_email
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import coordinator.models._types

revision = "0002_email"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC = coordinator.models._types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_at", UTC, nullable=True))
        batch_op.add_column(sa.Column("next_attempt_at", UTC, nullable=True))
        batch_op.add_column(sa.Column("possible_duplicate", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.create_table(
        "message_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("mimetype", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="CASCADE",
                                name=op.f("fk_message_attachments_message_id_messages")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_attachments")),
    )
    with op.batch_alter_table("message_attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_attachments_message_id"), ["message_id"])
    op.create_table(
        "message_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sg_message_id", sa.String(length=200), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("timestamp", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("received_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_events")),
        sa.UniqueConstraint("sg_message_id", "event", "timestamp",
                            name=op.f("uq_message_events_sg_message_id_event_timestamp")),
    )
    with op.batch_alter_table("message_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_events_message_id"), ["message_id"])
    op.create_table(
        "undeliverable_addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_undeliverable_addresses")),
        sa.UniqueConstraint("email", name=op.f("uq_undeliverable_addresses_email")),
    )


def downgrade() -> None:
    op.drop_table("undeliverable_addresses")
    with op.batch_alter_table("message_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_events_message_id"))
    op.drop_table("message_events")
    with op.batch_alter_table("message_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_attachments_message_id"))
    op.drop_table("message_attachments")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("possible_duplicate")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("claimed_at")
