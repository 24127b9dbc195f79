"""`load_snapshots`: a partnership's evidence, no one else's, one query per table per batch."""

from dataclasses import fields
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import event, select, update

import partnerflow.gates.snapshot as snap
from partnerflow.models import (
    Agreement,
    BusinessCase,
    IdRange,
    Measurement,
    Meeting,
    Metric,
    Partnership,
    Risk,
    Signature,
    Task,
    Win,
    load_snapshots,
    reads,
    session_scope,
)
from tests import factories
from tests.engine.harness import build

ALIGNED = factories.alignment_evidence
EXECUTING = factories.execution_evidence
HEAD = {"id", "key", "name", "phase", "state", "version", "cycle", "owner_id", "sponsor_id"}  # the partnership row


def recorded(engine) -> factories.World:
    """acme-supply with evidence in nine tables; other-one with evidence of its own, in the same batch."""
    w = build(engine, ("acme-supply", "alignment", None), ("other-one", "execution", EXECUTING))
    with session_scope(engine) as session:
        pid = session.execute(select(Partnership.id).where(Partnership.key == "acme-supply")).scalar_one()
        agreement = Agreement(partnership_id=pid, kind="mou", reference="MOU-7", effective_on=date(2026, 2, 1))
        metric = Metric(partnership_id=pid, key="otd", name="On-time delivery", target=95, unit="%", shared=True)
        session.add_all([agreement, metric])
        session.flush()
        session.add_all([
            BusinessCase(partnership_id=pid, outcomes="Halve stockouts", processes="Replenishment",
                         measures="Fill rate", approved_by_id=w.sponsor.id, approved_on=date(2026, 3, 5)),
            Win(partnership_id=pid, party_id=w.them.id, statement="Predictable volume"),
            Signature(agreement_id=agreement.id, party_id=w.them.id, signed_by_id=w.their_manager.id,
                      signed_on=date(2026, 2, 2)),
            Risk(partnership_id=pid, description="Port strike", mitigation="Air freight", owner_id=w.owner.id),
            Meeting(partnership_id=pid, held_on=date(2026, 11, 2), kind="informal", summary="Site visit"),
            Measurement(metric_id=metric.id, period_end=date(2026, 10, 31), value=97),
            Measurement(metric_id=metric.id, period_end=date(2026, 9, 30), value=93),
        ])
    return w


def expected(w: factories.World) -> snap.PartnershipSnapshot:
    """What was recorded for acme-supply in `recorded`, as the gate checks read it.

    other-one's evidence came first: acme-supply's agreement is the second, its metric the fourth."""
    return snap.PartnershipSnapshot(
        id=1, key="acme-supply", name="Partnership acme-supply", phase="alignment", state="active", version=1,
        owner_id=w.owner.id, sponsor_id=w.sponsor.id,
        parties=(snap.Party(w.us.id, "northwind", "Northwind", True), snap.Party(w.them.id, "acme", "Acme", False)),
        business_case=snap.BusinessCase("Halve stockouts", "Replenishment", "Fill rate", w.sponsor.id,
                                        date(2026, 3, 5)),
        wins=(snap.Win(w.them.id, "Predictable volume"),),
        agreements=(snap.Agreement(2, "mou", "MOU-7", date(2026, 2, 1), None, signatures=(
            snap.Signature(2, w.them.id, w.their_manager.id, date(2026, 2, 2)),)),),
        risks=(snap.Risk("Port strike", "medium", "medium", "Air freight", w.owner.id),),
        metrics=(snap.Metric(4, "otd", "On-time delivery", "performance", 95, "higher", "%", None, True,
                             measurements=(snap.Measurement(4, date(2026, 9, 30), 93),
                                           snap.Measurement(4, date(2026, 10, 31), 97))),),
        meetings=(snap.Meeting(date(2026, 11, 2), "informal", "Site visit"),),
    )


def test_a_partnership_loads_with_exactly_its_evidence(engine):
    w = recorded(engine)
    with engine.connect() as connection:
        acme, other = load_snapshots(connection, [1, 2])
        assert load_snapshots(connection, [2]) == [other]  # loaded alone or in a batch: the same
    assert acme == expected(w)
    assert other.key == "other-one" and len(other.commitments) == 10 and len(other.metrics) == 3
    assert all(m.measurements for m in other.metrics) and other.agreements[0].signatures


