"""Check functions, registered by importing their modules."""

from gates.checks import alignment, execution, monitors  # noqa: F401  (registers the checks)
