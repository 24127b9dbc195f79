"""Evidence from one person for one partnership: the web's task page and the API's evidence calls.

The sections are checked and written by the import itself (the same shapes, the same located
errors, all-or-nothing), wrapped in a one-partnership document; an error's line and field are
given back as the person wrote them. Who may: the partnership's owner, sponsor and members, and
the program office (program managers of our own parties).
"""

from datetime import datetime
from textwrap import indent

from sqlalchemy import select
from sqlmodel import Session

from partnerflow.engine.access import AccessRefused, actor
from partnerflow.engine.intake.apply import ImportSummary
from partnerflow.engine.intake.imports import import_documents
from partnerflow.engine.lookup import partnership_by_key, person_by_email
from partnerflow.gates import MAX_DOCUMENT_BYTES, DocumentError, InvalidDocument
from partnerflow.models import Member

HEAD = "partnerships:\n- key: {key}\n  evidence:\n"
PREFIX = "partnerships[0].evidence."


def may_change_evidence(session: Session, key: str, email: str) -> bool:
    partnership, person = partnership_by_key(session, key), person_by_email(session, email)
    if person.id in (partnership.owner_id, partnership.sponsor_id):
        return True
    who = actor(session, person.id)
    if who.internal and "program_manager" in who.roles:
        return True
    member = session.execute(select(Member.id).where(Member.partnership_id == partnership.id,
                                                     Member.person_id == person.id).limit(1)).first()
    return member is not None


def supply_evidence(session: Session, key: str, text: str, *, by: str, now: datetime,
                    source: str = "evidence") -> ImportSummary:
    """Write the evidence sections in `text` (YAML or JSON: a mapping of section to entries) for the
    partnership `key`, as `by`. A section given replaces that section's rows. Flushes; the caller commits."""
    if not may_change_evidence(session, key, by):
        raise AccessRefused(f"{by} may not change the evidence of {key}: only its owner, sponsor and members, "
                            "and the program office")
    lines = text.replace("\r\n", "\n").split("\n")
    if len(text.encode()) > MAX_DOCUMENT_BYTES:
        raise InvalidDocument([DocumentError(source, 1, "(document)", f"larger than {MAX_DOCUMENT_BYTES} bytes")])
    marker = next((n for n, line in enumerate(lines, 1) if line.startswith(("---", "..."))), None)
    if marker is not None or not text.strip():
        raise InvalidDocument([DocumentError(source, marker or 1, "(document)",
                                             "give the evidence sections as one mapping (no document markers)")])
    document = HEAD.format(key=key) + indent("\n".join(lines), "    ", lambda line: True)
    try:
        return import_documents(session, [(f"{source}.yaml", document.encode())], actor=by, now=now)
    except InvalidDocument as invalid:
        raise InvalidDocument([_as_written(error, source) for error in invalid.errors]) from None


def _as_written(error: DocumentError, source: str) -> DocumentError:
    line = max(1, error.line - HEAD.count("\n"))
    field = error.field.removeprefix(PREFIX)
    return DocumentError(source, line, "(document)" if field.startswith("partnerships") or not field else field,
                         error.message)
