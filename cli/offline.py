"""Environment Prefect must see before it is imported: no telemetry, no internet, quiet."""

import os


def prepare_prefect_environment() -> None:
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
    # the ephemeral server migrates a fresh PREFECT_HOME first: on a busy 2-core machine that
    # outlasts Prefect's 20 s default and the command would fail for no fault of its own
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


def run_flow(function, *args, **kwargs):
    """Run a flow of flows/ in this process (Prefect's ephemeral mode unless PREFECT_API_URL is set)."""
    prepare_prefect_environment()
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        return function(*args, **kwargs)
