"""Writing a validated import: upserts by key, sections replaced, one audit event per partnership.

Inserts are batched (one statement per table, ids returned in order); an entity or section
equal to what is stored is not written at all.
"""

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Row, Table, insert, update
from sqlmodel import Session

from partnerflow.engine import audit
from partnerflow.engine.intake.existing import Existing
from partnerflow.engine.intake.read import KEY_FIELDS, Item, Reading
from partnerflow.engine.intake.schema import PartnershipIn
from partnerflow.engine.intake.sections import (
    EVIDENCE_SECTIONS,
    SECTIONS,
    Ids,
    Record,
    given_sections,
    load_records,
    records_of,
    replace_records,
    row_of,
)
from partnerflow.engine.notifications import write_channels
from partnerflow.models import Partnership, Party, Person, Program

PARTNERSHIP_FIELDS = ("name", "kind", "program", "sponsor", "owner")  # may change on an existing partnership
ENTITIES = (("programs", Program, "program"), ("parties", Party, "party"), ("people", Person, "person"))


class ImportSummary(NamedTuple):
    """What an import changed; entities equal to what was stored are not counted."""

    programs_created: int = 0
    programs_updated: int = 0
    parties_created: int = 0
    parties_updated: int = 0
    people_created: int = 0
    people_updated: int = 0
    partnerships_created: int = 0
    partnerships_updated: int = 0
    sections_replaced: int = 0

    def __str__(self) -> str:
        created = _counts(self.programs_created, self.parties_created, self.people_created, self.partnerships_created)
        updated = _counts(self.programs_updated, self.parties_updated, self.people_updated, self.partnerships_updated)
        parts = [f"created {created}" if created else "", f"updated {updated}" if updated else "",
                 _plural(self.sections_replaced, "evidence section", "evidence sections", "replaced ")]
        return "; ".join(part for part in parts if part) or "nothing changed: everything was already recorded"


def _plural(count: int, one: str, many: str, verb: str = "") -> str:
    return f"{verb}{count} {one if count == 1 else many}" if count else ""


def _counts(programs: int, parties: int, people: int, partnerships: int) -> str:
    words = (_plural(programs, "program", "programs"), _plural(parties, "party", "parties"),
             _plural(people, "person", "people"), _plural(partnerships, "partnership", "partnerships"))
    return ", ".join(word for word in words if word)


class Change(NamedTuple):
    """A partnership created or changed by the import."""

    partnership_id: int
    key: str
    created: bool
    fields: list[str]
    sections: list[str]


def apply_reading(session: Session, reading: Reading, existing: Existing, actor: str, *,
                  now: datetime) -> ImportSummary:
    ids: Ids = {kind: {key: row.id for key, row in existing.rows[entity].items()} for entity, _model, kind in ENTITIES}
    counts: dict[str, int] = {}
    for entity, model, kind in ENTITIES:  # in this order: people refer to parties
        created, updated = upsert(session, model.__table__, KEY_FIELDS[entity], reading.items[entity],
                                  existing.rows[entity], ids, kind)
        counts[f"{entity}_created"], counts[f"{entity}_updated"] = created, updated
    if counts["parties_updated"] or counts["people_updated"]:
        audit.evidence_changed(session, None)  # a party's name or a person's party: read by many partnerships
    for item in reading.items["people"]:
        if item.shape.channels is not None:
            write_channels(session, ids["person"][item.shape.email], [
                {"kind": c.kind, "address": c.address or (item.shape.email if c.kind == "email" else ""),
                 "secret": c.secret, "digest": c.digest} for c in item.shape.channels], now=now)
    changes = write_partnerships(session, reading.items["partnerships"], existing, ids, now=now)
    counts["partnerships_created"] = sum(1 for c in changes if c.created)
    counts["partnerships_updated"] = sum(1 for c in changes if not c.created)
    counts["sections_replaced"] = sum(1 for c in changes for s in c.sections if s in EVIDENCE_SECTIONS)
    summary = ImportSummary(**counts)
    record_audit(session, changes, summary, reading.sources, actor, now=now)
    return summary


