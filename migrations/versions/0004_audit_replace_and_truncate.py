"""audit_event refuses REPLACE (SQLite) and TRUNCATE (PostgreSQL) too

0002's row triggers miss two ways of rewriting the log. On SQLite, `REPLACE INTO` (or
`INSERT OR REPLACE`) with an existing id deletes that row without firing its delete trigger
(recursive_triggers is off by default): a BEFORE INSERT trigger refuses an insert whose id is
already there. On PostgreSQL, row triggers do not see TRUNCATE: a BEFORE TRUNCATE statement
trigger refuses it (also when a TRUNCATE … CASCADE of another table would reach audit_event).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

MESSAGE = "audit_event is append-only"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"""
            CREATE TRIGGER audit_event_no_replace BEFORE INSERT ON audit_event
            WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_event WHERE id = NEW.id)
            BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
        """)
    else:
        op.execute("""
            CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
            FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()
        """)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER audit_event_no_replace")
    else:
        op.execute("DROP TRIGGER audit_event_no_truncate ON audit_event")
