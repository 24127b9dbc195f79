"""People leaving a partnership: their open tasks move by the owner-role rules, never into a void."""

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import delete, select
from sqlmodel import Session

from partnerflow.engine import audit, clock
from partnerflow.engine.lookup import partnership_by_key, person_by_email
from partnerflow.engine.notifications import Outgoing, context_of, enqueue
from partnerflow.engine.people import program_office
from partnerflow.engine.work.tasks import assignee
from partnerflow.models import Delegation, Member, Task, load_snapshots


class MemberRefused(Exception):
    """The change to a partnership's members or a delegation is not allowed; nothing was written."""


class Removal(NamedTuple):
    reassigned: int
    flagged: int


def remove_member(session: Session, key: str, email: str, *, by: str, now: datetime | None = None) -> Removal:
    """Remove a person from a partnership (the owner or a program manager may). Flushes; the caller commits."""
    now = now or clock.now()
    partnership = partnership_by_key(session, key)
    actor, leaving = person_by_email(session, by), person_by_email(session, email)
    if actor.id != partnership.owner_id and "program_manager" not in actor.roles:
        raise MemberRefused(f"{actor.email} may not change the members of {key}: only its owner or a program manager")
    removed = session.execute(delete(Member).where(Member.partnership_id == partnership.id,
                                                   Member.person_id == leaving.id)).rowcount
    if not removed:
        raise MemberRefused(f"{leaving.email} is not a member of {key}")
    audit.record(session, "member.removed", actor=actor.email, at=now, partnership_id=partnership.id, person=leaving.email)
    snapshot = load_snapshots(session.connection(), [partnership.id], include_terminated=True)[0]
    open_tasks = session.scalars(select(Task).where(Task.partnership_id == partnership.id, Task.status == "open",
                                                 Task.assignee_id == leaving.id)).all()
    office = program_office(session)
    moved, flagged, outgoing = 0, 0, []
    for task in open_tasks:
        task.assignee_id = assignee(snapshot, task.owner_role, unavailable=frozenset({leaving.id}))
        task.delegated_from_id, task.flagged = None, task.assignee_id is None
        context = context_of({"key": partnership.key, "name": partnership.name}, task)
        if task.flagged:
            flagged += 1
            outgoing += [Outgoing("task.unassigned", person, f"task:{task.id}:unassigned:{leaving.id}",
                                         {**context, "role": task.owner_role}, partnership.id, task.id)
                         for person in office]
        else:
            moved += 1
            outgoing.append(Outgoing("task.opened", task.assignee_id, f"task:{task.id}:to:{task.assignee_id}",
                                            context, partnership.id, task.id))
        audit.record(session, "task.reassigned", actor=actor.email, at=now, partnership_id=partnership.id,
                     task=task.id,
                     **{"from": leaving.id, "to": task.assignee_id, "flagged": task.flagged})
    session.flush()
    enqueue(session, outgoing, now=now)
    return Removal(moved, flagged)


def delegate(session: Session, email: str, *, to: str, starts_on, ends_on, now: datetime | None = None
             ) -> Delegation:
    """Out of office: from `starts_on` to `ends_on` (inclusive), `to` receives and acts for `email`."""
    now = now or clock.now()
    person, stand_in = person_by_email(session, email), person_by_email(session, to)
    if person.id == stand_in.id:
        raise MemberRefused("a person cannot delegate to themselves")
    if ends_on < starts_on:
        raise MemberRefused(f"the delegation ends ({ends_on}) before it starts ({starts_on})")
    delegation = Delegation(person_id=person.id, delegate_id=stand_in.id, starts_on=starts_on, ends_on=ends_on)
    session.add(delegation)
    audit.record(session, "delegation.added", actor=person.email, at=now, delegate=stand_in.email,
                 starts_on=starts_on.isoformat(), ends_on=ends_on.isoformat())
    session.flush()
    return delegation
