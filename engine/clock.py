"""The one place that asks for the time.

`now` and `today` may be imported by name anywhere: they read the wall clock through
`_wall_clock` when called, which is what the tests freeze (tests/conftest.py), so a frozen
clock reaches every caller, however it imported them. `monotonic` is for how long something
has waited (a shard's run that stopped moving): seconds that never go back, never a date.
"""

import time
from datetime import UTC, date, datetime


def _wall_clock() -> datetime:
    return datetime.now(UTC)


def now() -> datetime:
    return _wall_clock()


def today() -> date:
    return now().date()


def monotonic() -> float:
    return time.monotonic()
