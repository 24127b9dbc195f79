"""What a review depended on, so the next one can skip what still holds: the partnership's
evidence version and its last review's mark; the portfolio's review runs

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("partnership", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evidence_version", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("reviewed_evidence", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reviewed_policy", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("reviewed_as_of", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("review_holds_until", sa.Date(), nullable=True))
    op.create_table(
        "review_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("full", sa.Boolean(), nullable=False),
        sa.Column("policy_version", sa.String(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("review_run")
    with op.batch_alter_table("partnership", schema=None) as batch_op:
        for column in ("review_holds_until", "reviewed_as_of", "reviewed_policy", "reviewed_evidence",
                       "evidence_version"):
            batch_op.drop_column(column)
