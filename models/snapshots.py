"""Batched loading of gate snapshots: one SELECT per table per batch, plain rows, no ORM.

A batch is a range of partnership ids (`lo`..`hi`, for streaming a portfolio) or a list of
ids. Every statement yields `(partnership_id, *fields)` rows in the order of the snapshot
record it fills, so building a snapshot is a `tuple` call per row. They run through the
connection's DB-API cursor (`models.reads`): a review reads ~40 rows per partnership, and
SQLAlchemy's result processing of them cost a fifth of a full re-review (docs/performance.md).
"""

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC
from typing import Any

from sqlalchemy import Connection, Select, select

import partnerflow.gates.snapshot as snap
from partnerflow.models import core, evidence, work
from partnerflow.models.batches import Batch, IdRange
from partnerflow.models.reads import Read, read_rows

P, PP, PE, M = (core.Partnership.__table__.c, core.PartnershipParty.__table__.c, core.Person.__table__.c,
                core.Member.__table__.c)
PARTY = core.Party.__table__.c
E = {name: getattr(evidence, name).__table__.c for name in (
    "BusinessCase", "Win", "Agreement", "Signature", "ProcessOwner", "Risk", "Stakeholder", "Commitment",
    "Problem", "Metric", "Measurement", "CommunicationPlan", "Meeting", "KnowledgeSession", "Initiative",
    "Opportunity")}


def _columns(table, *names: str) -> list:
    return [table[name] for name in names]


def _evidence(table, record: type) -> tuple[Select, Any, type]:
    """A record read straight from its table: the columns are the record's fields (nested children aside),
    so the record (gates/snapshot.py) and the table (models/evidence.py) are the only declarations."""
    return select(table.partnership_id, *(table[name] for name in record._fields if name in table)), \
        table.partnership_id, record


def _ordered(read: tuple[Select, Any, type], column) -> tuple[Select, Any, type]:
    statement, partnership_id, record = read
    return statement.order_by(column), partnership_id, record


# snapshot field -> (statement, the column that holds the partnership id, record type)
_RELATED: dict[str, tuple[Select, Any, type]] = {
    "parties": (
        select(PP.partnership_id, PARTY.id, PARTY.key, PARTY.name, PARTY.internal)
        .join_from(core.PartnershipParty, core.Party, PP.party_id == PARTY.id).order_by(PARTY.id),
        PP.partnership_id, snap.Party),
    "members": (
        select(M.partnership_id, M.person_id, PE.party_id, M.role, M.responsibilities)
        .join_from(core.Member, core.Person, M.person_id == PE.id),
        M.partnership_id, snap.Member),
    "wins": _evidence(E["Win"], snap.Win),
    "agreements": _evidence(E["Agreement"], snap.Agreement),
    "process_owners": (
        select(E["ProcessOwner"].partnership_id, E["ProcessOwner"].process, E["ProcessOwner"].person_id, PE.party_id)
        .join_from(evidence.ProcessOwner, core.Person, E["ProcessOwner"].person_id == PE.id),
        E["ProcessOwner"].partnership_id, snap.ProcessOwner),
    "risks": _evidence(E["Risk"], snap.Risk),
    "stakeholders": (
        select(E["Stakeholder"].partnership_id, E["Stakeholder"].person_id, PE.party_id,
               *_columns(E["Stakeholder"], "influence", "engaged_by_id", "contact_every_days", "last_contact_on"))
        .join_from(evidence.Stakeholder, core.Person, E["Stakeholder"].person_id == PE.id),
        E["Stakeholder"].partnership_id, snap.Stakeholder),
    "commitments": _evidence(E["Commitment"], snap.Commitment),
    "problems": _evidence(E["Problem"], snap.Problem),
    "metrics": _ordered(_evidence(E["Metric"], snap.Metric), E["Metric"].id),
    "meetings": _evidence(E["Meeting"], snap.Meeting),
    "knowledge_sessions": _evidence(E["KnowledgeSession"], snap.KnowledgeSession),
    "initiatives": _evidence(E["Initiative"], snap.Initiative),
    "opportunities": _evidence(E["Opportunity"], snap.Opportunity),
}

# one-per-partnership records
_SINGLE: dict[str, tuple[Select, Any, type]] = {
    "business_case": _evidence(E["BusinessCase"], snap.BusinessCase),
    "communication": _evidence(E["CommunicationPlan"], snap.CommunicationPlan),
}

