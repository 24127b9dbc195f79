"""Rendering (templates/) and, later, delivery channels."""

from partnerflow.notify.render import render_message
from partnerflow.notify.templating import environment, render

__all__ = ["environment", "render", "render_message"]
