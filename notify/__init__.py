"""Rendering (templates/) and, later, delivery channels."""

from notify.templating import environment, render

__all__ = ["environment", "render"]
