"""The database of this process: one engine per URL, created on first use."""

from functools import lru_cache

from sqlalchemy import Engine

from partnerflow.engine.channels import reseal
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


def init_database(url: str | None = None) -> Engine:
    """Create or upgrade the schema, then seal the channel credentials an earlier version stored in
    plain text (engine/sealing.py); idempotent."""
    engine = get_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        reseal(session)
    return engine
