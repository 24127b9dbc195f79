"""Indexes for the pages at 100,000 partnerships: the latest gate review read from its index,
partnerships by phase and state, a partnership's notifications, and on PostgreSQL the text search
of the partnership table (trigrams)

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
    if postgresql and _trigrams_available():
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index("ix_partnership_text", "partnership", ["key", "name"], postgresql_using="gin",
                        postgresql_ops={"key": "gin_trgm_ops", "name": "gin_trgm_ops"})


def _trigrams_available() -> bool:
    """pg_trgm ships with PostgreSQL's contrib; a server without it still works, its text search
    then scans (docs/operations.md)."""
    found = op.get_bind().exec_driver_sql("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'").first()
    if found is None:
        print("note: pg_trgm is not available on this PostgreSQL server: the partnership table's text "
              "search will scan (install the server's contrib package to index it)")
    return found is not None


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_partnership_text")  # PostgreSQL only; the extension stays
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_partnership")
    with op.batch_alter_table("partnership", schema=None) as batch_op:
        batch_op.drop_index("ix_partnership_phase_state")
    with op.batch_alter_table("gate_review", schema=None) as batch_op:
        batch_op.drop_index("ix_gate_review_latest")
        batch_op.create_index("ix_gate_review_latest", ["partnership_id", "gate", "id"], unique=False)
