"""The Alembic migrations, shipped as package data of partnerflow (found with importlib.resources)."""
