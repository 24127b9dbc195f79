"""Rendering notifications with templates/ (a Message per channel) and, in notify.channels, delivering them."""

from partnerflow.notify.channels import CheckedClient, SmtpSettings, check_smtp, deliver_all
from partnerflow.notify.message import CHANNELS, EVENTS, TASK_EVENTS, Delivery, Message, Target
from partnerflow.notify.rendering import render_message
from partnerflow.notify.targets import InvalidTarget, validate_target
from partnerflow.notify.templating import environment, render

__all__ = [
    "CHANNELS", "EVENTS", "TASK_EVENTS", "CheckedClient", "Delivery", "InvalidTarget", "Message", "SmtpSettings",
    "Target", "check_smtp", "deliver_all", "environment", "render", "render_message", "validate_target",
]
