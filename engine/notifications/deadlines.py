"""Deadlines are rows: reminders, escalations and digests swept on a schedule.

An open task is reminded every `reminder_every_days` after its owner was first told, not on
every review; past its due date plus a grace period it escalates to the sponsor, and later
to the program office, once per level. People who chose a digest get one daily message
listing their open tasks. Dedup keys make a second sweep of the same moment a no-op.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select, update
from sqlmodel import Session

from partnerflow.engine import clock
from partnerflow.engine.notifications.notices import context_of
from partnerflow.engine.notifications.outbox import Outgoing, enqueue
from partnerflow.engine.people import active_delegations, program_office
from partnerflow.gates import Policy
from partnerflow.models import Channel, Partnership, Person, Task

T, P, PE, C = Task.__table__.c, Partnership.__table__.c, Person.__table__.c, Channel.__table__.c


class SweepReport(NamedTuple):
    reminded: int = 0
    escalated: int = 0
    digests: int = 0
    overdue: tuple = ()  # (partnership key, task id, criterion, escalation level) of each task escalated now


def _open_tasks(session: Session):
    statement = (select(T.id, T.partnership_id, T.title, T.explanation, T.practice, T.kind, T.criterion, T.due_on,
                        T.assignee_id, T.first_notified_at, T.last_reminded_at, T.escalation_level, T.created_at,
                        P.key, P.name, P.sponsor_id)
                 .join(Partnership, P.id == T.partnership_id).where(T.status == "open").order_by(T.id))
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(of=Task, skip_locked=True)
    return session.execute(statement).all()


def _context(row) -> dict:
    return context_of({"key": row.key, "name": row.name}, row)


def sweep(session: Session, policy: Policy, *, now: datetime | None = None) -> SweepReport:
    """Enqueue the reminders, escalations and digests due at `now`. Flushes; the caller commits."""
    now = now or clock.now()
    today = now.date()
    rows = _open_tasks(session)
    office = program_office(session)
    outgoing: list[Outgoing] = []
    reminded, levels, overdue = [], defaultdict(list), []
    standing_in = active_delegations(session, today)  # reminders go to the delegate meanwhile
    for row in rows:
        started = row.first_notified_at
        if row.assignee_id is not None and started is not None:
            n = int((now - started) / timedelta(days=policy.reminder_every_days))
            last = row.last_reminded_at or started
            if n >= 1 and now - last >= timedelta(days=policy.reminder_every_days):
                recipient = standing_in.get(row.assignee_id, row.assignee_id)
                outgoing.append(Outgoing("task.reminder", recipient, f"task:{row.id}:reminder:{n}",
                                         _context(row), row.partnership_id, row.id))
                reminded.append(row.id)
        level = _escalation_due(row, today, policy)
        if level:
            recipients = [row.sponsor_id] if level == 1 else office
            for person in recipients:
                outgoing.append(Outgoing("task.escalated", person, f"task:{row.id}:escalated:{level}",
                                         {**_context(row), "level": level}, row.partnership_id, row.id))
            levels[level].append(row.id)
            overdue.append((row.key, row.id, row.criterion, level))
    outgoing += _digests(session, rows, today)
    enqueue(session, outgoing, now=now)
    if reminded:
        session.execute(update(Task).where(T.id.in_(reminded)).values(last_reminded_at=now)
                        .execution_options(synchronize_session=False))
    for level, ids in levels.items():
        session.execute(update(Task).where(T.id.in_(ids)).values(escalation_level=level)
                        .execution_options(synchronize_session=False))
    return SweepReport(len(reminded), sum(len(ids) for ids in levels.values()),
                       sum(1 for o in outgoing if o.event == "digest"), tuple(overdue))


def _escalation_due(row, today: date, policy: Policy) -> int:
    """The level a task escalates to now (1 sponsor, 2 program office), or 0."""
    overdue_since = row.due_on + timedelta(days=policy.escalation_grace_days)
    if row.escalation_level == 0 and today > overdue_since:
        return 1
    if row.escalation_level == 1 and today > overdue_since + timedelta(days=policy.program_office_after_days):
        return 2
    return 0


def _digests(session: Session, rows, today: date) -> list[Outgoing]:
    """One digest a day for each person with a digest channel and open tasks."""
    wanting = set(session.execute(select(C.person_id).where(C.digest.is_(True))).scalars())
    by_person: dict[int, list] = defaultdict(list)
    for row in rows:
        if row.assignee_id in wanting:
            by_person[row.assignee_id].append({
                "id": row.id, "partnership": row.name, "title": row.title, "explanation": row.explanation,
                "due_on": row.due_on.isoformat(), "overdue": row.due_on < today, "action_url": None})
    return [Outgoing("digest", person, f"digest:{today.isoformat()}", {"tasks": items, "date": today.isoformat()})
            for person, items in by_person.items()]
