"""Rendering (templates/) and, later, delivery channels."""

from notify.render import render_message
from notify.templating import environment, render

__all__ = ["environment", "render", "render_message"]
