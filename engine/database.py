"""The database of this process: one engine per URL, created on first use."""

from functools import lru_cache

from partnerflow.engine.settings import get_settings
from partnerflow.models import make_engine, require_current, upgrade
from sqlalchemy import Engine


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
