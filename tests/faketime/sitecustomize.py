"""Loaded (through PYTHONPATH) only when `make test-later` runs the suite under Debian's faketime.

libfaketime 0.9.10 must leave the monotonic clock alone (FAKETIME_DONT_FAKE_MONOTONIC=1), or
every timed wait on a lock or condition sleeps for the 400 days it adds; but then its
clock_nanosleep wrapper answers EINVAL to the absolute monotonic deadline that Python's
`time.sleep` asks for. A sleep through select() keeps the same meaning without that call.
The wall clock (what the suite must not depend on) stays moved.
"""

import select
import time


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    select.select([], [], [], seconds)


time.sleep = _sleep
