"""Reviewing partnerships against the gate policy, one batch per transaction.

For every partnership in a batch: evaluate the gate out of its phase, write a GateReview
unless the result equals the previous review (then only record when it was confirmed: a
`ReviewConfirmation`),
and apply the gate's approval mode: `auto` advances, `gatekeeper` marks it ready.

Each review also marks the partnership with what its result depended on: the evidence version
it read, the policy, the day it looked and the last day the result holds (`gates.assess`). An
incremental review reloads only the partnerships whose mark no longer covers the day reviewed;
the others are confirmed from their latest review, exactly as a full review would find them.
"""

import gc
import hashlib
import json
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import Connection, and_, false, func, insert, not_, or_, select, update
from sqlmodel import Session

from partnerflow.engine import audit, clock
from partnerflow.engine.database import transaction
from partnerflow.engine.lookup import partnership_ids
from partnerflow.engine.notifications import hold
from partnerflow.engine.phases import transitions
from partnerflow.engine.phases.transitions import Transition
from partnerflow.engine.work import reconcile, wanted_tasks
from partnerflow.gates import (CriterionResult, GateEvaluation, PartnershipSnapshot, Policy, assess,
                              next_phase)
from partnerflow.models import (Batch, GateReview, IdRange, Partnership, Read, ReviewRun, confirm_reviews, insert_rows,
                                load_snapshots, read_rows, update_rows, within)

R = GateReview.__table__.c
P = Partnership.__table__.c


@dataclass
class ReviewReport:
    """What a review did; reports of batches add up."""

    reviewed: int = 0
    passed: int = 0
    written: int = 0
    unchanged: int = 0
    advanced: list[str] = field(default_factory=list)
    ready: list[str] = field(default_factory=list)
    no_longer_ready: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    blockers: Counter = field(default_factory=Counter)
    tasks_opened: int = 0
    tasks_closed: int = 0
    skipped: int = 0  # live partnerships confirmed without reloading (an incremental review's)
    busy: int = 0  # partnerships another review was working on at the same time: left to it
    # (partnership key, task id, criterion) of each task a batch opened, for the flow to announce;
    # a batch's only: reports that add up leave it out (a first review of 300,000 opens 400,000)
    opened: list = field(default_factory=list)

    def __add__(self, other: "ReviewReport") -> "ReviewReport":
        """Counts add, lists concatenate, the blockers' Counters add."""
        return ReviewReport(**{name: getattr(self, name) + getattr(other, name) for name in SUMMED})

    def as_dict(self) -> dict:
        """The summary a run returns (JSON), blockers most common first."""
        return {**{name: getattr(self, name) for name in SUMMED}, "blockers": dict(self.blockers.most_common())}


SUMMED = tuple(f.name for f in fields(ReviewReport) if f.name != "opened")


@contextmanager
def collector_paused() -> Iterator[None]:
    """A batch reviewed without the cyclic garbage collector: loaded, evaluated and written.

    A batch creates ~100,000 small tuples and rows that hold no cycles (reference counting frees
    them when the batch is dropped); each young-generation pass over them, and the full passes
    they trigger over everything else alive in the process, cost a third of a first review with
    the collector on (docs/performance.md). What cycles a batch makes (SQLAlchemy's session
    bookkeeping) wait for the next collection after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_frozen = {"depth": 0}
_freezing = threading.Lock()


@contextmanager
def collector_frozen() -> Iterator[None]:
    """A review run: everything alive at its start (imports, Prefect's client and server
    objects, the policy) moves out of the collector's reach (`gc.freeze()`, which costs nothing), so
    the collections during the run traverse the run's own objects only (a full collection of a
    process Prefect has filled costs 0.2 s; a review flow of 100,000 triggered two: planning, and
    Prefect walking a task's inputs); thawed at the end, so nothing frozen outlives the run.
    Re-entrant: only the outermost block freezes and thaws (the flow freezes the whole run, and the
    shards it reviews freeze again when they run alone). No `gc.collect()` first: it cost 0.14 s in a
    process with Prefect loaded, and what garbage it would have found waits for the first
    collection after the run."""
    with _freezing:
        _frozen["depth"] += 1
        if _frozen["depth"] == 1:
            gc.freeze()
    try:
        yield
    finally:
        with _freezing:
            _frozen["depth"] -= 1
            if _frozen["depth"] == 0:
                gc.unfreeze()


def batch_size(batch: Batch) -> int:
    """Partnerships in a batch (a range counts the ids it spans: an upper bound)."""
    return batch.last - batch.first + 1 if isinstance(batch, IdRange) else len(batch)


RESULT_PARTS = "%s\x1f%s\x1f%s\x1f%d\x1f%s"  # a CriterionResult's fields: id, practice, level, passed (0/1), explanation


def digest(evaluation: GateEvaluation, phase: str) -> str:
    """A stable fingerprint of a review's outcome: equal results, equal digest (the stored reviews'
    digests were made this way: changing it would rewrite every partnership's review once)."""
    parts = [evaluation.policy_version, evaluation.gate, phase]
    parts += [RESULT_PARTS % result for result in evaluation.results]  # one C call a result, not five lookups
    return hashlib.blake2b("\x1e".join(parts).encode(), digest_size=16).hexdigest()


