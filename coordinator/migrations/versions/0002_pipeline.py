"""pipeline: solver runs

Revision ID: 0002_pipeline
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import coordinator.models._types

revision = "0002_pipeline"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "solver_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("phase", sa.String(length=40), nullable=True),
        sa.Column("best_objective", sa.JSON(), nullable=True),
        sa.Column("bound", sa.JSON(), nullable=True),
        sa.Column("elapsed_s", sa.Float(), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_at", coordinator.models._types.UTCDateTime(timezone=True),
                  nullable=False),
        sa.Column("finished_at", coordinator.models._types.UTCDateTime(timezone=True),
                  nullable=True),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"],
                                name=op.f("fk_solver_runs_round_id_rounds"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_solver_runs")),
        sa.UniqueConstraint("event_id", name=op.f("uq_solver_runs_event_id")),
    )
    op.create_index(op.f("ix_solver_runs_round_id"), "solver_runs", ["round_id"], unique=False)
    op.create_table(
        "placements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("km", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("deadline_at", coordinator.models._types.UTCDateTime(timezone=True),
                  nullable=False),
        sa.Column("created_at", coordinator.models._types.UTCDateTime(timezone=True),
                  nullable=False),
        sa.Column("decided_at", coordinator.models._types.UTCDateTime(timezone=True),
                  nullable=True),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"],
                                name=op.f("fk_placements_application_id_applications"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["host_id"], ["hosts.id"],
                                name=op.f("fk_placements_host_id_hosts"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"],
                                name=op.f("fk_placements_round_id_rounds"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["solver_runs.id"],
                                name=op.f("fk_placements_run_id_solver_runs"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placements")),
        sa.UniqueConstraint("run_id", "application_id",
                            name=op.f("uq_placements_run_id_application_id")),
    )
    for column in ("round_id", "application_id", "host_id", "status"):
        op.create_index(op.f(f"ix_placements_{column}"), "placements", [column], unique=False)
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=False),
        sa.Column("party", sa.String(length=10), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("responded_at", coordinator.models._types.UTCDateTime(timezone=True),
                  nullable=True),
        sa.ForeignKeyConstraint(["placement_id"], ["placements.id"],
                                name=op.f("fk_consents_placement_id_placements"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
        sa.UniqueConstraint("placement_id", "party", name=op.f("uq_consents_placement_id_party")),
    )
    op.create_index(op.f("ix_consents_placement_id"), "consents", ["placement_id"],
                    unique=False)
    op.create_table(
        "workshop_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("venue", sa.String(length=200), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"],
                                name=op.f("fk_workshop_sessions_round_id_rounds"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_sessions")),
    )
    op.create_index(op.f("ix_workshop_sessions_round_id"), "workshop_sessions", ["round_id"],
                    unique=False)
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("rsvp", sa.String(length=10), nullable=False),
        sa.Column("created_at", coordinator.models._types.UTCDateTime(timezone=True),
                  nullable=False),
        sa.ForeignKeyConstraint(["host_id"], ["hosts.id"],
                                name=op.f("fk_invitations_host_id_hosts"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"],
                                name=op.f("fk_invitations_round_id_rounds"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["workshop_sessions.id"],
                                name=op.f("fk_invitations_session_id_workshop_sessions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("session_id", "host_id", "week",
                            name=op.f("uq_invitations_session_id_host_id_week")),
    )
    op.create_index(op.f("ix_invitations_round_id"), "invitations", ["round_id"], unique=False)
    op.create_index(op.f("ix_invitations_session_id"), "invitations", ["session_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_invitations_session_id"), table_name="invitations")
    op.drop_index(op.f("ix_invitations_round_id"), table_name="invitations")
    op.drop_table("invitations")
    op.drop_index(op.f("ix_workshop_sessions_round_id"), table_name="workshop_sessions")
    op.drop_table("workshop_sessions")
    op.drop_index(op.f("ix_consents_placement_id"), table_name="consents")
    op.drop_table("consents")
    for column in ("round_id", "application_id", "host_id", "status"):
        op.drop_index(op.f(f"ix_placements_{column}"), table_name="placements")
    op.drop_table("placements")
    op.drop_index(op.f("ix_solver_runs_round_id"), table_name="solver_runs")
    op.drop_table("solver_runs")
