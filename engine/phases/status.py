"""Read-only views: the portfolio, one partnership's gate (its history: engine/phases/history.py). No Prefect needed."""

from collections import Counter
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlmodel import Session

from partnerflow.engine import clock
from partnerflow.engine.lookup import partnership_by_key
from partnerflow.engine.phases.review import plan_batches
from partnerflow.engine.work import open_conditions
from partnerflow.gates import CHECKS, PHASES, PRACTICE_BY_KEY, STATES, Policy, evaluate, evaluate_monitors
from partnerflow.models import (GateReview, Partnership, PartnershipParty, Party, Person, ReviewRun, checked,
                                confirmed_from, load_snapshots)

P, R = Partnership.__table__.c, GateReview.__table__.c


class _Outcome(NamedTuple):
    """A partnership's latest gate outcome: stored by a review, or evaluated on a chosen date."""

    key: str
    name: str
    phase: str
    state: str
    gate: str
    passed: bool
    blockers: list[str]
    checked_at: datetime | None


def portfolio(session: Session, *, policy: Policy | None = None, as_of: date | None = None) -> dict:
    """Counts by phase and state, the partnerships waiting for a gatekeeper, the top blockers.

    By default the blockers are those of the latest stored reviews; with `as_of` (and the policy)
    every live partnership is evaluated on that date instead, writing nothing."""
    counts = session.execute(select(P.phase, P.state, func.count()).group_by(P.phase, P.state)).all()
    reviews = _stored_outcomes(session) if as_of is None or policy is None else _outcomes_on(session, policy, as_of)
    blockers = Counter(blocker for row in reviews for blocker in row.blockers)
    blocked = sorted((row.key, row.name, row.phase, row.blockers) for row in reviews if not row.passed)
    return {
        "as_of": as_of.isoformat() if as_of is not None and policy is not None else None,
        "by_phase": {phase: sum(n for p, s, n in counts if p == phase and s != "terminated")
                     for phase in PHASES},
        "by_state": {state: sum(n for _, s, n in counts if s == state)
                     for state in STATES},
        # waiting for a gatekeeper: marked ready, and (on a date asked for) still passing that day
        "ready": sorted([{"key": r.key, "name": r.name, "gate": r.gate} for r in reviews
                         if r.state == "ready" and r.passed], key=lambda r: r["key"]),
        "blocked": [{"key": k, "name": n, "phase": ph, "blockers": b} for k, n, ph, b in blocked],
        "top_blockers": blockers.most_common(),
        "last_review": max((row.checked_at for row in reviews if row.checked_at), default=None),
    }


def _stored_outcomes(session: Session) -> list[_Outcome]:
    latest = select(func.max(R.id)).group_by(R.partnership_id, R.gate)
    rows = session.execute(
        select(P.key, P.name, P.phase, P.state, R.gate, R.passed, R.blockers, checked()[0])
        .select_from(confirmed_from()).join(Partnership.__table__, R.partnership_id == P.id)
        .where(R.id.in_(latest), R.phase == P.phase, P.state != "terminated"))
    return [_Outcome._make(row) for row in rows]


def _outcomes_on(session: Session, policy: Policy, as_of: date, batch_size: int = 2000) -> list[_Outcome]:
    connection = session.connection()
    outcomes = []
    for batch in plan_batches(connection, batch_size):
        for snapshot in load_snapshots(connection, batch):
            evaluation = evaluate(policy, snapshot, as_of)
            if evaluation is not None:
                outcomes.append(_Outcome(snapshot.key, snapshot.name, snapshot.phase, snapshot.state, evaluation.gate,
                                         evaluation.passed, [r.id for r in evaluation.blockers], None))
    return outcomes


def partnership_status(session: Session, policy: Policy, key: str, as_of: date | None = None) -> dict:
    """The partnership and its next gate, every criterion evaluated now (or at `as_of`)."""
    as_of = as_of or clock.today()
    partnership = partnership_by_key(session, key)
    snapshot = load_snapshots(session.connection(), [partnership.id], include_terminated=True)[0]
    return status_of(session, policy, partnership, snapshot, evaluate(policy, snapshot, as_of),
                     evaluate_monitors(policy, snapshot, as_of), as_of)


def status_of(session: Session, policy: Policy, partnership: Partnership, snapshot, evaluation, monitors,
              as_of: date) -> dict:
    """partnership_status of a partnership whose snapshot is loaded and evaluated already."""
    gate = policy.gate_from(partnership.phase)
    people = {p.id: p for p in session.query(Person).filter(Person.id.in_([partnership.owner_id,
                                                                             partnership.sponsor_id]))}
    parties = session.execute(select(Party.name).join(PartnershipParty, PartnershipParty.party_id == Party.id)
                              .where(PartnershipParty.partnership_id == partnership.id)).scalars().all()
    last = session.execute(select(R.gate, R.passed, R.as_of, R.created_at, *checked()).select_from(confirmed_from())
                           .where(R.partnership_id == partnership.id).order_by(R.id.desc()).limit(1)).first()
    return {
        "key": partnership.key, "name": partnership.name, "kind": partnership.kind,
        "phase": partnership.phase, "state": partnership.state, "version": partnership.version,
        "parties": sorted(parties), "owner": people[partnership.owner_id].email,
        "sponsor": people[partnership.sponsor_id].email, "as_of": as_of.isoformat(),
        "next_gate": None if gate is None else {
            "id": gate.id, "approval": gate.approval, "approvers": gate.approvers.model_dump(),
            "passed": evaluation.passed, "should_score": list(evaluation.should_score),
            "criteria": [_criterion(r) for r in evaluation.results],
        },
        "monitors": [_criterion(r) for r in monitors],
        "response_time": _response_time(policy, snapshot, as_of),
        "open_conditions": open_conditions(session, partnership.id),  # conditional go's open tasks
        "last_review": None if last is None else {
            "gate": last.gate, "passed": last.passed, "as_of": last.as_of.isoformat(),
            "created_at": last.created_at.isoformat(), "checked_at": last.checked_at.isoformat()},
        "review": review_standing(session, partnership),
    }


def review_standing(session: Session, partnership: Partnership) -> dict | None:
    """What the last review of the partnership depended on: the day it looked, the last day its result
    holds (None: as long as the evidence stays), the latest review of the portfolio that confirmed it,
    and whether anything it read has changed since (then the next review reloads it)."""
    looked, holds = partnership.reviewed_as_of, partnership.review_holds_until
    if looked is None:
        return None
    within = [ReviewRun.finished_at.is_not(None), ReviewRun.as_of >= looked]
    if holds is not None:
        within.append(ReviewRun.as_of <= holds)
    confirmed = session.execute(select(func.max(ReviewRun.as_of)).where(*within)).scalar_one()
    return {"looked_on": looked.isoformat(), "holds_until": holds.isoformat() if holds else None,
            "confirmed_as_of": max(confirmed or looked, looked).isoformat(),
            "evidence_changed": partnership.evidence_version != partnership.reviewed_evidence}


def _response_time(policy: Policy, snapshot, as_of: date) -> dict:
    """How fast the owners act on their tasks: evidence of commitment, shown in every phase."""
    found = next((c for g in policy.gates for c in g.criteria if c.check == "owners_respond_in_time"), None)
    params = found.params if found else {}
    outcome = CHECKS["owners_respond_in_time"](snapshot, as_of, params)
    return {"passed": outcome.passed, "explanation": outcome.explanation}


def _criterion(result) -> dict:
    practice = PRACTICE_BY_KEY[result.practice]
    return {**result._asdict(), "practice_name": practice.name}
