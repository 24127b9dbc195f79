"""Reconciling tasks with a review: one open task per failing criterion and fired monitor.

Reviewing twice changes nothing: a task is found by its idempotency key (partnership, gate
or monitor, criterion, gate cycle); a task whose criterion passes again is closed as done;
a closed task whose criterion fails again in the same cycle is reopened, never duplicated.
"""

from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import and_, select, update
from sqlmodel import Session

from partnerflow.engine import audit
from partnerflow.engine.people import active_delegations
from partnerflow.gates import CriterionResult, GateEvaluation, PartnershipSnapshot, Policy
from partnerflow.models import Batch, Delegation, Read, Task, insert_rows, read_rows, update_rows, within

T, D = Task.__table__.c, Delegation.__table__.c
MONITOR_CYCLE = 0  # monitors span phases: their tasks do not restart with a new gate cycle
REVIEWED_KINDS = ("gate", "monitor")  # the tasks a review opens and closes; "condition" tasks are not its


class Wanted(NamedTuple):
    """A task a review says should be open."""

    key: str
    kind: str
    gate: str | None
    cycle: int
    result: CriterionResult
    title: str
    owner_role: str


class Opened(NamedTuple):
    task_id: int
    partnership_id: int
    assignee_id: int | None
    wanted: Wanted
    due_on: date


class ExistingTask(NamedTuple):
    """A task of the batch as the review compares it with what it wants."""

    partnership_id: int
    id: int
    criterion: str
    idempotency_key: str
    status: str
    explanation: str
    cycle: int


# the review's own tasks of a batch (`ExistingTask`'s fields, the partnership first)
_REVIEWED = Read(select(T.partnership_id, T.id, T.criterion, T.idempotency_key, T.status, T.explanation, T.cycle)
                 .where(T.kind.in_(REVIEWED_KINDS)), T.partnership_id)


class Reconciled(NamedTuple):
    opened: list[Opened]
    closed: int
    reopened: int
    events: list[tuple[int, str, dict]]  # (partnership id, kind, data): for the review's audit events


def task_key(partnership_id: int, source: str, criterion: str, cycle: int) -> str:
    return f"{partnership_id}:{source}:{criterion}:{cycle}"


def wanted_tasks(policy: Policy, snapshot: PartnershipSnapshot, evaluation: GateEvaluation | None,
                 monitors: tuple[CriterionResult, ...], *, advancing: bool) -> list[Wanted]:
    """The tasks the review of one partnership asks for. An advancing partnership's gate needs none."""
    wanted = []
    failed = [] if evaluation is None or advancing else [r for r in evaluation.results if not r.passed]
    if failed:  # the criteria looked up only then: half the partnerships of a portfolio fail nothing
        gate = policy.gate(evaluation.gate)
        by_id = {c.id: c for c in gate.criteria}
        for result in failed:
            criterion = by_id[result.id]
            wanted.append(Wanted(task_key(snapshot.id, gate.id, result.id, snapshot.cycle), "gate", gate.id,
                                 snapshot.cycle, result, criterion.task, criterion.owner_role))
    fired = [r for r in monitors if not r.passed]
    if fired:
        by_monitor = {m.id: m for m in policy.monitors}
        for result in fired:
            monitor = by_monitor[result.id]
            wanted.append(Wanted(task_key(snapshot.id, "monitor", result.id, MONITOR_CYCLE), "monitor", None,
                                 MONITOR_CYCLE, result, monitor.task, monitor.owner_role))
    return wanted


def assignee(snapshot: PartnershipSnapshot, owner_role: str, unavailable: frozenset[int] = frozenset()
             ) -> int | None:
    """Who fixes it: a member in the role, else the partnership owner, else the sponsor; None if
    nobody available fills any of these (the task is then flagged to the program office)."""
    in_role = sorted(m.person_id for m in snapshot.members if m.role == owner_role)
    if owner_role == "sponsor":
        in_role.insert(0, snapshot.sponsor_id)
    elif owner_role == "owner":
        in_role.insert(0, snapshot.owner_id)
    candidates = [*in_role, snapshot.owner_id, snapshot.sponsor_id]
    return next((p for p in candidates if p is not None and p not in unavailable), None)




