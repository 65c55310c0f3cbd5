"""The trace context stored with each job (tracing); where completed jobs' time went (stages
and engine steps, read by `/metrics`).

Revision ID: 0006_trace_context
Revises: 0005_storage
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_trace_context"
down_revision = "0005_storage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column is added in place on SQLite too (no batch rebuild, which would
    # cascade-delete the jobs' generations).
    op.add_column("jobs", sa.Column("trace_context", sa.JSON, nullable=True))
    op.create_table(
        "job_stages",
        sa.Column(
            "job_id",
            sa.String(64),
            sa.ForeignKey("jobs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("stage", sa.String(32), primary_key=True),
        sa.Column("profile", sa.String(128), nullable=False),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("ended_at", sa.Float, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
    )
    op.create_index("ix_job_stages_profile_stage", "job_stages", ["profile", "stage"])
    op.create_table(
        "job_steps",
        sa.Column(
            "job_id",
            sa.String(64),
            sa.ForeignKey("jobs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("bucket", sa.Integer, primary_key=True),
        sa.Column("le", sa.Float, nullable=True),
        sa.Column("profile", sa.String(128), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
    )
    op.create_index("ix_job_steps_profile", "job_steps", ["profile"])


def downgrade() -> None:
    op.drop_index("ix_job_steps_profile", table_name="job_steps")
    op.drop_table("job_steps")
    op.drop_index("ix_job_stages_profile_stage", table_name="job_stages")
    op.drop_table("job_stages")
    op.drop_column("jobs", "trace_context")  # SQLite 3.35+ drops it in place
