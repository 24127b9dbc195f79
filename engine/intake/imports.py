"""Importing documents: read, check whole, apply; nothing written unless all of it is good."""

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from partnerflow.engine import clock
from partnerflow.engine.intake.apply import ImportSummary, apply_reading
from partnerflow.engine.intake.check import check_reading
from partnerflow.engine.intake.existing import load_existing
from partnerflow.engine.intake.read import read_documents
from partnerflow.gates import MAX_DOCUMENT_BYTES, DocumentError, InvalidDocument


def import_files(session: Session, paths: Iterable[Path], *, actor: str = "import",
                 now: datetime | None = None) -> ImportSummary:
    """Import the YAML (.yaml, .yml) and CSV (.csv) files at `paths` as one import."""
    documents, unreadable = [], []
    for path in paths:
        try:
            documents.append((str(path), _read_bounded(Path(path))))
        except FileNotFoundError:
            unreadable.append(DocumentError(str(path), 1, "(document)", "file not found"))
        except OSError as exc:
            unreadable.append(DocumentError(str(path), 1, "(document)", f"cannot be read: {exc.strerror or exc}"))
    return _import(session, documents, actor, unreadable, now or clock.now())


def _read_bounded(path: Path) -> bytes:
    """The file's bytes, but never more than one byte past the largest document (refused when read)."""
    with path.open("rb") as file:
        return file.read(MAX_DOCUMENT_BYTES + 1)


def import_documents(session: Session, documents: Iterable[tuple[str, bytes]], *,
                     actor: str = "import", now: datetime | None = None) -> ImportSummary:
    """Import documents given as (source name, raw bytes); the name's suffix says YAML or CSV."""
    return _import(session, list(documents), actor, [], now or clock.now())


def _import(session: Session, documents: list[tuple[str, bytes]], actor: str,
            unreadable: list[DocumentError], now: datetime) -> ImportSummary:
    reading = read_documents(documents)
    if unreadable:
        reading.fail(unreadable)
    existing = load_existing(session, reading)
    errors = reading.errors + check_reading(reading, existing)
    if errors:
        raise InvalidDocument(errors)
    summary = apply_reading(session, reading, existing, actor, now=now)
    session.flush()
    return summary
