"""Gatekeepers' decisions: go, hold, recycle, kill — validated before anything is written.

Deny by default: only a gatekeeper decides, never on a partnership they own, never on a
terminated one, never `go` while a must-meet criterion fails, never the same vote twice.
A gate may need several distinct gatekeepers (four eyes) and one from each party; the
partnership advances when the last required vote is in. Each decision keeps a frozen
record of what it was based on: policy version, every criterion's result, evidence digest.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from engine import audit, clock, transitions
from engine.lookup import partnership_by_key, person_by_email
from engine.transitions import Transition
from gates import GateEvaluation, Policy, evaluate, next_phase, previous_phase
from gates.policy import Gate
from models import Decision, Delegation, Partnership, PartnershipParty, Party, Person, load_snapshots

VERDICTS = ("go", "hold", "recycle", "kill")


class DecisionRefused(Exception):
    """The decision is not allowed; nothing was written."""


@dataclass(frozen=True)
class DecisionOutcome:
    key: str
    verdict: str
    effect: str
    phase: str
    state: str


def decide(session: Session, policy: Policy, key: str, verdict: str, *, by: str, reason: str,
           condition: str | None = None, as_of: date | None = None, now: datetime | None = None
           ) -> DecisionOutcome:
    """Validate and apply one decision. Flushes; the caller commits.

    `now` stamps what is written (read from the clock once when not given); `as_of`, by default
    `now`'s date, is the date the gate is evaluated on."""
    now = now or clock.now()
    as_of = as_of or now.date()
    if verdict not in VERDICTS:
        raise DecisionRefused(f"unknown decision {verdict!r}: choose one of {', '.join(VERDICTS)}")
    partnership = partnership_by_key(session, key)
    caster = person_by_email(session, by)
    person = _voter(session, caster, as_of)
    if person.id != caster.id and caster.id == partnership.owner_id:
        raise DecisionRefused(f"{caster.email} owns {partnership.key}: another gatekeeper must decide")
    _check_allowed(partnership, person, verdict, reason, condition)
    gate = policy.gate_from(partnership.phase)
    snapshot = load_snapshots(session.connection(), [partnership.id], include_terminated=True)[0]
    evaluation = evaluate(policy, snapshot, as_of)
    if verdict == "go":
        effect, change = _go(session, partnership, person, gate, evaluation)
    else:
        effect, change = _other(partnership, verdict)
    record = Decision(
        partnership_id=partnership.id, gate=gate.id if gate else "(final phase)", cycle=partnership.cycle,
        verdict=verdict, by_id=person.id, cast_by_id=caster.id if caster.id != person.id else None,
        reason=reason.strip(), condition=condition, decided_at=now,
        phase=partnership.phase, policy_version=policy.version,
        results=[r._asdict() for r in evaluation.results] if evaluation else [],
        evidence_digest=hashlib.sha256(repr(snapshot).encode()).hexdigest(), effect=effect)
    session.add(record)
    audit.record(session, f"decision.{verdict}", actor=caster.email, at=now, partnership_id=partnership.id,
                 reason=record.reason, condition=condition, effect=effect, gate=record.gate,
                 on_behalf_of=person.email if caster.id != person.id else None)
    if change is not None:
        transitions.apply_one(session, change, actor=person.email, now=now, on=as_of)
    session.flush()
    session.refresh(partnership)
    return DecisionOutcome(partnership.key, verdict, effect, partnership.phase, partnership.state)


def _voter(session: Session, caster: Person, as_of: date) -> Person:
    """Who the vote counts for: the caster, or the gatekeeper they stand in for while out of office."""
    if "gatekeeper" in caster.roles:
        return caster
    standing_in = session.exec(
        select(Person).join(Delegation, Delegation.person_id == Person.id)
        .where(Delegation.delegate_id == caster.id, Delegation.starts_on <= as_of, Delegation.ends_on >= as_of)
        .order_by(Delegation.id)).all()
    return next((p for p in standing_in if "gatekeeper" in p.roles), caster)


