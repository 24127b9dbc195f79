"""The one place that asks for the time. Tests patch `engine.clock.now`."""

from datetime import UTC, date, datetime


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return now().date()
