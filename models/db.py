"""Engines and sessions from a URL the caller gives; the schema's migrations.

SQLite gets WAL, foreign keys and a busy timeout on every connection, and sqlite3's converters
for the columns a batch's reads label (`models.reads`). Functions here never read
settings: the URL comes from the caller.
"""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from partnerflow.models.core import UTCDateTime

MIGRATIONS = Path(str(files("partnerflow.migrations")))  # package data: the same in a checkout and a wheel


class DatabaseNotReady(Exception):
    """The database does not answer, or its schema is missing or out of date."""


def _timestamp(raw: bytes) -> datetime:
    return UTCDateTime().process_result_value(datetime.fromisoformat(raw.decode()), None)


# what SQLAlchemy makes of these types' stored text, for a column labelled `name [pf_date]` (and only
# such a column: the connections parse column names, not declared types)
sqlite3.register_converter("pf_date", lambda raw: date.fromisoformat(raw.decode()))
sqlite3.register_converter("pf_bool", lambda raw: raw != b"0")
sqlite3.register_converter("pf_timestamp", _timestamp)


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "detect_types": sqlite3.PARSE_COLNAMES}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed at the end of the block, or rolled back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _alembic_config(engine: Engine):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema; running it twice changes nothing."""
    from alembic import command

    command.upgrade(_alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    command.downgrade(_alembic_config(engine), revision)


def exists_on(dialect: str):
    """Alembic's `include_object` for a database of `dialect`: the models' objects built there. An
    index declared for one dialect only (`Index(...).ddl_if(dialect=...)`) is not expected on the
    others; Alembic's comparison does not read `ddl_if` itself."""
    def include(obj, name, type_, reflected, compare_to) -> bool:
        condition = getattr(obj, "_ddl_if", None)
        return reflected or condition is None or condition.dialect in (None, dialect)
    return include


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest migration of the code (read once per process)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(None)).get_current_head()


def require_current(engine: Engine) -> None:
    """Raise DatabaseNotReady unless the database answers and its schema is at head.

    A SQLite file that does not exist is not created by asking (connecting would leave an empty one)."""
    missing = _missing_sqlite_file(engine)
    if missing is not None:
        raise DatabaseNotReady(f"there is no database at {missing}: run `partnerflow init`")
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                raise DatabaseNotReady(f"the database {engine.url!r} is not initialized: run `partnerflow init`")
            current = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseNotReady(f"the database {engine.url!r} does not answer: {reason}") from None
    if current != head_revision():
        raise DatabaseNotReady(
            f"the database schema is at {current}, the code expects {head_revision()}: run `partnerflow init`"
        )


def _missing_sqlite_file(engine: Engine) -> str | None:
    """The path of a SQLite database file that does not exist yet, or None."""
    database = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not database or database == ":memory:" \
            or database.startswith("file:"):
        return None
    return None if Path(database).exists() else database
