"""Request-rate limit hits shared by servers on one database; room for encrypted webhook
secrets (sealed at start-up by `EndpointStore.seal_plaintext`, which needs the server key).

Revision ID: 0005_storage
Revises: 0004_keys
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_storage"
down_revision = "0004_keys"
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
    # SQLite does not enforce VARCHAR lengths, and rebuilding the table there (batch mode)
    # would cascade-delete its deliveries: only PostgreSQL needs the wider type.
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("webhook_endpoints", "secret", type_=sa.Text, existing_nullable=False)
        op.alter_column(
            "webhook_endpoints", "previous_secret", type_=sa.Text, existing_nullable=True
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "webhook_endpoints", "secret", type_=sa.String(128), existing_nullable=False
        )
        op.alter_column(
            "webhook_endpoints", "previous_secret", type_=sa.String(128), existing_nullable=True
        )
    op.drop_index("ix_rate_limit_hits_project_at", table_name="rate_limit_hits")
    op.drop_table("rate_limit_hits")
