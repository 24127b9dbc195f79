"""The Jinja2 templates, shipped as package data of partnerflow (found with importlib.resources)."""
