"""Reading import documents: YAML and CSV text into validated shapes, each with its place.

Every entity is validated on its own, so one bad item does not hide the errors of the
others, and the keys of invalid items are still known (a reference to them is not
reported as unknown as well).
"""

import csv
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from pydantic import ValidationError

from partnerflow.engine.intake.schema import ENTITY_SHAPES, Shape
from partnerflow.gates import (
    UNREADABLE,
    DocumentError,
    InvalidDocument,
    Located,
    decode,
    field_name,
    parse_yaml,
)

KEY_FIELDS = {"programs": "key", "parties": "key", "people": "email", "partnerships": "key"}
CSV_COLUMNS = ("key", "name", "kind", "program", "parties", "phase", "phase_since", "sponsor", "owner")
MOST_CSV_ROWS = 10_000


@dataclass(frozen=True)
class Item:
    """A validated entity and where it was written."""

    shape: Any  # a Shape
    located: Located
    path: tuple[str | int, ...]
    unread: frozenset[str] = frozenset()  # fields left out: their own errors are reported already

    def repeats(self, error: DocumentError) -> bool:
        """True for an error about a field left out: its own error was given already."""
        if error.source != self.located.source:
            return False
        for name in self.unread:
            field = field_name(self.path + (name,))
            if error.field == field or error.field.startswith((field + ".", field + "[")):
                return True
        return False

    def error(self, sub: Sequence[str | int], message: str) -> DocumentError:
        return self.located.error(self.path + tuple(sub), message)

    def place(self, sub: Sequence[str | int] = ()) -> str:
        return f"{self.located.source}:{self.located.line_of(self.path + tuple(sub))}"


@dataclass
class Reading:
    """Everything read from the documents of one import, and the errors found so far."""

    items: dict[str, list[Item]] = field(default_factory=lambda: {kind: [] for kind in ENTITY_SHAPES})
    declared: dict[str, set[str]] = field(default_factory=lambda: {kind: set() for kind in ENTITY_SHAPES})
    errors: list[DocumentError] = field(default_factory=list)
    complete: bool = True  # False when a document (or a part of one) could not be read at all
    sources: list[str] = field(default_factory=list)

    def add(self, kind: str, raw: Any, located: Located, path: tuple[str | int, ...]) -> None:
        key = raw.get(KEY_FIELDS[kind]) if isinstance(raw, dict) else None
        if isinstance(key, str):
            self.declared[kind].add(key)
        elif raw is UNREADABLE or key is UNREADABLE:
            self.complete = False  # an entity whose key is unknown: references to it cannot be checked
        try:
            shape: Shape = ENTITY_SHAPES[kind].model_validate(raw)
        except ValidationError as exc:
            self.errors += located.errors_from(exc, path)
            self._add_the_rest(kind, raw, located, path, exc)
            return
        self.items[kind].append(Item(shape, located, path))

    def _add_the_rest(self, kind: str, raw: Any, located: Located, path: tuple[str | int, ...],
                      exc: ValidationError) -> None:
        """An entity with a field in error is still checked in its other fields (references, what a new
        one needs), so one error hides no other; the import fails anyway, so it is never written."""
        unread = frozenset(str(e["loc"][0]) for e in exc.errors() if e["loc"])
        if not isinstance(raw, dict) or not unread:
            return
        try:
            rest = ENTITY_SHAPES[kind].model_validate({k: v for k, v in raw.items() if k not in unread})
        except ValidationError:
            return
        self.items[kind].append(Item(rest, located, path, unread))

    def fail(self, errors: Iterable[DocumentError]) -> None:
        self.errors += errors
        self.complete = False


def read_documents(documents: Iterable[tuple[str, bytes]]) -> Reading:
    reading = Reading()
    for source, raw in documents:
        reading.sources.append(source)
        try:
            read_document(reading, source, raw)
        except InvalidDocument as exc:
            reading.fail(exc.errors)
    return reading


