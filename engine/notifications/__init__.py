"""Notifications: who is told what, the outbox, deadlines, dispatch, signed links, channels.

Notices go into the outbox in the transaction of the change that causes them (a review's are
held in one row per batch and composed when the outbox is next drained or listed); a dispatch
drains it. This wing imports only the base: the phases and the work call it.
"""

from partnerflow.engine.notifications.channels import (
    ChannelRefused,
    add_channel,
    channel_listing,
    remove_channel,
    reseal,
    secret_of,
    target_problem,
    write_channels,
)
from partnerflow.engine.notifications.deadlines import SweepReport, sweep
from partnerflow.engine.notifications.dispatch import DispatchReport, dispatch_all, dispatch_batch, drain
from partnerflow.engine.notifications.health import Finding, channel_findings
from partnerflow.engine.notifications.links import ActionLink, LinkRefused, consume_link, read_token, sign_token, usable_link, verify_link
from partnerflow.engine.notifications.held import compose_held, hold, notification_listing
from partnerflow.engine.notifications.notices import context_of, transitions_applied
from partnerflow.engine.notifications.outbox import Outgoing, enqueue, retry_notifications
from partnerflow.engine.notifications.resend import resend_task_link
from partnerflow.engine.notifications.signin import request_sign_in, session_of, sign_in, sign_in_link_for, sign_out

__all__ = [
    "ActionLink", "add_channel", "compose_held", "hold", "channel_listing", "ChannelRefused", "consume_link", "context_of", "dispatch_all",
    "dispatch_batch", "DispatchReport", "drain", "enqueue", "LinkRefused", "notification_listing", "Outgoing",
    "remove_channel", "reseal", "retry_notifications", "secret_of", "sweep", "SweepReport", "target_problem",
    "transitions_applied", "verify_link", "usable_link", "write_channels", "request_sign_in", "sign_in", "session_of", "sign_out", "sign_in_link_for",
    "sign_token", "read_token", "resend_task_link", "Finding", "channel_findings",
]
