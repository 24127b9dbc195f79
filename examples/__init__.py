"""The sample portfolio the demo imports, shipped as package data of partnerflow (found with importlib.resources)."""
