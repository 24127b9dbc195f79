"""What Prefect must find in the environment before it is imported: no telemetry, no internet, quiet.

Set once, by the flows' face, before any flow module imports Prefect. Values already in the
environment win.
"""

import os

DEFAULTS = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_TO_API_ENABLED": "false",
    # the ephemeral server migrates a fresh PREFECT_HOME first: on a busy 2-core machine that
    # outlasts Prefect's 20 s default and a command would fail for no fault of its own
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


def prepare_prefect_environment() -> None:
    for name, value in DEFAULTS.items():
        os.environ.setdefault(name, value)
