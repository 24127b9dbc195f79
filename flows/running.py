"""Running a flow in this process (the CLI's way): Prefect's ephemeral mode unless PREFECT_API_URL is set."""

from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings


def run_in_process(flow, *args, **kwargs):
    """Call `flow` here, without the heartbeat thread a synchronous flow otherwise waits for on exit (~1 s)."""
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        return flow(*args, **kwargs)
