"""Inventory: runs, assets, which assets each run saw, findings.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("command", sa.String(32), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("started", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished", sa.DateTime(timezone=True), nullable=True),
        sa.Column("files_scanned", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("summary", sa.JSON(), nullable=False),
    )
    op.create_index("ix_runs_command", "runs", ["command"])
    op.create_index("ix_runs_target", "runs", ["target"])
    op.create_index("ix_runs_started", "runs", ["started"])
    op.create_table(
        "assets",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("version", sa.Text(), nullable=True),
        sa.Column("provider", sa.String(64), nullable=True),
        sa.Column("fingerprint", sa.String(32), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("first_seen", sa.String(32), nullable=False),
        sa.Column("last_seen", sa.String(32), nullable=False),
    )
    op.create_index("ix_assets_kind", "assets", ["kind"])
    op.create_table(
        "run_assets",
        sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("asset_id", sa.String(32), primary_key=True),
        sa.Column("fingerprint", sa.String(32), nullable=False),
    )
    op.create_table(
        "findings",
        sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("asset_id", sa.String(32), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    op.create_index("ix_findings_rule_severity", "findings", ["rule", "severity"])
    op.create_index("ix_findings_asset_id", "findings", ["asset_id"])


def downgrade() -> None:
    op.drop_table("findings")
    op.drop_table("run_assets")
    op.drop_table("assets")
    op.drop_table("runs")
