"""`insert_rows` stores what SQLAlchemy's INSERT stores (COPY on PostgreSQL, sqlite3's executemany on SQLite);
`update_rows` changes the rows it names and no other."""

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Text, cast, select

from partnerflow.models import AuditEvent, Partnership, Task, insert_rows, session_scope, update_rows
from tests import factories

HOSTILE = ["tab\there", "new\nline", "back\\slash \\N", "quote ' \" ;--", "“unicode” ✓ 𝔘", "", "\\.", "x" * 5000]


def task_row(partnership_id: int, key: str, title: str, **extra) -> dict:
    return {"partnership_id": partnership_id, "kind": "gate", "gate": None, "criterion": "c", "cycle": 1,
            "idempotency_key": key, "practice": "business_objective", "title": title, "explanation": title,
            "owner_role": "owner", "assignee_id": None, "delegated_from_id": None, "flagged": True, "status": "open",
            "due_on": date(2026, 12, 7), "created_at": datetime(2026, 11, 30, 7, tzinfo=timezone(timedelta(hours=2))),
            **extra}


def stored(engine, table, order) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(select(table).order_by(order))]


def world(engine) -> int:
    with session_scope(engine) as session:
        w = factories.world(session)
        return factories.partnership(session, w, "p1").id


def test_bulk_rows_are_stored_as_an_insert_stores_them(engine):
    pid = world(engine)
    with engine.begin() as connection:
        insert_rows(connection, Task.__table__, [task_row(pid, f"k{i}", text) for i, text in enumerate(HOSTILE)])
        connection.execute(Task.__table__.insert(), [task_row(pid, f"s{i}", text) for i, text in enumerate(HOSTILE)])
        insert_rows(connection, AuditEvent.__table__, [
            {"kind": "review", "actor": "review", "partnership_id": pid, "at": datetime(2026, 11, 30, tzinfo=UTC),
             "data": {"events": [{"kind": "task.opened", "data": {"note": text, "n": None}}]}} for text in HOSTILE])
        insert_rows(connection, Task.__table__, [])  # nothing to do
    tasks = stored(engine, Task.__table__, Task.id)
    copied, inserted = tasks[:len(HOSTILE)], tasks[len(HOSTILE):]
    assert [t[1:6] + t[7:] for t in copied] == [t[1:6] + t[7:] for t in inserted]  # all but id and key
    first = {column: value for column, value in zip(Task.__table__.c.keys(), copied[0])}
    assert first["escalation_level"] == 0 and first["closed_at"] is None  # the model's defaults
    assert first["created_at"] == datetime(2026, 11, 30, 5, tzinfo=UTC)
    with engine.connect() as connection:
        data = connection.execute(select(AuditEvent.data).order_by(AuditEvent.id)).scalars().all()
    assert [d["events"][0]["data"] for d in data] == [{"note": text, "n": None} for text in HOSTILE]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# any text a person can type: every character but NUL (PostgreSQL's text refuses it) and lone surrogates
# (not text: no UTF-8 can carry them, so no import, form or API request can bring one)
@given(st.lists(st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=200),
                min_size=1, max_size=20))
def test_any_text_comes_back_as_written(engine, texts):
    """COPY has its own escaping (tabs, newlines, backslashes): whatever was typed is stored as typed."""
    with engine.connect() as connection:
        pid = connection.execute(select(Partnership.id).where(Partnership.key == "p1")).scalar()
    if pid is None:  # the first example: the engine lives as long as the test, across examples
        pid = world(engine)
    with engine.begin() as connection:
        before = connection.execute(select(Task.id).order_by(Task.id.desc()).limit(1)).scalar() or 0
        insert_rows(connection, Task.__table__, [task_row(pid, f"h{before}-{i}", text) for i, text in enumerate(texts)])
        back = connection.execute(select(Task.title).where(Task.id > before).order_by(Task.id)).scalars().all()
    assert back == texts


def test_bulk_updates_set_each_rows_values_and_the_constants_and_touch_no_other_row(engine):
    with session_scope(engine) as session:
        w = factories.world(session)
        ids = [factories.partnership(session, w, f"p{i}").id for i in range(4)]
    marks = [{"id": ids[0], "reviewed_evidence": 7, "review_holds_until": date(2027, 1, 31)},
             {"id": ids[2], "reviewed_evidence": 3, "review_holds_until": None}]
    with engine.begin() as connection:
        update_rows(connection, Partnership.__table__, marks, reviewed_policy="mark", reviewed_as_of=date(2026, 11, 30))
        update_rows(connection, Partnership.__table__, [], reviewed_policy="never")
    with engine.connect() as connection:
        rows = connection.execute(select(Partnership.id, Partnership.reviewed_evidence, Partnership.review_holds_until,
                                         Partnership.reviewed_policy, Partnership.reviewed_as_of)
                                  .order_by(Partnership.id)).all()
    assert [tuple(row) for row in rows] == [
        (ids[0], 7, date(2027, 1, 31), "mark", date(2026, 11, 30)), (ids[1], None, None, None, None),
        (ids[2], 3, None, "mark", date(2026, 11, 30)), (ids[3], None, None, None, None)]


def test_a_value_shared_by_consecutive_rows_is_stored_in_each_as_it_is(engine):
    """The bind processing of a value the row before had (a batch's one `now`) is reused, never a stale one."""
    pid = world(engine)
    first = datetime(2026, 11, 30, 7, tzinfo=UTC)
    second = datetime(2026, 12, 1, 7, tzinfo=timezone(timedelta(hours=-5)))
    moments = [first, first, second, second, first, datetime(2026, 11, 30, 7, tzinfo=UTC)]
    closed = [second, None, None, first, first, None]
    with engine.begin() as connection:
        insert_rows(connection, Task.__table__, [task_row(pid, f"m{i}", "t", created_at=at, closed_at=end)
                                                 for i, (at, end) in enumerate(zip(moments, closed))])
        back = connection.execute(select(Task.created_at, Task.closed_at).order_by(Task.id)).all()
    assert [tuple(row) for row in back] == [(at.astimezone(UTC), end and end.astimezone(UTC))
                                            for at, end in zip(moments, closed)]


def test_bulk_updates_store_what_sqlalchemys_update_stores(engine):
    """An aware timestamp, a date shared by the rows and a text, set by `update_rows` and by SQLAlchemy's
    UPDATE, read back as the database holds them (text): the same; a constant may be an SQL expression."""
    pid = world(engine)
    due, moment = date(2027, 1, 4), datetime(2026, 12, 1, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    T = Task.__table__
    with engine.begin() as connection:
        insert_rows(connection, T, [task_row(pid, f"u{i}", "before") for i in range(4)])
        ids = connection.execute(select(T.c.id).order_by(T.c.id)).scalars().all()
        update_rows(connection, T, [{"id": i, "explanation": "“after” ✓", "due_on": due} for i in ids[:2]],
                    closed_at=moment, status="done")
        update_rows(connection, T, [{"id": i, "note": "n"} for i in ids[:2]], escalation_level=T.c.escalation_level + 2)
        for i in ids[2:]:
            connection.execute(T.update().where(T.c.id == i).values(
                explanation="“after” ✓", due_on=due, closed_at=moment, status="done", note="n",
                escalation_level=T.c.escalation_level + 2))
        as_held = connection.execute(select(*(cast(T.c[name], Text) for name in (
            "explanation", "due_on", "closed_at", "status", "note", "escalation_level"))).order_by(T.c.id)).all()
    assert len({tuple(row) for row in as_held}) == 1 and as_held[0][-1] == "2"
