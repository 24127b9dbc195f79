"""What the database already holds of the entities an import names: one query per table (per thousand keys).

Only keys and emails of a valid shape are looked up: the others are errors already, and
may hold what a database refuses (a NUL character, a lone surrogate).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, select
from sqlmodel import Session

from partnerflow.engine.intake.fields import is_email, is_key
from partnerflow.engine.intake.read import KEY_FIELDS, Reading
from partnerflow.engine.intake.schema import references
from partnerflow.models import Partnership, PartnershipParty, Party, Person, Program

ENTITY_OF_REFERENCE = {"program": "programs", "party": "parties", "person": "people", "partnership": "partnerships"}
TABLES = {"programs": Program, "parties": Party, "people": Person, "partnerships": Partnership}
KEYS_PER_QUERY = 1000  # well within every database's limit on parameters of one statement


@dataclass
class Existing:
    """Rows by key (people by email), and each existing partnership's parties as {key: id}."""

    rows: dict[str, dict[str, Row]] = field(default_factory=dict)
    parties_of: dict[int, dict[str, int]] = field(default_factory=dict)

    def knows(self, entity: str, key: str) -> bool:
        return key in self.rows[entity]

    def partnership(self, key: str) -> Row | None:
        return self.rows["partnerships"].get(key)


def wanted_keys(reading: Reading) -> dict[str, set[str]]:
    """The keys of every entity the documents declare or refer to, those of a valid shape."""
    wanted = {entity: set(keys) for entity, keys in reading.declared.items()}
    for items in reading.items.values():
        for item in items:
            for _path, kind, key in references(item.shape):
                wanted[ENTITY_OF_REFERENCE[kind]].add(key)
    return {entity: {key for key in keys if (is_email if entity == "people" else is_key)(key)}
            for entity, keys in wanted.items()}


def batches(values: list, size: int = KEYS_PER_QUERY) -> list[list]:
    return [values[start:start + size] for start in range(0, len(values), size)]


def load_existing(session: Session, reading: Reading) -> Existing:
    existing = Existing()
    for entity, keys in wanted_keys(reading).items():
        existing.rows[entity] = _rows_by_key(session, TABLES[entity], KEY_FIELDS[entity], keys)
    ids = [row.id for row in existing.rows["partnerships"].values()]
    existing.parties_of = _parties_of(session, ids)
    return existing


def _rows_by_key(session: Session, model: Any, column: str, keys: set[str]) -> dict[str, Row]:
    table, rows = model.__table__, {}
    for batch in batches(sorted(keys)):
        rows.update((getattr(row, column), row) for row in session.execute(select(table).where(
            table.c[column].in_(batch))))
    return rows


def _parties_of(session: Session, partnership_ids: list[int]) -> dict[int, dict[str, int]]:
    parties: dict[int, dict[str, int]] = defaultdict(dict)
    link, party = PartnershipParty.__table__.c, Party.__table__.c
    for batch in batches(partnership_ids):
        statement = (select(link.partnership_id, party.key, party.id)
                     .join_from(PartnershipParty, Party, link.party_id == party.id)
                     .where(link.partnership_id.in_(batch)))
        for partnership_id, key, party_id in session.execute(statement):
            parties[partnership_id][key] = party_id
    return dict(parties)