_LIVE = Read(select(P.id).where(P.state != "terminated").order_by(P.id), None)


def plan_batches(connection: Connection, batch_size: int) -> list[tuple[int, int]]:
    """Id ranges of at most `batch_size` live partnerships each, in id order."""
    ids = [row[0] for row in read_rows(connection, _LIVE)]
    return [IdRange(ids[i], ids[min(i + batch_size, len(ids)) - 1]) for i in range(0, len(ids), batch_size)]


def policy_mark(policy: Policy) -> str:
    """A fingerprint of the whole policy (not only its version: a policy edited in place counts as new)."""
    return hashlib.blake2b(policy.model_dump_json().encode(), digest_size=16).hexdigest()


def still_holds(as_of: date, policy: Policy):
    """The partnerships whose last review still holds on `as_of`: nothing they read has changed
    since, it used this policy, and `as_of` lies between the day it looked and its last day."""
    return and_(P.reviewed_as_of.is_not(None), P.reviewed_evidence == P.evidence_version,
                P.reviewed_policy == policy_mark(policy), P.reviewed_as_of <= as_of,
                or_(P.review_holds_until.is_(None), P.review_holds_until >= as_of))


def plan_stale(connection: Connection, batch_size: int, as_of: date, policy: Policy) -> list[list[int]]:
    """Batches of the live partnerships an incremental review must reload (ids, in id order)."""
    ids = connection.execute(select(P.id).where(P.state != "terminated", not_(still_holds(as_of, policy)))
                             .order_by(P.id)).scalars().all()
    return [ids[i:i + batch_size] for i in range(0, len(ids), batch_size)]


def held_report(connection: Connection, as_of: date, policy: Policy) -> ReviewReport:
    """What a full review would report of the partnerships an incremental one skips: their latest
    review of the gate out of their phase, unchanged (nothing is written for them)."""
    holds = and_(P.state != "terminated", still_holds(as_of, policy))
    skipped = connection.execute(select(func.count()).where(holds)).scalar_one()
    latest = (select(func.max(R.id).label("id")).join(Partnership.__table__, P.id == R.partnership_id)
              .where(holds, R.phase == P.phase).group_by(R.partnership_id).subquery())
    report = ReviewReport(skipped=skipped)
    for passed, blockers in connection.execute(select(R.passed, R.blockers).join(latest, latest.c.id == R.id)):
        report.reviewed += 1
        report.passed += passed
        report.blockers.update(blockers)
    report.unchanged = report.reviewed
    return report


_EARLIER = GateReview.__table__.alias("earlier")
_LATEST = Read(select(R.id, R.partnership_id, R.gate, R.digest).where(R.id == select(func.max(_EARLIER.c.id)).where(
    _EARLIER.c.partnership_id == R.partnership_id, _EARLIER.c.gate == R.gate).scalar_subquery()), R.partnership_id)


