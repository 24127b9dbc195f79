"""Checks across all documents of an import and against the database, before anything is written."""

from collections.abc import Callable, Iterator
from typing import Any

from partnerflow.engine.intake.existing import ENTITY_OF_REFERENCE, Existing
from partnerflow.engine.intake.read import KEY_FIELDS, Item, Reading
from partnerflow.engine.intake.schema import REQUIRED_ON_CREATE, Path, Shape, references
from partnerflow.engine.notifications import target_problem
from partnerflow.gates import DocumentError

ENTITY_LABELS = {"programs": "program", "parties": "party", "people": "person", "partnerships": "partnership"}
MOST_PER_IMPORT = 10_000  # of each kind of entity: keeps every statement of the import within the databases' limits

# lists whose entries must differ, by the fields that identify an entry (None: the entry itself)
UNIQUE_BY: dict[str, tuple[str, ...] | None] = {
    "members": ("person", "role"), "wins": ("party",), "agreements": ("reference",), "signatures": ("party",),
    "processes": ("name",), "owners": None, "stakeholders": ("person",), "metrics": ("key",),
    "measurements": ("period_end",),
}


def check_reading(reading: Reading, existing: Existing) -> list[DocumentError]:
    errors = list(too_many(reading)) + list(duplicate_entities(reading))
    for item in reading.items["people"]:
        errors += channel_errors(item)
    for item in first_occurrences(reading.items["partnerships"]):  # a repeat is reported as such, once
        errors += partnership_errors(item, existing)
        errors += repeated_entries(item, item.shape, ())
    if reading.complete:  # references may point into a file that could not be read: check them later
        errors += unknown_references(reading, existing)
    partial = [item for items in reading.items.values() for item in items if item.unread]
    return [error for error in errors if not any(item.repeats(error) for item in partial)]


def too_many(reading: Reading) -> Iterator[DocumentError]:
    for entity, items in reading.items.items():
        if len(items) > MOST_PER_IMPORT:
            yield items[MOST_PER_IMPORT].error((), f"more than {MOST_PER_IMPORT:,} {entity} in one import: "
                                                   "import the rest separately")


def duplicate_entities(reading: Reading) -> Iterator[DocumentError]:
    for entity, items in reading.items.items():
        field = KEY_FIELDS[entity]
        first: dict[str, Item] = {}
        for item in items:
            key = getattr(item.shape, field)
            if key in first:
                yield item.error((field,), f"duplicate {ENTITY_LABELS[entity]} {key!r}: also at "
                                           f"{first[key].place((field,))}")
            else:
                first[key] = item


def first_occurrences(items: list[Item]) -> list[Item]:
    firsts: dict[str, Item] = {}
    for item in items:
        firsts.setdefault(item.shape.key, item)
    return list(firsts.values())


def unknown_references(reading: Reading, existing: Existing) -> Iterator[DocumentError]:
    for items in reading.items.values():
        for item in items:
            for path, kind, key in references(item.shape):
                entity = ENTITY_OF_REFERENCE[kind]
                if key not in reading.declared[entity] and not existing.knows(entity, key):
                    yield item.error(path, f"unknown {kind} {key!r}: not in this import nor in the database")


def partnership_errors(item: Item, existing: Existing) -> Iterator[DocumentError]:
    shape, current = item.shape, existing.partnership(item.shape.key)
    if current is None:
        for name in REQUIRED_ON_CREATE:
            if getattr(shape, name) is None:
                yield item.error((name,), "required field is missing (the partnership is new)")
    else:
        yield from _phase_kept(item, current)
    parties = set(shape.parties or ()) or (set(existing.parties_of.get(current.id, {})) if current else set())
    if parties and shape.evidence is not None:
        for path, kind, key in references(shape.evidence, ("evidence",)):
            if kind == "party" and key not in parties:
                yield item.error(path, f"party {key!r} is not a party of the partnership "
                                       f"({', '.join(sorted(parties))})")


def _phase_kept(item: Item, current: Any) -> Iterator[DocumentError]:
    shape = item.shape
    if shape.phase is not None and shape.phase != current.phase:
        yield item.error(("phase",), "the phase of an existing partnership changes only through reviews and "
                                     f"decisions (it is {current.phase})")
    if shape.phase_since is not None and shape.phase_since != current.phase_since:
        yield item.error(("phase_since",), "phase_since of an existing partnership changes only with its phase "
                                           f"(it is {current.phase_since})")


def repeated_entries(item: Item, shape: Shape, path: Path) -> Iterator[DocumentError]:
    """Entries given twice in a list that must not repeat (two wins of one party, ...)."""
    for name in type(shape).model_fields:
        value = getattr(shape, name)
        if isinstance(value, Shape):
            yield from repeated_entries(item, value, path + (name,))
        elif isinstance(value, tuple):
            if name in UNIQUE_BY:
                yield from _repeats(item, value, path + (name,), UNIQUE_BY[name])
            for index, entry in enumerate(value):
                if isinstance(entry, Shape):
                    yield from repeated_entries(item, entry, path + (name, index))


def _repeats(item: Item, entries: tuple, path: Path, fields: tuple[str, ...] | None) -> Iterator[DocumentError]:
    identify: Callable[[Any], Any] = (lambda e: e) if fields is None else (
        lambda e: tuple(getattr(e, f) for f in fields))
    seen: dict[Any, int] = {}
    for index, entry in enumerate(entries):
        value = identify(entry)
        if value not in seen:
            seen[value] = index
            continue
        where = path + (index,) + ((fields[-1],) if fields else ())
        shown = value if fields is None else ", ".join(str(v) for v in value)
        yield item.error(where, f"{shown} is given twice in {path[-1]} (first at line "
                                f"{item.located.line_of(item.path + path + (seen[value],))})")


def channel_errors(item: Item) -> Iterator[DocumentError]:
    """Every channel's target is checked when it is configured: public http(s), a signing secret…"""
    for index, channel in enumerate(item.shape.channels or ()):
        address = channel.address or (item.shape.email if channel.kind == "email" else "")
        problem = target_problem(channel.kind, address, channel.secret)
        if problem:
            yield item.error(("channels", index, "address"), problem)
    yield from _repeats(item, tuple(item.shape.channels or ()), ("channels",), ("kind", "address"))
