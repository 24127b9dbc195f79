"""Who is told what: the notifications that reviews, decisions and deadlines cause."""

from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from engine.outbox import Outgoing
from engine.tasks import Opened, active_delegations, practice_words
from gates import PartnershipSnapshot
from models import Partnership, PartnershipParty, Person

P, PP, PE = Partnership.__table__.c, PartnershipParty.__table__.c, Person.__table__.c


def task_context(partnership: dict, task: dict) -> dict:
    name, why = practice_words(task["practice"])
    return {"partnership": partnership, "task": {**task, "practice_name": name, "why": why}}


def context_of(partnership: dict, task) -> dict:
    """The template context of a stored task (a Task or a row with its columns)."""
    return task_context(partnership, {
        "id": task.id, "title": task.title, "explanation": task.explanation, "practice": task.practice,
        "kind": task.kind, "criterion": task.criterion, "due_on": task.due_on.isoformat()})


def tasks_opened(opened: list[Opened], snapshots: dict[int, PartnershipSnapshot]) -> list[Outgoing]:
    outgoing = []
    for item in opened:
        if item.assignee_id is None:
            continue
        snapshot = snapshots[item.partnership_id]
        w = item.wanted
        context = task_context({"key": snapshot.key, "name": snapshot.name}, {
            "id": item.task_id, "title": w.title, "explanation": w.result.explanation, "practice": w.result.practice,
            "kind": w.kind, "criterion": w.result.id, "due_on": item.due_on.isoformat()})
        outgoing.append(Outgoing("task.opened", item.assignee_id, f"task:{item.task_id}", context,
                                 item.partnership_id, item.task_id))
    return outgoing


def transitions_applied(session: Session, changes: list, *, on: date) -> list[Outgoing]:
    """Phase changes tell the owner and sponsor; a gate becoming ready tells its gatekeepers
    (or whoever stands in for them `on` that date)."""
    relevant = [c for c in changes if c.phase is not None or c.state == "ready"]
    if not relevant:
        return []
    ids = [c.partnership_id for c in relevant]
    heads = {row.id: row for row in session.execute(
        select(P.id, P.key, P.name, P.phase, P.owner_id, P.sponsor_id).where(P.id.in_(ids)))}
    gatekeepers = _gatekeepers_by_partnership(session, ids)
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
            for person in {standing_in.get(p, p) for p in gatekeepers.get(head.id, [])}:
                outgoing.append(Outgoing("gate.ready", person, f"{head.id}:{change.version}", context, head.id))
    return outgoing


def _gatekeepers_by_partnership(session: Session, ids: list[int]) -> dict[int, list[int]]:
    """Gatekeepers belonging to the partnership's parties (every gatekeeper when none does)."""
    rows = session.execute(select(PP.partnership_id, PE.id, PE.roles).join(Person, PE.party_id == PP.party_id)
                           .where(PP.partnership_id.in_(ids)).order_by(PE.id))
    found: dict[int, list[int]] = {pid: [] for pid in ids}
    for pid, person_id, roles in rows:
        if "gatekeeper" in roles:
            found[pid].append(person_id)
    if any(not people for people in found.values()):
        everyone = [pid for pid, roles in session.execute(select(PE.id, PE.roles)) if "gatekeeper" in roles]
        for pid, people in found.items():
            found[pid] = people or everyone
    return found