def latest_digests(connection: Connection, batch) -> dict[tuple[int, str], tuple[int, str]]:
    """(partnership id, gate) -> (review id, digest) of the latest review in the batch."""
    return {(pid, gate): (rid, dig) for rid, pid, gate, dig in read_rows(connection, _LATEST, batch)}


def review_batch(session: Session, policy: Policy, batch, as_of: date, *, now: datetime,
                 actor: str = "review", wait: bool = False) -> ReviewReport:
    """Review the partnerships of `batch` (an id range or a list of ids). Flushes; the caller commits.

    `as_of` is the date evaluated; `now` stamps every row the batch writes (one clock per unit of work)."""
    with collector_paused():
        return _review_batch(session, policy, batch, as_of, now=now, actor=actor, wait=wait)


def claim(connection: Connection, batch, *, wait: bool) -> tuple[Batch, int]:
    """The partnerships of `batch` this review works on, held until it commits, and how many another
    review holds. PostgreSQL: their rows are locked (`FOR UPDATE`); those another review has locked
    are left to it (`SKIP LOCKED`), or, with `wait` (partnerships a person named), waited for.
    SQLite: the database's write lock is taken first (a second review waits for the first to
    commit), so everything read is what the last writer committed."""
    if connection.dialect.name == "sqlite":
        connection.execute(update(Partnership.__table__).where(false()).values(evidence_version=P.evidence_version))
        return batch, 0
    live = select(P.id).where(within(P.id, batch), P.state != "terminated").order_by(P.id)
    claimed = connection.execute(live.with_for_update(skip_locked=not wait)).scalars().all()
    held = connection.execute(select(func.count()).select_from(live.subquery())).scalar_one() - len(claimed)
    return (batch if held == 0 else claimed), held


def _review_batch(session: Session, policy: Policy, batch, as_of: date, *, now: datetime,
                  actor: str, wait: bool) -> ReviewReport:
    connection = session.connection()
    batch, busy = claim(connection, batch, wait=wait)
    marks = read_marks(connection, batch)  # before the snapshots: a change meanwhile makes the mark stale
    snapshots = load_snapshots(connection, batch)
    previous = latest_digests(connection, batch)
    report, rows, confirmed, changes, wanted, serialized, blocking = ReviewReport(), [], [], [], {}, {}, []
    assessed = [(s, assess(policy, s, as_of)) for s in snapshots]
    for snapshot, (evaluation, monitors, _) in assessed:
        if evaluation is None:
            wanted[snapshot.id] = wanted_tasks(policy, snapshot, None, monitors, advancing=False)
            continue
        blockers = evaluation.blocker_ids  # once a partnership: the report, the transition and the row use them
        change = _transition(policy, snapshot, evaluation, blockers)
        wanted[snapshot.id] = wanted_tasks(policy, snapshot, evaluation, monitors,
                                           advancing=change is not None and change.phase is not None)
        report.reviewed += 1
        report.passed += not blockers
        blocking += blockers  # counted once for the batch: a Counter's update is a Python call
        this = digest(evaluation, snapshot.phase)
        before = previous.get((snapshot.id, evaluation.gate))
        if before is not None and before[1] == this:
            confirmed.append(before[0])
        else:
            rows.append(_review_row(snapshot, evaluation, blockers, this, as_of, now,
                                    follows=before[0] if before else 0, serialized=serialized))
        if change is not None:
            changes.append((snapshot.key, change))
    report.blockers.update(blocking)
    if rows:
        # Core: no ORM bulk bookkeeping; COPY on PostgreSQL; the results already JSON text
        insert_rows(connection, GateReview.__table__, rows, as_stored=("results",))
    if confirmed:
        confirm_reviews(connection, confirmed, at=now, as_of=as_of)
    write_marks(connection, marks, [(s.id, a.holds_until) for s, a in assessed], policy_mark(policy), as_of)
    done = transitions.change(session, [c for _, c in changes], now=now, on=as_of)
    applied = {t.partnership_id for t in done}
    # after the transitions: a partnership that moved on starts a new gate cycle; one changed
    # by someone else meanwhile is left alone until the next review
    stale = {c.partnership_id for _, c in changes if c.partnership_id not in applied}
    by_id = {s.id: s for s in snapshots if s.id not in stale}
    reconciled = reconcile(session, policy, by_id, wanted, batch=batch, now=now, as_of=as_of)
    # what changed, audited in one event per partnership; who must know, told when the outbox is next drained
    audit.record_review(session, [*((t.partnership_id, *transitions.event_of(t)) for t in done),
                                  *reconciled.events], actor=actor, at=now)
    hold(session, tasks=[o.task_id for o in reconciled.opened if o.assignee_id is not None], transitions=done,
         as_of=as_of, now=now)
    report.tasks_opened, report.tasks_closed = len(reconciled.opened), reconciled.closed
    report.opened = [(by_id[o.partnership_id].key, o.task_id, o.wanted.result.id) for o in reconciled.opened]
    report.written, report.unchanged, report.busy = len(rows), len(confirmed), busy
    for key, change in changes:
        if change.partnership_id not in applied:
            report.conflicts.append(key)
        elif change.phase is not None:
            report.advanced.append(key)
        elif change.state == "ready":
            report.ready.append(key)
        else:
            report.no_longer_ready.append(key)
    return report


