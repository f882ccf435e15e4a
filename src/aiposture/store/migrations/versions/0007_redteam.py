"""Red team: runs (with their config, for --resume) and attempts.

Revision ID: redteam_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "redteam_0001"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "redteam_runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished", sa.DateTime(timezone=True), nullable=True),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
    )
    op.create_index("ix_redteam_runs_status", "redteam_runs", ["status"])
    op.create_index("ix_redteam_runs_started", "redteam_runs", ["started"])
    op.create_table(
        "redteam_attempts",
        sa.Column(
            "run_id", sa.String(32), sa.ForeignKey("redteam_runs.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("probe", sa.String(128), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    op.create_index("ix_redteam_attempts_probe", "redteam_attempts", ["probe"])


def downgrade() -> None:
    op.drop_table("redteam_attempts")
    op.drop_table("redteam_runs")
