"""A partnership's sections (parties, members, evidence) as table rows.

A section given in a document replaces the partnership's rows of it, but only when they
differ: rows are compared as a multiset of column values (children included), so an
import run twice writes nothing the second time.
"""

from collections import defaultdict
from typing import Any, NamedTuple

from sqlalchemy import Table, delete, insert, select
from sqlmodel import Session

from partnerflow.engine.intake.schema import PartnershipIn, Shape
from partnerflow.models import (
    Agreement,
    BusinessCase,
    Commitment,
    CommunicationPlan,
    Initiative,
    KnowledgeSession,
    Measurement,
    Meeting,
    Member,
    Metric,
    Opportunity,
    PartnershipParty,
    Problem,
    ProcessOwner,
    Risk,
    Signature,
    Stakeholder,
    Win,
)

Ids = dict[str, dict[str, int]]  # kind of entity ("program", "party", "person") -> key -> id


class Record(NamedTuple):
    row: dict[str, Any]
    children: list[dict[str, Any]]


class Section(NamedTuple):
    table: Table
    child: tuple[str, Table, str] | None = None  # (field of the shape, child table, column naming the parent)

    def columns(self) -> tuple[str, ...]:
        return data_columns(self.table, "partnership_id")

    def canonical(self, records: list[Record]) -> tuple:
        """The rows as a sorted tuple of values, to compare what is stored with what is given."""
        columns = self.columns()
        child_columns = data_columns(self.child[1], self.child[2]) if self.child else ()
        return tuple(sorted(
            ((tuple(r.row[c] for c in columns),
              tuple(sorted((tuple(ch[c] for c in child_columns) for ch in r.children), key=repr)))
             for r in records), key=repr))


def data_columns(table: Table, parent: str) -> tuple[str, ...]:
    return tuple(column.name for column in table.columns if column.name not in ("id", parent))


SECTIONS: dict[str, Section] = {
    "parties": Section(PartnershipParty.__table__),
    "members": Section(Member.__table__),
    "business_case": Section(BusinessCase.__table__),
    "wins": Section(Win.__table__),
    "agreements": Section(Agreement.__table__, ("signatures", Signature.__table__, "agreement_id")),
    "processes": Section(ProcessOwner.__table__),
    "risks": Section(Risk.__table__),
    "stakeholders": Section(Stakeholder.__table__),
    "commitments": Section(Commitment.__table__),
    "problems": Section(Problem.__table__),
    "metrics": Section(Metric.__table__, ("measurements", Measurement.__table__, "metric_id")),
    "communication": Section(CommunicationPlan.__table__),
    "meetings": Section(Meeting.__table__),
    "knowledge_sessions": Section(KnowledgeSession.__table__),
    "initiatives": Section(Initiative.__table__),
    "opportunities": Section(Opportunity.__table__),
}
EVIDENCE_SECTIONS = tuple(name for name in SECTIONS if name not in ("parties", "members"))
# the sections of one entry per partnership (a mapping in a document); the others are lists
SINGLE_SECTIONS = tuple(name for name in EVIDENCE_SECTIONS if SECTIONS[name].table.c.partnership_id.unique)
LIST_SECTIONS = tuple(name for name in EVIDENCE_SECTIONS if name not in SINGLE_SECTIONS)


def given_sections(shape: PartnershipIn) -> dict[str, list]:
    """The sections a partnership's entry gives, each as a list of entries."""
    sections: dict[str, list] = {}
    if shape.parties is not None:
        sections["parties"] = list(shape.parties)
    if shape.members is not None:
        sections["members"] = list(shape.members)
    if shape.evidence is not None:
        for name, value in shape.evidence.given().items():
            sections[name] = [value] if isinstance(value, Shape) else list(value)
    return sections


def records_of(name: str, entries: list, ids: Ids) -> list[Record]:
    if name == "parties":
        return [Record({"party_id": ids["party"][key]}, []) for key in entries]
    if name == "processes":  # one row per owner of each process
        return [Record({"process": process.name, "person_id": ids["person"][email]}, [])
                for process in entries for email in process.owners]
    child = SECTIONS[name].child
    return [Record(row_of(entry, ids), [row_of(c, ids) for c in getattr(entry, child[0])] if child else [])
            for entry in entries]


def row_of(shape: Shape, ids: Ids, only: set[str] | None = None) -> dict[str, Any]:
    """The columns of `shape` (or of its fields in `only`), references resolved to ids."""
    row: dict[str, Any] = {}
    for name in type(shape).model_fields:
        if name in shape.children or (only is not None and name not in only):
            continue
        value = getattr(shape, name)
        if name in shape.refs:
            column, kind = shape.refs[name]
            row[column] = None if value is None else ids[kind][value]
        else:
            row[name] = list(value) if isinstance(value, tuple) else value
    return row


def load_records(session: Session, name: str, partnership_ids: list[int]) -> dict[int, list[Record]]:
    """The stored records of section `name` for each partnership: one query, two with children."""
    section, records = SECTIONS[name], defaultdict(list)
    table, parents = section.table, {}
    for row in session.execute(select(table).where(table.c.partnership_id.in_(partnership_ids))).mappings():
        record = Record(dict(row), [])
        records[row["partnership_id"]].append(record)
        if section.child:
            parents[row["id"]] = record
    if section.child:
        _field, child, parent = section.child
        statement = (select(child).join_from(child, table, child.c[parent] == table.c.id)
                     .where(table.c.partnership_id.in_(partnership_ids)))
        for row in session.execute(statement).mappings():
            parents[row[parent]].children.append(dict(row))
    return records


def replace_records(session: Session, name: str, records: dict[int, list[Record]]) -> None:
    """Delete the section's rows of these partnerships and insert `records` in their place."""
    section, partnership_ids = SECTIONS[name], list(records)
    table = section.table
    if section.child:
        _field, child, parent = section.child
        owned = select(table.c.id).where(table.c.partnership_id.in_(partnership_ids))
        session.execute(delete(child).where(child.c[parent].in_(owned)))
    session.execute(delete(table).where(table.c.partnership_id.in_(partnership_ids)))
    rows = [{**r.row, "partnership_id": pid} for pid, rs in records.items() for r in rs]
    if not rows:
        return
    if not section.child:
        session.execute(insert(table), rows)
        return
    parent_ids = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars()
    children = [{**c, section.child[2]: parent_id}
                for parent_id, r in zip(parent_ids, (r for rs in records.values() for r in rs)) for c in r.children]
    if children:
        session.execute(insert(section.child[1]), children)
