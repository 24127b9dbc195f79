"""The one write path for a partnership's phase and state.

Every change is guarded by the version the caller read (optimistic locking): two reviewers
or gatekeepers can never apply the same change twice. Changes are grouped into one UPDATE
per kind of change, and each applied change writes its audit event in the same transaction.
"""

from collections import defaultdict
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import update
from sqlmodel import Session

from partnerflow.engine import audit
from partnerflow.engine.notifications import enqueue, transitions_applied
from partnerflow.engine.work import cancel_for
from partnerflow.models import Partnership, within

P = Partnership.__table__.c


class Transition(NamedTuple):
    partnership_id: int
    version: int  # the version the change was decided on
    event: str | None  # audit kind ("phase.advanced", "state.ready", ...); None when the caller records it
    phase: str | None = None  # the new phase, or None to keep it
    state: str | None = None  # the new state, or None to keep it
    data: dict[str, Any] = {}


class Conflict(Exception):
    """The partnership changed since it was read; nothing was written."""


def apply(session: Session, transitions: list[Transition], *, actor: str, now: datetime, on: date) -> set[int]:
    """Apply the transitions whose version still matches, tell who must know and audit each; returns
    the ids changed.

    `now` stamps the audit events, cancelled tasks and notices; `on` is the date a new phase starts."""
    done = change(session, transitions, now=now, on=on)
    enqueue(session, transitions_applied(session, done, on=on), now=now)
    audit.record_many(session, [{"kind": kind, "actor": actor, "partnership_id": t.partnership_id, "data": data}
                                for t in done if t.event is not None for kind, data in [event_of(t)]], at=now)
    return {t.partnership_id for t in done}


def change(session: Session, transitions: list[Transition], *, now: datetime, on: date) -> list[Transition]:
    """The changes of `apply` without its notices and audit events (a review keeps its own): the
    transitions whose version still matches are applied, the tasks they end cancelled; returns them."""
    # one UPDATE per kind of change and version read: the ids as one parameter, the version a constant
    # (a row-value IN of (id, version) pairs scans the table on SQLite and is parsed at length by psycopg)
    groups: dict[tuple[str | None, str | None, int], list[int]] = defaultdict(list)
    for transition in transitions:
        groups[(transition.phase, transition.state, transition.version)].append(transition.partnership_id)
    applied: set[int] = set()
    for (phase, state, version), ids in groups.items():
        values: dict[str, Any] = {"version": P.version + 1}
        if phase is not None:
            values.update(phase=phase, phase_since=on, cycle=P.cycle + 1)
        if state is not None:
            values["state"] = state
        statement = (update(Partnership).where(within(P.id, ids), P.version == version).values(values)
                     .returning(P.id).execution_options(synchronize_session=False))
        applied.update(session.execute(statement).scalars())
    done = [t for t in transitions if t.partnership_id in applied]
    _cancel_tasks_of(session, done, now=now)
    return done


def event_of(transition: Transition) -> tuple[str, dict[str, Any]]:
    """The audit event of an applied transition: its kind and data."""
    return transition.event, {**({"phase": transition.phase} if transition.phase else {}),
                              **({"state": transition.state} if transition.state else {}), **transition.data}


def apply_one(session: Session, transition: Transition, *, actor: str, now: datetime, on: date) -> None:
    """Apply one transition or raise Conflict."""
    if transition.partnership_id not in apply(session, [transition], actor=actor, now=now, on=on):
        raise Conflict("the partnership was changed by someone else meanwhile; review it and try again")


def _cancel_tasks_of(session: Session, applied: list[Transition], *, now: datetime) -> None:
    """A new phase starts a new gate cycle: the old gate's tasks are cancelled; an end cancels all."""
    moved = [t.partnership_id for t in applied if t.phase is not None and t.state != "terminated"]
    ended = [t.partnership_id for t in applied if t.state == "terminated"]
    cancel_for(session, moved, now=now, reason="the partnership moved to another phase")
    cancel_for(session, ended, now=now, reason="the partnership was terminated", gate_only=False)
