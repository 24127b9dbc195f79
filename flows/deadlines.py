"""The deadline sweep: reminders, escalations and digests that fell due."""

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from partnerflow.engine import SweepReport, get_engine, get_settings, policy_in_force, ready_engine, sweep, transaction
from partnerflow.flows.events import announce_overdue


@task(name="sweep-deadlines", cache_policy=NO_CACHE)
def sweep_once() -> SweepReport:
    with transaction(get_engine()) as session:
        return sweep(session, policy_in_force(get_settings().policy_path))


@flow(name="sweep-deadlines")
def sweep_deadlines() -> dict:
    """Put the reminders, escalations and digests due now in the outbox; announce the tasks overdue."""
    ready_engine()
    report = sweep_once()
    announce_overdue(report.overdue)
    return {"reminded": report.reminded, "escalated": report.escalated, "digests": report.digests}
