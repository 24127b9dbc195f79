"""What `partnerflow init` does: the schema at the current revision, then the stored credentials sealed.

Not part of the base (it reaches into the notifications wing for the channels); idempotent.
"""

from sqlalchemy import Engine

from partnerflow.engine.database import upgrade_database
from partnerflow.engine.notifications import reseal
from partnerflow.models import session_scope


def init_database(url: str | None = None) -> Engine:
    """Create or upgrade the schema, then seal the channel credentials an earlier version stored in
    plain text (engine/sealing.py)."""
    engine = upgrade_database(url)
    with session_scope(engine) as session:
        reseal(session)
    return engine
