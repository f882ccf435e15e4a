"""Identity: governed principals (owner, sponsors, blueprint, tools, models, attributes,
expiry, attestation), their lifecycle events, and revoked tokens.

Revision ID: identity_0002
Revises: audit_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "identity_0002"
down_revision = "audit_0001"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("owner", sa.String(256), None),
    ("sponsors", sa.JSON(), "[]"),
    ("blueprint", sa.String(128), None),
    ("tools", sa.JSON(), "[]"),
    ("models", sa.JSON(), '["*"]'),
    ("attributes", sa.JSON(), "{}"),
    ("expires", sa.DateTime(timezone=True), None),
    ("attest_every_days", sa.Integer(), None),
    ("last_attested", sa.DateTime(timezone=True), None),
)


def upgrade() -> None:
    # batch mode: SQLite cannot ALTER a table beyond adding columns, and Alembic's
    # batch copy keeps the rows (and their API key hashes) that are already there
    with op.batch_alter_table("principals") as batch:
        for name, type_, default in _COLUMNS:
            batch.add_column(
                sa.Column(name, type_, nullable=default is None, server_default=default)
            )
    op.create_table(
        "principal_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("principal", sa.String(128), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(256), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False, server_default="{}"),
    )
    op.create_index("ix_principal_events_principal", "principal_events", ["principal"])
    op.create_table(
        "token_revocations",
        sa.Column("key", sa.String(192), primary_key=True),
        sa.Column("revoked_at", sa.Float(), nullable=False),
        sa.Column("expires", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
    )
    op.create_index("ix_token_revocations_expires", "token_revocations", ["expires"])


def downgrade() -> None:
    op.drop_table("token_revocations")
    op.drop_table("principal_events")
    with op.batch_alter_table("principals") as batch:
        for name, _type, _default in reversed(_COLUMNS):
            batch.drop_column(name)
