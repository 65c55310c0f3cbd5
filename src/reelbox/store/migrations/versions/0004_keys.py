"""API keys created at run time, and per-project quotas.

Revision ID: 0004_keys
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_keys"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("project", sa.String(128), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("admin", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=True),
        sa.Column("revoked_at", sa.Float, nullable=True),
    )
    op.create_index("ix_api_keys_project", "api_keys", ["project", "created_at"])
    op.create_table(
        "project_quotas",
        sa.Column("project", sa.String(128), primary_key=True),
        sa.Column("seconds_per_day", sa.Float, nullable=True),
        sa.Column("seconds_per_month", sa.Float, nullable=True),
        sa.Column("concurrent_jobs", sa.Integer, nullable=True),
        sa.Column("updated_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("project_quotas")
    op.drop_index("ix_api_keys_project", table_name="api_keys")
    op.drop_table("api_keys")
