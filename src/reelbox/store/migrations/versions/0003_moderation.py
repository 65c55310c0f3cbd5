"""Moderation audit log.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "moderation_events",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("project", sa.String(128), nullable=False),
        sa.Column("checkpoint", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(32), nullable=False),
        sa.Column("policy", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("categories", sa.Text, nullable=False),
        sa.Column("sources", sa.Text, nullable=False),
        sa.Column("rules", sa.JSON, nullable=False),
        sa.Column("input_sha256", sa.String(64), nullable=False),
        sa.Column("job_id", sa.String(64), nullable=True),
        sa.Column("dialect", sa.String(16), nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_moderation_events_created", "moderation_events", ["created_at"])
    op.create_index(
        "ix_moderation_events_project_created", "moderation_events", ["project", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_moderation_events_project_created", table_name="moderation_events")
    op.drop_index("ix_moderation_events_created", table_name="moderation_events")
    op.drop_table("moderation_events")
