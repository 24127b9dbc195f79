"""The deadline sweep: reminders, escalations and digests that fell due."""

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from partnerflow.engine import get_engine, get_settings, policy_in_force, ready_engine, sweep, transaction


@task(name="sweep-deadlines", cache_policy=NO_CACHE)
def sweep_once() -> dict:
    with transaction(get_engine()) as session:
        return sweep(session, policy_in_force(get_settings().policy_path))._asdict()


@flow(name="sweep-deadlines")
def sweep_deadlines() -> dict:
    """Put the reminders, escalations and digests due now in the outbox."""
    ready_engine()
    return sweep_once()
