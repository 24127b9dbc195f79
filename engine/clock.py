"""The one place that asks for the time. Tests freeze `partnerflow.engine.clock.now` (tests/conftest.py)."""

from datetime import UTC, date, datetime


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return now().date()
