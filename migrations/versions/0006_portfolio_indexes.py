"""Indexes for the pages at 100,000 partnerships: the latest gate review read from its index,
partnerships by phase and state, a partnership's notifications

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # the columns the portfolio reads of the latest reviews, in the index: blockers as INCLUDE on
    # PostgreSQL (json has no b-tree order), as a key column on SQLite (no INCLUDE there)
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("gate_review", schema=None) as batch_op:
        batch_op.drop_index("ix_gate_review_latest")
        batch_op.create_index("ix_gate_review_latest", ["partnership_id", "gate", "id", "phase", "passed"]
                              + ([] if postgresql else ["blockers"]), unique=False,
                              postgresql_include=["blockers"] if postgresql else [])
    with op.batch_alter_table("partnership", schema=None) as batch_op:
        batch_op.create_index("ix_partnership_phase_state", ["phase", "state"], unique=False)
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index("ix_notification_partnership", ["partnership_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_partnership")
    with op.batch_alter_table("partnership", schema=None) as batch_op:
        batch_op.drop_index("ix_partnership_phase_state")
    with op.batch_alter_table("gate_review", schema=None) as batch_op:
        batch_op.drop_index("ix_gate_review_latest")
        batch_op.create_index("ix_gate_review_latest", ["partnership_id", "gate", "id"], unique=False)
