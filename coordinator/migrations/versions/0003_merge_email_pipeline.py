"""Merge the email and pipeline branches into one head.

Both 0002 revisions were written in parallel on top of 0001 and touch disjoint tables, so the
merge itself changes nothing; it exists so `upgrade head` has a single target.

Revision ID: 0003
Revises: 0002_email, 0002_pipeline
"""

from __future__ import annotations

revision = "0003"
down_revision = ("0002_email", "0002_pipeline")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: the merge only joins the two branches."""


def downgrade() -> None:
    """Nothing to undo."""
