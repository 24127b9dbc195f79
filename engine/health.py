"""`partnerflow doctor`'s engine: the secret key, the database and its migrations, then the channels
(engine/notifications/health.py). Each check is a Finding: what was looked at, ok / warn / fail,
what was found and how to fix it."""

from sqlalchemy import select

from partnerflow.engine.database import get_engine, transaction
from partnerflow.engine.notifications import Finding, channel_findings
from partnerflow.engine.settings import Settings
from partnerflow.models import Channel, DatabaseNotReady, head_revision, require_current


def health_findings(settings: Settings, *, timeout: float = 3.0) -> list[Finding]:
    """The secret key, the database, then (when it is ready) the channels people are reached on."""
    found = [_secret_key(settings), _database(settings)]
    if found[-1].status == "fail":
        return found
    with transaction(get_engine(settings.database_url)) as session:
        channels = session.execute(select(Channel.id, Channel.kind, Channel.address, Channel.secret)).all()
    return found + channel_findings(settings, channels, timeout=timeout)


def _secret_key(settings: Settings) -> Finding:
    if settings.environment == "production":  # the settings refuse a weak key in production
        return Finding("secret key", "ok", "set, and strong enough for production")
    return Finding("secret key", "warn", f"environment {settings.environment}: its strength is not checked",
                   "in production set PARTNERFLOW_ENVIRONMENT=production and a strong PARTNERFLOW_SECRET_KEY")


def _database(settings: Settings) -> Finding:
    try:
        require_current(get_engine(settings.database_url))
    except DatabaseNotReady as problem:
        return Finding("database", "fail", str(problem))  # its message says what to run
    return Finding("database", "ok", f"answers, at the code's migration {head_revision()}")
