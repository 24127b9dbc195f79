"""A conditional go's open item: a task for the partnership owner, due like any other task.

The task has its own kind, `condition`: reviews never close or reopen it (its criterion is a
person's words, not a check) and a phase change does not cancel it (a conditional go usually
advances the phase); only a kill does. Its owner closes it when the condition is met
(`partnerflow task done ID --note …`); reminders and escalations follow it like any open task.
The same condition given again in the same gate cycle finds the task instead of opening another.
"""

import hashlib
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from partnerflow.engine import audit
from partnerflow.engine.notifications import Outgoing, context_of, enqueue
from partnerflow.engine.people import active_delegations
from partnerflow.models import Partnership, Person, Task

KIND = "condition"
PRACTICE = "trust_credibility"  # a condition is a commitment made at the gate: honoring it builds trust


def condition_key(partnership_id: int, gate: str, cycle: int, condition: str) -> str:
    digest = hashlib.sha256(" ".join(condition.split()).casefold().encode()).hexdigest()[:16]
    return f"{partnership_id}:{KIND}:{gate}:{cycle}:{digest}"


def open_condition(session: Session, partnership: Partnership, *, gate: str, condition: str, by: Person,
                   due_days: int, actor: str, now: datetime, as_of: date) -> Task:
    """The task that follows a conditional go: opened for the owner (or who stands in for them on
    `as_of`), due `due_days` after `as_of`, its owner told through the outbox. Flushes; the caller commits."""
    key = condition_key(partnership.id, gate, partnership.cycle, condition)
    found = session.scalars(select(Task).where(Task.idempotency_key == key)).first()
    if found is not None:
        return found
    delegate = active_delegations(session, as_of).get(partnership.owner_id)
    task = Task(partnership_id=partnership.id, kind=KIND, gate=gate, criterion=KIND, cycle=partnership.cycle,
                idempotency_key=key, practice=PRACTICE, title=condition,
                explanation=f"the condition {by.name} ({by.email}) set on their go at the gate {gate} on "
                            f"{as_of.isoformat()}; close this task when it is met",
                owner_role="owner", assignee_id=delegate or partnership.owner_id,
                delegated_from_id=partnership.owner_id if delegate else None, status="open",
                due_on=as_of + timedelta(days=due_days), created_at=now)
    session.add(task)
    session.flush()
    audit.record(session, "task.opened", actor=actor, at=now, partnership_id=partnership.id, task=task.id,
                 criterion=KIND, assignee=task.assignee_id)
    context = context_of({"key": partnership.key, "name": partnership.name}, task)
    enqueue(session, [Outgoing("task.opened", task.assignee_id, f"task:{task.id}", context,
                                             partnership.id, task.id)], now=now)
    return task


def open_conditions(session: Session, partnership_id: int) -> list[dict]:
    """The partnership's conditions still open, oldest first, with their task, owner and due date."""
    rows = session.execute(select(Task.id, Task.title, Task.gate, Task.created_at, Task.due_on, Person.email)
                           .outerjoin(Person, Person.id == Task.assignee_id)
                           .where(Task.partnership_id == partnership_id, Task.kind == KIND, Task.status == "open")
                           .order_by(Task.id)).all()
    return [{"condition": r.title, "gate": r.gate, "decided_at": r.created_at.isoformat(), "task": r.id,
             "owner": r.email, "due_on": r.due_on.isoformat()} for r in rows]
