"""The database of this process: one engine per URL, created on first use."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine
from sqlmodel import Session

from partnerflow.engine.settings import get_settings
from partnerflow.models import make_engine, require_current, session_scope, upgrade


@lru_cache(maxsize=4)
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine(url: str | None = None) -> Engine:
    return _engine_for(url or get_settings().database_url)


def ready_engine(url: str | None = None) -> Engine:
    """The engine, after checking the database answers and is at the current schema."""
    engine = get_engine(url)
    require_current(engine)
    return engine


def upgrade_database(url: str | None = None) -> Engine:
    """Create or upgrade the schema; idempotent."""
    engine = get_engine(url)
    upgrade(engine)
    return engine


@contextmanager
def transaction(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work on the ready database (or `engine`): committed at the end, rolled back on error.

    What the other rooms use instead of opening sessions of their own."""
    with session_scope(engine or ready_engine()) as session:
        yield session
