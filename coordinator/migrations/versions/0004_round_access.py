"""Per-round access: which coordinators are assigned to which round.

Rounds that exist already are given to the coordinator who created them (the audit log's
``round.create`` entry), so nobody loses sight of their own rounds on upgrade.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import coordinator.models._types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UTC = coordinator.models._types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "round_coordinators",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by", sa.Integer(), nullable=True),
        sa.Column("assigned_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"], ondelete="CASCADE",
                                name=op.f("fk_round_coordinators_round_id_rounds")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_round_coordinators_user_id_users")),
        sa.ForeignKeyConstraint(["assigned_by"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_round_coordinators_assigned_by_users")),
        sa.PrimaryKeyConstraint("round_id", "user_id", name=op.f("pk_round_coordinators")),
    )
    with op.batch_alter_table("round_coordinators", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_round_coordinators_user_id"), ["user_id"])
    # DISTINCT: a round re-created under the same id cannot happen, but a duplicated audit row
    # must not break the primary key.
    op.execute(sa.text(
        "INSERT INTO round_coordinators (round_id, user_id, assigned_by, assigned_at) "
        "SELECT DISTINCT a.object_id, a.actor_id, a.actor_id, CURRENT_TIMESTAMP "
        "FROM audit_log a JOIN rounds r ON r.id = a.object_id "
        "JOIN users u ON u.id = a.actor_id "
        "WHERE a.action = 'round.create' AND a.object_type = 'round'"))


def downgrade() -> None:
    with op.batch_alter_table("round_coordinators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_round_coordinators_user_id"))
    op.drop_table("round_coordinators")
