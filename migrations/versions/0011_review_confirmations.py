"""When a review was last confirmed moves out of the review's row into a narrow one of its own
(`review_confirmation`): a nightly review confirms most reviews, and setting two columns of each
~2 KB review row rewrote the whole row

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_confirmation",
        sa.Column("review_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_as_of", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["review_id"], ["gate_review.id"]),
        sa.PrimaryKeyConstraint("review_id"),
    )
    # only the reviews confirmed after they were written: the others read their own day and moment
    op.execute("INSERT INTO review_confirmation (review_id, confirmed_at, confirmed_as_of) "
               "SELECT id, checked_at, checked_as_of FROM gate_review "
               "WHERE checked_at <> created_at OR checked_as_of <> as_of")
    # a plain ALTER TABLE … DROP COLUMN (SQLite has it since 3.35): a batch would copy gate_review and
    # drop the old table, which the new foreign key refuses
    op.drop_column("gate_review", "checked_at")
    op.drop_column("gate_review", "checked_as_of")


def downgrade() -> None:
    op.add_column("gate_review", sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("gate_review", sa.Column("checked_as_of", sa.Date(), nullable=True))
    op.execute("UPDATE gate_review SET "
               "checked_at = COALESCE((SELECT confirmed_at FROM review_confirmation "
               "WHERE review_id = gate_review.id), created_at), "
               "checked_as_of = COALESCE((SELECT confirmed_as_of FROM review_confirmation "
               "WHERE review_id = gate_review.id), as_of)")
    op.drop_table("review_confirmation")  # first: on SQLite the batch below copies gate_review
    with op.batch_alter_table("gate_review", schema=None) as batch_op:
        batch_op.alter_column("checked_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column("checked_as_of", existing_type=sa.Date(), nullable=False)