def upsert(session: Session, table: Table, key: str, items: list[Item], stored: dict[str, Row], ids: Ids,
           kind: str) -> tuple[int, int]:
    """Insert the new entities, update the changed ones (only the fields given); count both.

    The ids of the new entities are added to `ids[kind]`."""
    new: list[dict[str, Any]] = []
    updated = 0
    for item in items:
        current = stored.get(getattr(item.shape, key))
        if current is None:
            new.append(row_of(item.shape, ids))
            continue
        given = row_of(item.shape, ids, item.shape.model_fields_set)
        changed = {column: value for column, value in given.items() if current._mapping[column] != value}
        if changed:
            session.execute(update(table).where(table.c.id == current.id).values(**changed))
            updated += 1
    ids[kind].update(zip((row[key] for row in new), insert_returning_ids(session, table, new)))
    return len(new), updated


def insert_returning_ids(session: Session, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    if not rows:
        return []
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.execute(statement, rows).scalars())


def partnership_values(shape: PartnershipIn, ids: Ids) -> dict[str, Any]:
    """The columns of the partnership fields given, references resolved to ids."""
    return row_of(shape, ids, {name for name in PARTNERSHIP_FIELDS if getattr(shape, name) is not None})


def write_partnerships(session: Session, items: list[Item], existing: Existing, ids: Ids, *,
                       now: datetime) -> list[Change]:
    table = Partnership.__table__
    new = [item.shape for item in items if existing.partnership(item.shape.key) is None]
    today = now.date()
    rows = [{**partnership_values(shape, ids), "key": shape.key, "kind": shape.kind or "other",
             "phase": shape.phase or "alignment", "phase_since": shape.phase_since or today, "state": "active",
             "version": 1, "cycle": 1, "created_at": now} for shape in new]
    partnership_ids = {shape.key: pid for shape, pid in zip(new, insert_returning_ids(session, table, rows))}
    fields: dict[str, list[str]] = {}
    for item in items:
        current = existing.partnership(item.shape.key)
        if current is not None:
            partnership_ids[item.shape.key] = current.id
            fields[item.shape.key] = update_partnership(session, item.shape, current, ids)
    sections = write_sections(session, [item.shape for item in items], partnership_ids, existing, ids)
    return [Change(partnership_ids[s.key], s.key, s.key not in fields, fields.get(s.key, []), sections[s.key])
            for s in (item.shape for item in items) if s.key not in fields or fields[s.key] or sections[s.key]]


def update_partnership(session: Session, shape: PartnershipIn, current: Row, ids: Ids) -> list[str]:
    changed = {c: v for c, v in partnership_values(shape, ids).items() if current._mapping[c] != v}
    if changed:
        table = Partnership.__table__
        session.execute(update(table).where(table.c.id == current.id).values(**changed))
    return sorted(changed)


def write_sections(session: Session, shapes: list[PartnershipIn], partnership_ids: dict[str, int],
                   existing: Existing, ids: Ids) -> dict[str, list[str]]:
    """Replace every section given that differs from what is stored; the names replaced, by key."""
    given = {shape.key: given_sections(shape) for shape in shapes}
    stored_ids = {key: row.id for key, row in existing.rows["partnerships"].items()}
    replaced: dict[str, list[str]] = {shape.key: [] for shape in shapes}
    for name, section in SECTIONS.items():
        wanted = {key: records_of(name, sections[name], ids) for key, sections in given.items() if name in sections}
        if not wanted:
            continue
        stored_keys = [stored_ids[key] for key in wanted if key in stored_ids]
        stored = load_records(session, name, stored_keys) if stored_keys else {}
        changed: dict[int, list[Record]] = {}
        for key, records in wanted.items():
            pid = partnership_ids[key]
            if section.canonical(records) != section.canonical(stored.get(pid, [])):
                changed[pid] = records
                replaced[key].append(name)
        if changed:
            replace_records(session, name, changed)
    return replaced


def record_audit(session: Session, changes: list[Change], summary: ImportSummary, sources: list[str],
                 actor: str, *, now: datetime) -> None:
    events: list[dict[str, Any]] = []
    for change in changes:
        data = {"key": change.key, "sections": change.sections}
        if not change.created:
            data["fields"] = change.fields
        kind = "partnership.created" if change.created else "partnership.imported"
        events.append({"kind": kind, "actor": actor, "partnership_id": change.partnership_id, "data": data})
    if any(summary):
        events.append({"kind": "import.applied", "actor": actor, "partnership_id": None,
                       "data": {"sources": sources, **summary._asdict()}})
    audit.record_many(session, events, at=now)
