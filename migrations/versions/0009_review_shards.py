"""A portfolio review in shards: each shard's batches, how many are done and what they found, and
the run that works on it, so a shard whose process died is resumed by another at its first batch
not committed; the run's policy fingerprint, which every shard checks before it reviews

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("review_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("policy_mark", sa.String(length=32), nullable=True))
    op.create_table(
        "review_shard",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("batches", sa.JSON(), nullable=False),
        sa.Column("batch_count", sa.Integer(), nullable=False),
        sa.Column("partnerships", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), server_default="0", nullable=False),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("runner", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["review_run.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "number", name="uq_review_shard_number"),
    )


def downgrade() -> None:
    op.drop_table("review_shard")
    with op.batch_alter_table("review_run", schema=None) as batch_op:
        batch_op.drop_column("policy_mark")
