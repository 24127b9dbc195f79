"""A gate review names the review it follows (`previous_id`, 0 for the first), unique per
partnership and gate: two reviews can never both follow the same one, so a duplicate written
by two reviews at once is refused by the database, not found later

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("gate_review", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_id", sa.Integer(), server_default="0", nullable=False))
    # the reviews already written, chained in the order they were written (duplicates included: each
    # then follows the one written before it)
    op.execute("UPDATE gate_review SET previous_id = COALESCE((SELECT max(earlier.id) FROM gate_review AS earlier "
               "WHERE earlier.partnership_id = gate_review.partnership_id AND earlier.gate = gate_review.gate "
               "AND earlier.id < gate_review.id), 0)")
    with op.batch_alter_table("gate_review", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_gate_review_follows", ["partnership_id", "gate", "previous_id"])


def downgrade() -> None:
    with op.batch_alter_table("gate_review", schema=None) as batch_op:
        batch_op.drop_constraint("uq_gate_review_follows", type_="unique")
        batch_op.drop_column("previous_id")
