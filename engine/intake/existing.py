"""What the database already holds of the entities an import names: one query per table."""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, select
from sqlmodel import Session

from engine.intake.read import KEY_FIELDS, Reading
from engine.intake.schema import references
from models import Partnership, PartnershipParty, Party, Person, Program

ENTITY_OF_REFERENCE = {"program": "programs", "party": "parties", "person": "people", "partnership": "partnerships"}
TABLES = {"programs": Program, "parties": Party, "people": Person, "partnerships": Partnership}


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
    """The keys of every entity the documents declare or refer to."""
    wanted = {entity: set(keys) for entity, keys in reading.declared.items()}
    for items in reading.items.values():
        for item in items:
            for _path, kind, key in references(item.shape):
                wanted[ENTITY_OF_REFERENCE[kind]].add(key)
    return wanted


def load_existing(session: Session, reading: Reading) -> Existing:
    existing = Existing()
    for entity, keys in wanted_keys(reading).items():
        existing.rows[entity] = _rows_by_key(session, TABLES[entity], KEY_FIELDS[entity], keys)
    ids = [row.id for row in existing.rows["partnerships"].values()]
    existing.parties_of = _parties_of(session, ids)
    return existing


def _rows_by_key(session: Session, model: Any, column: str, keys: set[str]) -> dict[str, Row]:
    if not keys:
        return {}
    table = model.__table__
    statement = select(table).where(table.c[column].in_(sorted(keys)))
    return {getattr(row, column): row for row in session.execute(statement)}


def _parties_of(session: Session, partnership_ids: list[int]) -> dict[int, dict[str, int]]:
    parties: dict[int, dict[str, int]] = defaultdict(dict)
    if partnership_ids:
        link, party = PartnershipParty.__table__.c, Party.__table__.c
        statement = (select(link.partnership_id, party.key, party.id)
                     .join_from(PartnershipParty, Party, link.party_id == party.id)
                     .where(link.partnership_id.in_(partnership_ids)))
        for partnership_id, key, party_id in session.execute(statement):
            parties[partnership_id][key] = party_id
    return dict(parties)