def read_document(reading: Reading, source: str, raw: bytes) -> None:
    suffix = PurePath(source).suffix.lower()
    reader = READERS.get(suffix)
    if reader is None:
        message = f"unknown file type {suffix or '(none)'!r}: expected .yaml, .yml or .csv"
        raise InvalidDocument([DocumentError(source, 1, "(document)", message)])
    reader(reading, source, decode(source, raw))


def read_yaml(reading: Reading, source: str, text: str) -> None:
    """Every error of the document is reported: a value that cannot be read is an error of its own."""
    document = parse_yaml(source, text, strict=False)
    reading.errors += document.errors
    if not isinstance(document.data, dict):
        if document.data is not UNREADABLE:
            reading.fail([document.error((), "expected a mapping of " + ", ".join(ENTITY_SHAPES))])
        reading.complete = False
        return
    for kind, entries in document.data.items():
        if entries is UNREADABLE:
            reading.complete = False
        elif kind not in ENTITY_SHAPES:
            reading.fail([document.error((kind,), "unknown field (expected " + ", ".join(ENTITY_SHAPES) + ")")])
        elif not isinstance(entries, list):
            reading.fail([document.error((kind,), "expected a list")])
        else:
            for index, raw in enumerate(entries):
                reading.add(kind, raw, document, (kind, index))


def read_csv(reading: Reading, source: str, text: str) -> None:
    """Partnerships, one a row; the header (line 1) names the columns, in any order."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise InvalidDocument([DocumentError(source, 1, "(document)", "the file is empty")])
    rows = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(rows)]
        _check_header(source, header)
        start, lines = rows.line_num + 1, []
        for count, cells in enumerate(rows, 1):  # the whole file is parsed (it is at most 4 MB) before a row is read:
            lines.append((start, cells))        # one beyond the limit makes it unreadable, with that one error
            start = rows.line_num + 1
            if count > MOST_CSV_ROWS:
                raise InvalidDocument([DocumentError(source, lines[-1][0], "(document)", f"more than "
                                                     f"{MOST_CSV_ROWS:,} rows in one CSV file: split it into several files")])
        for line, cells in lines:
            _read_row(reading, source, header, cells, line)
    except csv.Error as exc:
        raise InvalidDocument([DocumentError(source, rows.line_num, "(document)", f"CSV error: {exc}")]) from None


def _check_header(source: str, header: list[str]) -> None:
    expected = "expected some of " + ", ".join(CSV_COLUMNS)
    if len(header) > 2 * len(CSV_COLUMNS):
        raise InvalidDocument([DocumentError(source, 1, "(header)", f"{len(header):,} columns ({expected})")])
    errors = [DocumentError(source, 1, field_name([name]) if name else "(header)", f"unknown column ({expected})")
              for name in header if name not in CSV_COLUMNS]
    errors += [DocumentError(source, 1, field_name([name]), "column given twice")
               for name, count in sorted(Counter(header).items()) if count > 1]
    if "key" not in header:
        errors.append(DocumentError(source, 1, "key", "the required column is missing"))
    if errors:
        raise InvalidDocument(errors)


def _read_row(reading: Reading, source: str, header: list[str], cells: list[str], line: int) -> None:
    if not any(cell.strip() for cell in cells):
        return  # a blank line
    if len(cells) > len(header):
        reading.fail([DocumentError(source, line, "(row)",
                                    f"{len(cells)} cells, but the header names {len(header)} columns")])
        return
    row: dict[str, Any] = {name: cell.strip() for name, cell in zip(header, cells) if cell.strip()}
    if "parties" in row:
        row["parties"] = [key.strip() for key in row["parties"].split(";") if key.strip()]
    located = Located(source, row, {(): line, **{(name,): line for name in row}})
    reading.add("partnerships", row, located, ())


READERS = {".yaml": read_yaml, ".yml": read_yaml, ".csv": read_csv}
