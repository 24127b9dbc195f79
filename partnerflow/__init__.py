"""Partnerflow: a workflow engine with phase-gated processes for business partnerships.

The one import name of the distribution. Its rooms live in the repository's top-level
folders (`gates/`, `models/`, `engine/`, `flows/`, `notify/`, `cli/`, and the data folders
`templates/`, `migrations/`, `examples/`), mapped under this package by pyproject.toml:
see docs/architecture.md.
"""

__version__ = "0.2.0"
