"""The dispatch flow: drain the notification outbox, batch by batch.

Retries of failed deliveries are rows with a due time (see engine/dispatch.py), not Prefect
retries: they must survive a crash and wait hours.
"""

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from engine import DispatchReport, dispatch_batch, get_engine, get_settings, ready_engine


@task(name="dispatch-batch", cache_policy=NO_CACHE)
def dispatch_one_batch() -> DispatchReport:
    return dispatch_batch(get_engine(), get_settings())


@flow(name="dispatch-notifications")
def dispatch_notifications(max_batches: int = 100) -> dict:
    """Deliver every notification that is due; report what was sent, retried later, or dead."""
    ready_engine()
    report = DispatchReport()
    for _ in range(max_batches):
        done = dispatch_one_batch()
        report += done
        if done.claimed == 0:
            break
    return report._asdict()
