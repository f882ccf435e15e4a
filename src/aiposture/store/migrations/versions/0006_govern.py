"""Govern: posture scores per run and scope; the posture evidence log.

Revision ID: govern_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "govern_0001"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "posture_scores",
        sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("scope", sa.String(255), primary_key=True),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("started", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("coverage", sa.Float(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    op.create_index("ix_posture_scores_target", "posture_scores", ["target"])
    op.create_index("ix_posture_scores_started", "posture_scores", ["started"])
    op.create_table(
        "posture_evidence",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False, server_default=""),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_index("ix_posture_evidence_kind", "posture_evidence", ["kind"])
    op.create_index("ix_posture_evidence_at", "posture_evidence", ["at"])


def downgrade() -> None:
    op.drop_table("posture_evidence")
    op.drop_table("posture_scores")