_MARKS = Read(select(P.id, P.evidence_version, P.reviewed_evidence, P.reviewed_policy, P.reviewed_as_of,
                     P.review_holds_until), P.id)


def read_marks(connection: Connection, batch) -> dict[int, tuple]:
    """id -> (evidence version, the mark of its last review: evidence, policy, as of, holds until)."""
    return {row[0]: row[1:] for row in read_rows(connection, _MARKS, batch)}


def write_marks(connection: Connection, marks: dict[int, tuple], holds: list[tuple[int, date | None]],
                policy: str, as_of: date) -> None:
    """Mark each partnership with what its review depended on; a mark that still says the same is kept
    (its earlier day stays true: the result held from then on)."""
    rows = []
    for pid, holds_until in holds:
        version, evidence, marked_policy, marked_as_of, marked_until = marks[pid]
        if (evidence, marked_policy, marked_until) != (version, policy, holds_until) or marked_as_of is None \
                or as_of < marked_as_of:
            rows.append({"id": pid, "reviewed_evidence": version, "review_holds_until": holds_until})
    update_rows(connection, Partnership.__table__, rows, reviewed_policy=policy, reviewed_as_of=as_of)


def _review_row(snapshot: PartnershipSnapshot, evaluation: GateEvaluation, blockers: list[str], this: str,
                as_of: date, now, *, follows: int, serialized: dict[CriterionResult, str]) -> dict:
    return {
        "partnership_id": snapshot.id, "gate": evaluation.gate, "phase": snapshot.phase,
        "policy_version": evaluation.policy_version, "as_of": as_of, "passed": not blockers,
        "results": results_json(evaluation.results, serialized), "blockers": blockers,
        "digest": this,
        "created_at": now, "previous_id": follows,
    }


def results_json(results: Sequence[CriterionResult], serialized: dict[CriterionResult, str]) -> str:
    """A review's results as the database stores them: the JSON text of a list of the results' dicts,
    each distinct result serialized once (`serialized`, kept for a batch: across a batch's reviews
    one result in ten is new; serializing every one cost 1.2 s more in a first review of 100,000)."""
    parts = []
    for result in results:
        text = serialized.get(result)
        if text is None:
            text = serialized[result] = json.dumps(result._asdict())
        parts.append(text)
    return f"[{', '.join(parts)}]"


