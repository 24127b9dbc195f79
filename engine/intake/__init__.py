"""Intake: importing a portfolio (programs, parties, people, partnerships and their evidence).

An import is all-or-nothing: every document is read and validated, together and against
the database, before anything is written; on any error `InvalidDocument` names the file,
line and field of every one of them and nothing is written. The functions flush but never
commit: the caller owns the transaction. The format is described in docs/import-format.md.
"""

from partnerflow.engine.intake.apply import ImportSummary
from partnerflow.engine.intake.fields import FIRST_DAY, LAST_DAY
from partnerflow.engine.intake.imports import import_documents, import_files
from partnerflow.engine.intake.sections import EVIDENCE_SECTIONS, LIST_SECTIONS
from partnerflow.engine.intake.supply import may_change_evidence, supply_evidence

__all__ = ["ImportSummary", "import_documents", "import_files", "supply_evidence", "may_change_evidence",
           "EVIDENCE_SECTIONS", "LIST_SECTIONS", "FIRST_DAY", "LAST_DAY"]