def reconcile(session: Session, policy: Policy, snapshots: dict[int, PartnershipSnapshot],
              wanted: dict[int, list[Wanted]], *, batch: Batch, now: datetime, as_of: date) -> Reconciled:
    """Open, reopen, update and close the tasks of a batch of partnerships; returns what changed, with
    the audit events for the caller to record. Flushes; the caller commits."""
    if not snapshots:
        return Reconciled([], 0, 0, [])
    existing = _existing(session, snapshots, batch)
    existing_by_id = {row.id: row for row in existing.values()}
    want = {w.key: (pid, w) for pid, items in wanted.items() if pid in snapshots for w in items}
    closing = [row.id for key, row in existing.items() if row.status == "open" and key not in want]
    reopening, explaining, new = [], [], []
    for key, (pid, w) in want.items():
        row = existing.get(key)
        if row is None:
            new.append((pid, w))
        elif row.status != "open":
            reopening.append(row.id)
            explaining.append({"id": row.id, "explanation": w.result.explanation})
        elif row.explanation != w.result.explanation:
            explaining.append({"id": row.id, "explanation": w.result.explanation})
    if closing:
        session.execute(update(Task).where(within(T.id, closing)).values(
            status="done", closed_at=now, closed_by="review", note="the criterion passes now")
            .execution_options(synchronize_session=False))
    due = as_of + timedelta(days=policy.task_due_days)
    if reopening:
        session.execute(update(Task).where(within(T.id, reopening)).values(
            status="open", closed_at=None, closed_by=None, note=None, due_on=due, escalation_level=0,
            last_reminded_at=None).execution_options(synchronize_session=False))
    update_rows(session.connection(), Task.__table__, explaining)
    opened = _open(session, snapshots, new, batch=batch, now=now, due=due, as_of=as_of)
    events = [
        *((o.partnership_id, "task.opened", {"task": o.task_id, "criterion": o.wanted.result.id,
                                             "assignee": o.assignee_id}) for o in opened),
        *((existing_by_id[tid].partnership_id, "task.closed", {"task": tid, "criterion": existing_by_id[tid].criterion,
                                                              "note": "the criterion passes now"}) for tid in closing),
        *((existing_by_id[tid].partnership_id, "task.reopened", {"task": tid, "criterion": existing_by_id[tid].criterion})
          for tid in reopening),
    ]
    return Reconciled(opened, len(closing), len(reopening), events)


def _existing(session: Session, snapshots: dict[int, PartnershipSnapshot], batch: Batch) -> dict[str, ExistingTask]:
    """Open tasks, and any task of the current gate cycle or of a monitor, by idempotency key.

    Only the review's own tasks (gate and monitor): a condition task is a gatekeeper's, closed by its owner."""
    session.flush()  # read through the DB-API cursor: what the session holds goes first
    return {row.idempotency_key: row for row in map(ExistingTask._make, read_rows(session.connection(), _REVIEWED, batch))
            if row.partnership_id in snapshots
            and (row.status == "open" or row.cycle in (MONITOR_CYCLE, snapshots[row.partnership_id].cycle))}


def _open(session: Session, snapshots, new: list[tuple[int, Wanted]], *, batch: Batch, now: datetime, due: date,
          as_of: date) -> list[Opened]:
    if not new:
        return []
    delegations = active_delegations(session, as_of)
    rows = []
    for pid, w in new:
        person = assignee(snapshots[pid], w.owner_role)
        delegate = delegations.get(person) if person is not None else None
        rows.append({
            "partnership_id": pid, "kind": w.kind, "gate": w.gate, "criterion": w.result.id, "cycle": w.cycle,
            "idempotency_key": w.key, "practice": w.result.practice, "title": w.title,
            "explanation": w.result.explanation, "owner_role": w.owner_role,
            "assignee_id": delegate or person, "delegated_from_id": person if delegate else None,
            "flagged": person is None, "status": "open", "due_on": due, "created_at": now,
        })
    # Inserted without RETURNING (COPY on PostgreSQL; the ORM's bulk insert would split rows by which
    # values are None). With RETURNING, SQLAlchemy writes one statement of a thousand rows, whose 16,000
    # placeholders psycopg parses in Python: 4.5 s of CPU in a first review of 100,000 on PostgreSQL
    # (docs/performance.md). The ids are read back with the batch's tasks, by their keys (unique).
    connection = session.connection()
    insert_rows(connection, Task.__table__, rows)
    ids = {task.idempotency_key: task.id for task in map(ExistingTask._make, read_rows(connection, _REVIEWED, batch))}
    return [Opened(ids[row["idempotency_key"]], pid, row["assignee_id"], w, due) for (pid, w), row in zip(new, rows)]


def cancel_for(session: Session, partnership_ids: list[int], *, now: datetime, reason: str,
               gate_only: bool = True) -> int:
    """Cancel the open tasks of partnerships that moved on (a new phase: gate tasks only; monitors and
    conditions outlive a phase) or ended (terminated: every task)."""
    if not partnership_ids:
        return 0
    where = and_(within(T.partnership_id, partnership_ids), T.status == "open")
    if gate_only:
        where = and_(where, T.kind == "gate")
    cancelled = session.execute(update(Task).where(where).values(
        status="cancelled", closed_at=now, closed_by="engine", note=reason).returning(T.id, T.partnership_id)
        .execution_options(synchronize_session=False)).all()
    audit.record_many(session, [{"kind": "task.cancelled", "actor": "engine", "partnership_id": pid,
                                 "data": {"task": tid, "note": reason}} for tid, pid in cancelled], at=now)
    return len(cancelled)
