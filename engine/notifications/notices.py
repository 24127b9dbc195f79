"""Who is told what: the notifications that reviews, decisions and deadlines cause."""

from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from partnerflow.engine.notifications.outbox import Outgoing
from partnerflow.engine.people import active_delegations, gatekeepers_by_partnership, program_office
from partnerflow.gates import PRACTICE_BY_KEY
from partnerflow.models import Partnership, Task, within

P, T = Partnership.__table__.c, Task.__table__.c


def task_context(partnership: dict, task: dict) -> dict:
    name, why = practice_words(task["practice"])
    return {"partnership": partnership, "task": {**task, "practice_name": name, "why": why}}


def context_of(partnership: dict, task) -> dict:
    """The template context of a stored task (a Task or a row with its columns)."""
    return task_context(partnership, {
        "id": task.id, "title": task.title, "explanation": task.explanation, "practice": task.practice,
        "kind": task.kind, "criterion": task.criterion, "due_on": task.due_on.isoformat()})


def tasks_opened(session: Session, task_ids: list[int]) -> list[Outgoing]:
    """`task.opened` for each of these stored tasks that has an assignee, read as they are now."""
    if not task_ids:
        return []
    rows = session.execute(
        select(T.id, T.partnership_id, T.assignee_id, T.title, T.explanation, T.practice, T.kind, T.criterion,
               T.due_on, P.key, P.name).join(Partnership, P.id == T.partnership_id)
        .where(within(T.id, task_ids), T.assignee_id.is_not(None)).order_by(T.id))
    return [Outgoing("task.opened", row.assignee_id, f"task:{row.id}",
                     context_of({"key": row.key, "name": row.name}, row), row.partnership_id, row.id) for row in rows]


def transitions_applied(session: Session, changes: list, *, on: date) -> list[Outgoing]:
    """Phase changes tell the owner and sponsor; a gate becoming ready tells the gatekeepers of the
    partnership's parties (or whoever stands in for them `on` that date), the program office when
    its parties have none."""
    relevant = [c for c in changes if c.phase is not None or c.state == "ready"]
    if not relevant:
        return []
    ids = [c.partnership_id for c in relevant]
    heads = {row.id: row for row in session.execute(
        select(P.id, P.key, P.name, P.phase, P.owner_id, P.sponsor_id).where(within(P.id, ids)))}
    gatekeepers = gatekeepers_by_partnership(session, ids)
    appointing = program_office(session) if any(not found for found in gatekeepers.values()) else []
    standing_in = active_delegations(session, on)  # out of office: the delegate is told
    outgoing = []
    for change in relevant:
        head = heads[change.partnership_id]
        partnership = {"key": head.key, "name": head.name}
        if change.phase is not None:
            context = {"partnership": partnership, "phase": change.phase, "from_phase": change.data.get("from"),
                       "gate": change.data.get("gate")}
            for person in {head.owner_id, head.sponsor_id}:
                outgoing.append(Outgoing("phase.changed", person, f"{head.id}:{change.phase}:{change.version}",
                                         context, head.id))
        else:
            context = {"partnership": partnership, "gate": change.data.get("gate")}
            # only the gatekeepers of its parties decide; with none, the program office must appoint one
            deciders = gatekeepers[head.id] or appointing
            for person in {standing_in.get(p, p) for p in deciders}:
                outgoing.append(Outgoing("gate.ready", person, f"{head.id}:{change.version}", context, head.id))
    return outgoing


def practice_words(practice: str) -> tuple[str, str]:
    found = PRACTICE_BY_KEY[practice]
    return found.name, found.why
