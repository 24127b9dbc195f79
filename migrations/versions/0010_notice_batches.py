"""The notices of a review batch, kept in one row per batch and composed into notifications when the
outbox is next drained (a review no longer writes a notification per recipient in its transactions)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notice_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("tasks", sa.JSON(), nullable=False),
        sa.Column("transitions", sa.JSON(), nullable=False),
        sa.Column("composed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notice_batch_untold", "notice_batch", ["composed_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_notice_batch_untold", table_name="notice_batch")
    op.drop_table("notice_batch")
