"""What Prefect must find in the environment before it is imported: no telemetry, no internet, quiet.

Set once, by the flows' face, before any flow module imports Prefect. Values already in the
environment win.
"""

import logging
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


# Prefect's background services log under their class names, outside the `prefect` loggers that
# PREFECT_LOGGING_LEVEL governs. At the end of a command the events worker says it is "still
# processing items" while it sends the run's events: its own progress, printed as a WARNING under
# a person's `partnerflow review`. Its errors still show.
QUIET_SERVICES = ("EventsWorker",)


def prepare_prefect_environment() -> None:
    for name, value in DEFAULTS.items():
        os.environ.setdefault(name, value)
    for service in QUIET_SERVICES:
        logging.getLogger(service).setLevel(logging.ERROR)