def test_an_id_range_and_a_list_of_ids_give_the_same_snapshots(engine):
    build(engine, ("aligned", "alignment", ALIGNED), ("empty", "alignment", None),
          ("executing", "execution", EXECUTING), ("also-empty", "alignment", None))
    with engine.connect() as connection:
        by_range = load_snapshots(connection, IdRange(1, 4))
        assert load_snapshots(connection, [1, 2, 3, 4]) == by_range
        assert load_snapshots(connection, [3, 1]) == [by_range[0], by_range[2]]  # in id order, whatever was asked
        assert load_snapshots(connection, IdRange(2, 3)) == by_range[1:3]
        assert load_snapshots(connection, IdRange(5, 9)) == load_snapshots(connection, []) == []
    assert [s.key for s in by_range] == ["aligned", "empty", "executing", "also-empty"]


def test_terminated_partnerships_are_left_out_unless_asked_for(engine):
    build(engine, ("live", "alignment", ALIGNED), ("gone", "alignment", ALIGNED))
    with engine.begin() as connection:
        connection.execute(update(Partnership).where(Partnership.key == "gone").values(state="terminated"))
    with engine.connect() as connection:
        for batch in (IdRange(1, 2), [1, 2]):
            assert [s.key for s in load_snapshots(connection, batch)] == ["live"]
            every = load_snapshots(connection, batch, include_terminated=True)
            assert [(s.key, s.state) for s in every] == [("live", "active"), ("gone", "terminated")]
            assert every[1].business_case == every[0].business_case and len(every[1].wins) == 2


def statements(engine, batch, monkeypatch) -> int:
    """How many statements loading `batch` sends to the database: through SQLAlchemy (none) and through
    the DB-API cursor of `reads.rows`."""
    sent = []
    direct = reads.rows

    def count(*args):
        sent.append(1)
        return direct(*args)

    monkeypatch.setattr(reads, "rows", count)
    event.listen(engine, "before_cursor_execute", count)
    try:
        with engine.connect() as connection:
            loaded = load_snapshots(connection, batch)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert loaded
    return len(sent)


def test_one_query_per_table_per_batch_whatever_the_batch_holds(engine, monkeypatch):
    build(engine, *[(f"p{i}", "execution", EXECUTING) for i in range(1, 13)])
    one = statements(engine, [1], monkeypatch)
    assert statements(engine, IdRange(1, 1), monkeypatch) == one
    assert statements(engine, IdRange(1, 12), monkeypatch) == statements(engine, list(range(1, 13)), monkeypatch) \
        == one
    loaded = [f.name for f in fields(snap.PartnershipSnapshot) if f.name not in HEAD]
    assert one == 1 + len(loaded) + 2  # the partnerships, one per field loaded, signatures and measurements


def test_values_come_typed_as_the_records_declare_them_and_task_responses_are_dated_in_utc(engine):
    """Dates, booleans and timestamps come from the DB-API cursor as SQLAlchemy would give them; a done
    task's day is its UTC day even when the database session lives in another zone."""
    w = recorded(engine)
    closed = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)  # already 1 December at UTC+14
    with session_scope(engine) as session:
        session.add(Task(partnership_id=1, kind="gate", criterion="c", cycle=1, idempotency_key="k", practice="p",
                         title="t", explanation="e", owner_role="owner", assignee_id=w.owner.id, status="done",
                         due_on=date(2026, 12, 7), created_at=closed - timedelta(days=3), first_notified_at=None,
                         closed_at=closed))
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET TIME ZONE 'Pacific/Kiritimati'")
        acme, _ = load_snapshots(connection, [1, 2])
    assert acme.responses == (snap.TaskResponse(date(2026, 11, 30), 3.0),)
    assert type(acme.business_case.approved_on) is date and acme.metrics[0].shared is True
    assert acme.parties[0].internal is True and acme.parties[1].internal is False


def test_each_evidence_record_reads_every_one_of_its_fields_from_a_column():
    """The snapshot records (gates/snapshot.py) declare what is read: a field without its column fails here."""
    from partnerflow.models import snapshots

    for name, (statement, _, record) in {**snapshots._RELATED, **snapshots._SINGLE}.items():
        read = [column.name for column in statement.selected_columns][1:]
        nested = {field for field, default in record._field_defaults.items() if default == ()}
        assert read == [field for field in record._fields if field not in nested], name
