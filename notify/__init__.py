"""Rendering notifications with templates/ (a Message per channel) and, in notify.channels, delivering them."""

from partnerflow.notify.rendering import render_message
from partnerflow.notify.templating import environment, render

__all__ = ["environment", "render", "render_message"]
