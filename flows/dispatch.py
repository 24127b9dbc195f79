"""The dispatch flow: drain the notification outbox, batch by batch.

Retries of failed deliveries are rows with a due time (see engine/notifications/dispatch.py), not Prefect
retries: they must survive a crash and wait hours.
"""

from prefect import flow, task
from prefect.blocks.system import Secret
from prefect.cache_policies import NO_CACHE
from pydantic import SecretStr

from partnerflow.engine import DispatchReport, Settings, dispatch_batch, drain, get_engine, get_settings, ready_engine


def settings_with_secrets() -> Settings:
    """The settings, with the SMTP password from a Prefect Secret block when one is named."""
    settings = get_settings()
    if settings.smtp_password_block:
        password = Secret.load(settings.smtp_password_block).get()
        settings = settings.model_copy(update={"smtp_password": SecretStr(password)})
    return settings


@task(name="dispatch-batch", cache_policy=NO_CACHE)
def dispatch_one_batch() -> DispatchReport:
    return dispatch_batch(get_engine(), settings_with_secrets())


@flow(name="dispatch-notifications")
def dispatch_notifications(max_batches: int = 100) -> dict:
    """Deliver every notification that is due; report what was sent, retried later, or dead."""
    ready_engine()
    return drain(dispatch_one_batch, max_batches=max_batches)._asdict()
