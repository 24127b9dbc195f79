"""People acting on their tasks: complete one (by hand or through a signed link), reassign, list."""

from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import Session

from partnerflow.engine import audit, clock
from partnerflow.engine.lookup import NotFound, partnership_by_key, person_by_email
from partnerflow.engine.notifications import LinkRefused, Outgoing, consume_link, context_of, enqueue, verify_link
from partnerflow.gates import EVIDENCE_OF_PRACTICE, PRACTICE_BY_KEY
from partnerflow.models import Partnership, Party, Person, Task

T, P, PE = Task.__table__.c, Partnership.__table__.c, Person.__table__.c


class TaskRefused(Exception):
    """The action on the task is not allowed; nothing was written."""


def _task(session: Session, task_id: int) -> tuple[Task, Partnership]:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"no task with id {task_id} (see `partnerflow tasks`)")
    return task, session.get(Partnership, task.partnership_id)


def _may_act(person: Person | None, task: Task, partnership: Partnership) -> bool:
    """Who may act on a task, by hand or by signed link: its assignee (or whom they stand in for),
    the partnership owner, a program manager. Asked at the moment of acting, never at signing."""
    return person is not None and (person.id in (task.assignee_id, task.delegated_from_id, partnership.owner_id)
                                   or "program_manager" in person.roles)


def complete(session: Session, task_id: int, *, by: str, note: str, now: datetime | None = None) -> Task:
    """Mark a task done by hand: its assignee, the partnership owner or a program manager."""
    now = now or clock.now()
    task, partnership = _task(session, task_id)
    person = person_by_email(session, by)
    if not _may_act(person, task, partnership):
        raise TaskRefused(f"{person.email} may not complete task {task_id}: only its assignee, the partnership "
                          "owner or a program manager")
    return _close(session, task, person, note, now)


def complete_by_link(session: Session, token: str, *, secret: str, note: str, now: datetime | None = None) -> Task:
    """Complete the task a signed action link names, as the person it was issued to; once, and only
    while that person may still act on it (a link of a former assignee is refused)."""
    now = now or clock.now()
    link = verify_link(secret, token, now=now)
    task, partnership = _task(session, link.task_id)
    person = session.get(Person, link.person_id)
    if not _may_act(person, task, partnership):
        raise LinkRefused(f"this link no longer acts on task {task.id}: the person it was issued to may not act "
                          "on the task any more (it moved to someone else)")
    consume_link(session, link, now=now)
    return _close(session, task, person, note, now)


def _close(session: Session, task: Task, person: Person, note: str, now: datetime) -> Task:
    if task.status != "open":
        raise TaskRefused(f"task {task.id} is {task.status} already")
    if not note or not note.strip():
        raise TaskRefused("say what was done (--note): it is kept with the task")
    task.status, task.closed_at, task.closed_by, task.note = "done", now, person.email, note.strip()
    audit.record(session, "task.done", actor=person.email, at=now, partnership_id=task.partnership_id, task=task.id,
                 criterion=task.criterion, note=task.note)
    session.flush()
    return task


def task_detail(session: Session, task_id: int, *, person_id: int) -> dict:
    """A task as its page shows it: what is missing, why it matters (the seed's words), what to
    do, by when. Seen by those who may act on it, and by people of our own parties."""
    task, partnership = _task(session, task_id)
    person = session.get(Person, person_id)
    may_act = _may_act(person, task, partnership)
    if not may_act and not (person is not None and session.get(Party, person.party_id).internal):
        raise TaskRefused(f"task {task_id} is not yours to see")
    practice = PRACTICE_BY_KEY[task.practice]
    assignee = session.get(Person, task.assignee_id) if task.assignee_id else None
    return {"id": task.id, "status": task.status, "title": task.title, "explanation": task.explanation,
            "kind": task.kind, "criterion": task.criterion, "due_on": task.due_on.isoformat(),
            "overdue": task.status == "open" and task.due_on < clock.today(),
            "partnership": {"key": partnership.key, "name": partnership.name, "phase": partnership.phase},
            "practice": {"key": practice.key, "name": practice.name, "why": practice.why},
            "sections": EVIDENCE_OF_PRACTICE[practice.key], "assignee": assignee.email if assignee else None,
            "may_act": may_act, "closed_at": task.closed_at.isoformat() if task.closed_at else None,
            "closed_by": task.closed_by, "note": task.note}


def reassign(session: Session, task_id: int, *, to: str, by: str, now: datetime | None = None) -> Task:
    """Move an open task to another person (the assignee, the owner or a program manager may)."""
    now = now or clock.now()
    task, partnership = _task(session, task_id)
    actor, target = person_by_email(session, by), person_by_email(session, to)
    if not _may_act(actor, task, partnership):
        raise TaskRefused(f"{actor.email} may not reassign task {task_id}")
    if task.status != "open":
        raise TaskRefused(f"task {task.id} is {task.status}: only open tasks move")
    before = task.assignee_id
    task.assignee_id, task.delegated_from_id, task.flagged = target.id, None, False
    audit.record(session, "task.reassigned", actor=actor.email, at=now, partnership_id=task.partnership_id,
                 task=task.id,
                 **{"from": before, "to": target.id})
    session.flush()
    context = context_of({"key": partnership.key, "name": partnership.name}, task)
    enqueue(session, [Outgoing("task.opened", target.id, f"task:{task.id}:to:{target.id}", context,
                                             partnership.id, task.id)], now=now)
    return task


def task_listing(session: Session, *, owner: str | None = None, overdue: bool = False, status: str = "open",
                 as_of: date | None = None, partnership: str | None = None, task: int | None = None) -> list[dict]:
    """Tasks with their partnership and assignee, soonest due first."""
    as_of = as_of or clock.today()
    statement = (select(T.id, P.key, T.kind, T.criterion, T.title, T.explanation, T.status, T.due_on, T.flagged,
                        T.created_at, T.closed_at, PE.email)
                 .join(Partnership, P.id == T.partnership_id).outerjoin(Person, PE.id == T.assignee_id)
                 .order_by(T.due_on, T.id))
    if status != "all":
        statement = statement.where(T.status == status)
    if owner:  # on the task's own columns, so the database picks the index of that column
        statement = statement.where(T.assignee_id == person_by_email(session, owner).id)
    if partnership:
        statement = statement.where(T.partnership_id == partnership_by_key(session, partnership).id)
    if task is not None:
        statement = statement.where(T.id == task)
    if overdue:
        statement = statement.where(T.due_on < as_of, T.status == "open")
    return [{"id": row.id, "partnership": row.key, "kind": row.kind, "criterion": row.criterion,
             "title": row.title, "explanation": row.explanation, "status": row.status, "assignee": row.email,
             "flagged": row.flagged, "due_on": row.due_on.isoformat(), "overdue": row.status == "open"
             and row.due_on < as_of, "created_at": row.created_at.isoformat(),
             "closed_at": row.closed_at.isoformat() if row.closed_at else None}
            for row in session.execute(statement)]
