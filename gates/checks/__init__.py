"""Check functions, registered by importing their modules."""

from partnerflow.gates.checks import alignment, execution, monitors  # noqa: F401  (registers the checks)