def _transition(policy: Policy, snapshot: PartnershipSnapshot, evaluation: GateEvaluation,
                blockers: list[str]) -> Transition | None:
    """What the review changes: auto gates advance, gatekeeper gates become ready (or stop being).
    `blockers`: the evaluation's `blocker_ids`."""
    passing = snapshot.state == "active" and not blockers
    if not passing and not (snapshot.state == "ready" and blockers):
        return None  # most partnerships: nothing changes, nothing built
    data = {"gate": evaluation.gate, "policy_version": policy.version}
    if not passing:
        return Transition(snapshot.id, snapshot.version, "state.not_ready", state="active",
                          data={**data, "blockers": blockers})
    if policy.gate(evaluation.gate).approval == "auto":
        return Transition(snapshot.id, snapshot.version, "phase.advanced", phase=next_phase(snapshot.phase),
                          state="active", data={**data, "from": snapshot.phase})
    return Transition(snapshot.id, snapshot.version, "state.ready", state="ready", data=data)


class ReviewPlan(NamedTuple):
    """The batches a review runs, what it reports of the partnerships it skips, and its run's id
    (None for a review of named partnerships, which is not a review of the portfolio)."""

    batches: list
    held: ReviewReport
    run_id: int | None


def plan_review(session: Session, policy: Policy, as_of: date, *, keys: Sequence[str] = (), batch_size: int,
                incremental: bool = False, now: datetime) -> ReviewPlan:
    """The partnerships named by `keys` as one batch; or the portfolio: every live partnership in id
    ranges of `batch_size` (full), or only those whose last review no longer holds (incremental).
    A review of the portfolio is recorded as a run, finished by `finish_run`."""
    if keys:
        return ReviewPlan([partnership_ids(session, list(keys))], ReviewReport(), None)
    connection = session.connection()
    if incremental:
        batches, held = plan_stale(connection, batch_size, as_of, policy), held_report(connection, as_of, policy)
    else:
        batches, held = plan_batches(connection, batch_size), ReviewReport()
    run_id = connection.execute(insert(ReviewRun).values(
        as_of=as_of, full=not incremental, policy_version=policy.version, policy_mark=policy_mark(policy),
        started_at=now, reviewed=0, skipped=held.skipped).returning(ReviewRun.id)).scalar_one()
    return ReviewPlan(batches, held, run_id)


def finish_run(session: Session, plan: ReviewPlan, report: ReviewReport, *, now: datetime) -> None:
    """Record that a review of the portfolio ran to its end: the partnerships it skipped are confirmed."""
    if plan.run_id is not None:
        session.execute(update(ReviewRun).where(ReviewRun.id == plan.run_id).values(
            finished_at=now, reviewed=report.reviewed - plan.held.reviewed, skipped=report.skipped))


def review_all(engine, policy: Policy, as_of: date, *, batch_size: int, keys: Sequence[str] = (),
               now: datetime | None = None, on_batch=None, requested_by: str | None = None,
               incremental: bool = False) -> ReviewReport:
    """Review every live partnership (or those of `keys`), one transaction per batch, in this process;
    `incremental`: only those whose last review no longer holds, the others confirmed as they are.
    A review a person asked for (`requested_by`, an email) is audited under their name, per partnership.

    The review flow (flows/review.py) runs the same batches, each as a Prefect task."""
    now = now or clock.now()
    with collector_frozen():
        return _review_all(engine, policy, as_of, batch_size=batch_size, keys=keys, now=now, on_batch=on_batch,
                           requested_by=requested_by, incremental=incremental)


def _review_all(engine, policy: Policy, as_of: date, *, batch_size: int, keys: Sequence[str], now: datetime,
                on_batch, requested_by: str | None, incremental: bool) -> ReviewReport:
    with transaction(engine) as session:
        plan = plan_review(session, policy, as_of, keys=keys, batch_size=batch_size, incremental=incremental,
                           now=now)
        if requested_by is not None and keys:
            audit.record_many(session, [{"kind": "review.requested", "actor": requested_by, "partnership_id": pid,
                                         "data": {"as_of": as_of.isoformat()}}
                                        for pid in plan.batches[0]], at=now)  # keys: one batch of their ids
    report = plan.held
    for batch in plan.batches:
        with transaction(engine) as session:
            done = review_batch(session, policy, batch, as_of, now=now, wait=bool(keys))
        report += done
        if on_batch is not None:
            on_batch(done)
    with transaction(engine) as session:
        finish_run(session, plan, report, now=now)
    return report