# records nested in their parent: signatures in agreements, measurements in metrics
_SIGNATURES = (
    select(E["Agreement"].partnership_id, *_columns(E["Signature"], "agreement_id", "party_id", "signed_by_id",
                                                    "signed_on"))
    .join_from(evidence.Signature, evidence.Agreement, E["Signature"].agreement_id == E["Agreement"].id),
    E["Agreement"].partnership_id)
_MEASUREMENTS = (
    select(E["Metric"].partnership_id, *_columns(E["Measurement"], "metric_id", "period_end", "value"))
    .join_from(evidence.Measurement, evidence.Metric, E["Measurement"].metric_id == E["Metric"].id)
    .order_by(E["Measurement"].metric_id, E["Measurement"].period_end),
    E["Metric"].partnership_id)

T = work.Task.__table__.c
_RESPONSES = (select(T.partnership_id, T.closed_at, T.first_notified_at, T.created_at).where(T.status == "done"),
              T.partnership_id)


def _response(closed_at, first_notified_at, created_at) -> snap.TaskResponse:
    started = first_notified_at or created_at
    return snap.TaskResponse(closed_at.astimezone(UTC).date(),  # psycopg gives the session's zone
                             max((closed_at - started).total_seconds(), 0.0) / 86400)


_PARTNERSHIPS = select(P.id, P.key, P.name, P.phase, P.state, P.version, P.cycle, P.owner_id, P.sponsor_id).order_by(P.id)


# what a batch reads: each snapshot field's rows, and what each row's fields become
READS: dict[str, tuple[Read, Callable | None]] = {
    "partnerships": (Read(_PARTNERSHIPS.where(P.state != "terminated"), P.id), None),
    "partnerships_all": (Read(_PARTNERSHIPS, P.id), None),  # with the terminated: a page of one
    **{name: (Read(statement, column), make) for name, (statement, column, make) in _RELATED.items()},
    **{name: (Read(statement, column), make) for name, (statement, column, make) in _SINGLE.items()},
    "signatures": (Read(*_SIGNATURES), snap.Signature),
    "measurements": (Read(*_MEASUREMENTS), snap.Measurement),
    "responses": (Read(*_RESPONSES), _response),
}


def _grouped(connection: Connection, name: str, batch: Batch) -> dict[int, list]:
    read, make = READS[name]
    if len(getattr(make, "_fields", ())) == len(read.statement.selected_columns) - 1:
        build = make._make  # the fastest way to a NamedTuple
    else:
        def build(values):  # records with defaulted children are called
            return make(*values)
    groups: dict[int, list] = defaultdict(list)
    for row in read_rows(connection, read, batch):
        groups[row[0]].append(build(row[1:]))
    return groups


def load_snapshots(connection: Connection, batch: Batch, *, include_terminated: bool = False
                   ) -> list[snap.PartnershipSnapshot]:
    """Snapshots of the partnerships in `batch` (an IdRange or a list of ids), one query per table."""
    if not isinstance(batch, IdRange):
        batch = list(batch)
        if not batch:
            return []
    heads = read_rows(connection, READS["partnerships_all" if include_terminated else "partnerships"][0], batch)
    if not heads:
        return []
    if not isinstance(batch, IdRange):
        batch = [head[0] for head in heads]
    related = {name: _grouped(connection, name, batch) for name in _RELATED}
    single = {name: _grouped(connection, name, batch) for name in _SINGLE}
    signatures = _grouped(connection, "signatures", batch)
    measurements = _grouped(connection, "measurements", batch)
    related["responses"] = _grouped(connection, "responses", batch)
    return [_assemble(head, related, single, signatures, measurements) for head in heads]


def _assemble(head, related, single, signatures, measurements) -> snap.PartnershipSnapshot:
    pid = head[0]
    fields = {name: tuple(groups.get(pid, ())) for name, groups in related.items()}
    for name, groups in single.items():
        found = groups.get(pid)
        fields[name] = found[0] if found else None
    if pid in signatures:
        by_agreement: dict[int, list] = defaultdict(list)
        for signature in signatures[pid]:
            by_agreement[signature.agreement_id].append(signature)
        fields["agreements"] = tuple(a._replace(signatures=tuple(by_agreement[a.id])) for a in fields["agreements"])
    if pid in measurements:
        by_metric: dict[int, list] = defaultdict(list)
        for measurement in measurements[pid]:
            by_metric[measurement.metric_id].append(measurement)
        fields["metrics"] = tuple(m._replace(measurements=tuple(by_metric[m.id])) for m in fields["metrics"])
    return snap.PartnershipSnapshot(*head, **fields)