def _check_allowed(partnership: Partnership, person: Person, verdict: str, reason: str, condition: str | None):
    if "gatekeeper" not in person.roles:
        raise DecisionRefused(f"{person.email} is not a gatekeeper: only gatekeepers decide at a gate")
    if person.id == partnership.owner_id:
        raise DecisionRefused(f"{person.email} owns {partnership.key}: another gatekeeper must decide")
    if partnership.state == "terminated":
        raise DecisionRefused(f"{partnership.key} is terminated: no further decisions")
    if not reason or not reason.strip():
        raise DecisionRefused("a decision needs a reason (--reason)")
    if condition is not None and verdict != "go":
        raise DecisionRefused("only a go can carry a condition")


def _go(session, partnership, person, gate: Gate | None, evaluation: GateEvaluation | None):
    if gate is None or evaluation is None:
        raise DecisionRefused(f"{partnership.key} is in the final phase ({partnership.phase}): there is no gate to pass")
    if not evaluation.passed:
        blockers = "; ".join(f"{r.id}: {r.explanation}" for r in evaluation.blockers)
        raise DecisionRefused(f"go refused: must-meet criteria of {gate.id} fail — {blockers}")
    voters = _votes(session, partnership, gate) + [person]
    if person.id in {v.id for v in voters[:-1]}:
        raise DecisionRefused(f"{person.email} already voted go on {gate.id} for {partnership.key}")
    needed = 1 if gate.approval == "auto" else gate.approvers.count
    missing_parties = _parties_without_voter(session, partnership, voters) if gate.approvers.from_each_party else []
    if len(voters) >= needed and not missing_parties:
        advance = Transition(partnership.id, partnership.version, "phase.advanced", phase=next_phase(partnership.phase),
                             state="active", data={"gate": gate.id, "from": partnership.phase,
                                                   "approved_by": [v.email for v in voters]})
        return f"advanced to {next_phase(partnership.phase)}", advance
    waiting = [f"{max(needed - len(voters), 0)} more gatekeeper(s)"] if len(voters) < needed else []
    waiting += [f"a gatekeeper of {name}" for name in missing_parties]
    # a vote bumps the version too, so two votes cast at once cannot both miss being the last one
    vote = Transition(partnership.id, partnership.version, None)
    return f"vote recorded ({len(voters)} of {needed}); waiting for {' and '.join(waiting)}", vote


def _votes(session: Session, partnership: Partnership, gate: Gate) -> list[Person]:
    """Go votes of the current gate cycle since the last hold, oldest first."""
    decisions = session.exec(
        select(Decision, Person).join(Person, Person.id == Decision.by_id)
        .where(Decision.partnership_id == partnership.id, Decision.gate == gate.id,
               Decision.cycle == partnership.cycle)
        .order_by(Decision.id)).all()
    votes: list[Person] = []
    for decision, person in decisions:
        votes = votes + [person] if decision.verdict == "go" else []
    return votes


def _parties_without_voter(session: Session, partnership: Partnership, voters: list[Person]) -> list[str]:
    parties = session.exec(select(Party).join(PartnershipParty, PartnershipParty.party_id == Party.id)
                           .where(PartnershipParty.partnership_id == partnership.id).order_by(Party.id)).all()
    covered = {v.party_id for v in voters}
    return [party.name for party in parties if party.id not in covered]


def _other(partnership: Partnership, verdict: str):
    if verdict == "hold":
        if partnership.state == "on_hold":
            raise DecisionRefused(f"{partnership.key} is already on hold")
        return "put on hold", Transition(partnership.id, partnership.version, "state.on_hold", state="on_hold")
    if verdict == "recycle":
        back = previous_phase(partnership.phase)
        if back is None:
            raise DecisionRefused(f"{partnership.key} is in its first phase: there is no phase to recycle to")
        return f"recycled to {back}", Transition(partnership.id, partnership.version, "phase.recycled", phase=back,
                                                 state="active", data={"from": partnership.phase})
    return "terminated", Transition(partnership.id, partnership.version, "state.terminated", state="terminated")
