"""Request-rate limit hits shared by servers on one database.

Revision ID: 0004_storage
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_storage"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_hits",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project", sa.String(128), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_index("ix_rate_limit_hits_project_at", "rate_limit_hits", ["project", "at"])


def downgrade() -> None:
    op.drop_index("ix_rate_limit_hits_project_at", table_name="rate_limit_hits")
    op.drop_table("rate_limit_hits")
