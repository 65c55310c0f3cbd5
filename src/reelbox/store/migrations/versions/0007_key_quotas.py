"""Per-key quotas: the key that created each job (`jobs.key_id`, null for keys from settings
and open servers) and each key's own limits (`key_quotas`).

Revision ID: 0007_key_quotas
Revises: 0006_trace_context
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_key_quotas"
down_revision = "0006_trace_context"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column without a default: no table rebuild on SQLite, no rewrite on PostgreSQL.
    op.add_column("jobs", sa.Column("key_id", sa.String(64), nullable=True))
    op.create_index("ix_jobs_key_created", "jobs", ["key_id", "created_at"])
    op.create_table(
        "key_quotas",
        sa.Column("key_id", sa.String(64), primary_key=True),
        sa.Column("seconds_per_day", sa.Float, nullable=True),
        sa.Column("seconds_per_month", sa.Float, nullable=True),
        sa.Column("concurrent_jobs", sa.Integer, nullable=True),
        sa.Column("updated_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("key_quotas")
    op.drop_index("ix_jobs_key_created", table_name="jobs")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("key_id")
