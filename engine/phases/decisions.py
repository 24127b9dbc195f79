"""Gatekeepers' decisions: go, hold, recycle, kill — validated before anything is written.

Deny by default: only a gatekeeper of one of the partnership's parties decides at its gate
(or a delegate casting for one), the program office may only hold or kill (engine/people.py);
never on a partnership they own, never on a terminated one, never `go` while a must-meet
criterion fails, never the same vote twice. A gate may need several distinct gatekeepers
(four eyes) and one from each party; the partnership advances when the last required vote is
in. Each decision keeps a frozen record of what it was based on: policy version, every
criterion's result, evidence digest. A conditional go opens a task for the owner (engine/work/conditions.py).
"""

import hashlib
from dataclasses import dataclass, fields
from datetime import date, datetime

from sqlmodel import Session, select

from partnerflow.engine import audit, clock
from partnerflow.engine.lookup import partnership_by_key, person_by_email
from partnerflow.engine.people import active_delegations, gatekeepers_by_partnership, may_stop
from partnerflow.engine.phases import transitions
from partnerflow.engine.phases.transitions import Transition
from partnerflow.engine.work import open_condition
from partnerflow.gates import Gate, GateEvaluation, PartnershipSnapshot, Policy, evaluate, next_phase, previous_phase
from partnerflow.models import Decision, Partnership, PartnershipParty, Party, Person, load_snapshots

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
    condition_task: str | None = None  # a conditional go's task: "task #7 for olivia@…, due 2026-12-11"


def decide(session: Session, policy: Policy, key: str, verdict: str, *, by: str, reason: str,
           condition: str | None = None, as_of: date | None = None, now: datetime | None = None
           ) -> DecisionOutcome:
    """Validate and apply one decision. Flushes; the caller commits.

    `now` stamps what is written (read from the clock once when not given). Who may decide, and
    for whom a delegate stands in, is always judged on `now`'s date; `as_of` (by default that
    date) is the date the gate is evaluated on for the record, and a go is only ever decided on
    the evidence of the day it is cast."""
    now = now or clock.now()
    today = now.date()
    as_of = as_of or today
    if verdict not in VERDICTS:
        raise DecisionRefused(f"unknown decision {verdict!r}: choose one of {', '.join(VERDICTS)}")
    if verdict == "go" and as_of != today:
        raise DecisionRefused(f"a go is decided on today's evidence ({today}), not as of {as_of}: leave out --as-of")
    partnership = partnership_by_key(session, key)
    caster = person_by_email(session, by)
    parties = _parties(session, partnership)
    person = _decider(session, partnership, parties, caster, verdict, today)
    if person.id != caster.id and caster.id == partnership.owner_id:
        raise DecisionRefused(f"{caster.email} owns {partnership.key}: another gatekeeper must decide")
    _check_allowed(partnership, person, verdict, reason, condition)
    gate = policy.gate_from(partnership.phase)
    snapshot = load_snapshots(session.connection(), [partnership.id], include_terminated=True)[0]
    evaluation = evaluate(policy, snapshot, as_of)
    if verdict == "go":
        effect, change = _go(session, partnership, parties, person, gate, evaluation)
    else:
        effect, change = _other(partnership, verdict)
    record = Decision(
        partnership_id=partnership.id, gate=gate.id if gate else "(final phase)", cycle=partnership.cycle,
        verdict=verdict, by_id=person.id, cast_by_id=caster.id if caster.id != person.id else None,
        reason=reason.strip(), condition=condition.strip() if condition else None, decided_at=now,
        phase=partnership.phase, policy_version=policy.version,
        results=[r._asdict() for r in evaluation.results] if evaluation else [],
        evidence_digest=evidence_digest(snapshot), effect=effect)
    session.add(record)
    session.flush()
    audit.record(session, f"decision.{verdict}", actor=caster.email, at=now, partnership_id=partnership.id,
                 decision=record.id, reason=record.reason, condition=record.condition, effect=effect,
                 gate=record.gate, on_behalf_of=person.email if caster.id != person.id else None)
    task = None if record.condition is None else open_condition(
        session, partnership, gate=record.gate, condition=record.condition, by=person, due_days=policy.task_due_days,
        actor=caster.email, now=now, as_of=as_of)
    if change is not None:
        transitions.apply_one(session, change, actor=person.email, now=now, on=today)
    session.flush()
    session.refresh(partnership)
    return DecisionOutcome(partnership.key, verdict, effect, partnership.phase, partnership.state,
                           None if task is None else _described(session, task))


def _described(session: Session, task) -> str:
    assignee = session.get(Person, task.assignee_id) if task.assignee_id else None
    return (f"task #{task.id} for {assignee.email if assignee else 'the program office'}, "
            f"due {task.due_on.isoformat()}")


HEAD_FIELDS = {"id", "key", "name", "phase", "state", "version", "cycle", "owner_id", "sponsor_id"}


def evidence_digest(snapshot: PartnershipSnapshot) -> str:
    """A fingerprint of the evidence a decision was made on: equal evidence, equal digest.

    The partnership's own fields (its phase, state and version, which every vote bumps) are left out."""
    evidence = [(f.name, getattr(snapshot, f.name)) for f in fields(snapshot) if f.name not in HEAD_FIELDS]
    return hashlib.sha256(repr(evidence).encode()).hexdigest()


def _decider(session: Session, partnership: Partnership, parties: list[Party], caster: Person, verdict: str,
             today: date) -> Person:
    """Whose decision it is: the caster's own when they are a gatekeeper of one of the partnership's
    parties (or, for hold and kill, a program manager); else that of a gatekeeper of its parties
    they stand in for while out of office `today`. Anyone else is refused."""
    deciders = set(gatekeepers_by_partnership(session, [partnership.id])[partnership.id])
    if caster.id in deciders or may_stop(session, caster, verdict):
        return caster
    stood_in_for = [person for person, delegate in active_delegations(session, today).items()
                    if delegate == caster.id and person in deciders]
    if stood_in_for:
        return session.get(Person, stood_in_for[0])
    who = f"only gatekeepers of its parties ({', '.join(p.name for p in parties)}) decide at the gate of {partnership.key}"
    if "program_manager" in caster.roles and verdict in ("hold", "kill"):
        raise DecisionRefused(f"{caster.email} is a program manager of an outside party: only the program office "
                              f"of our own parties may hold or kill; {who}")
    if "program_manager" in caster.roles:
        raise DecisionRefused(f"{caster.email} is a program manager: the program office may hold or kill a "
                              f"partnership, never vote {verdict}; {who}")
    if "gatekeeper" in caster.roles:
        raise DecisionRefused(f"{caster.email} is not a gatekeeper of a party in {partnership.key}: {who}")
    raise DecisionRefused(f"{caster.email} is not a gatekeeper: {who}")


def _check_allowed(partnership: Partnership, person: Person, verdict: str, reason: str, condition: str | None):
    if person.id == partnership.owner_id:
        raise DecisionRefused(f"{person.email} owns {partnership.key}: another gatekeeper must decide")
    if partnership.state == "terminated":
        raise DecisionRefused(f"{partnership.key} is terminated: no further decisions")
    if not reason or not reason.strip():
        raise DecisionRefused("a decision needs a reason (--reason)")
    if condition is not None and verdict != "go":
        raise DecisionRefused("only a go can carry a condition")
    if condition is not None and not condition.strip():
        raise DecisionRefused("a condition needs words: what must still happen (--condition)")


def _go(session, partnership, parties: list[Party], person, gate: Gate | None, evaluation: GateEvaluation | None):
    if gate is None or evaluation is None:
        raise DecisionRefused(f"{partnership.key} is in the final phase ({partnership.phase}): there is no gate to pass")
    if not evaluation.passed:
        blockers = "; ".join(f"{r.id}: {r.explanation}" for r in evaluation.blockers)
        raise DecisionRefused(f"go refused: must-meet criteria of {gate.id} fail — {blockers}")
    earlier = _of_parties(_votes(session, partnership, gate), parties)
    if person.id in {v.id for v in earlier}:
        raise DecisionRefused(f"{person.email} already voted go on {gate.id} for {partnership.key}")
    voters = earlier + [person]
    still = _still_needed(voters, parties, gate)
    if still is None:
        advance = Transition(partnership.id, partnership.version, "phase.advanced", phase=next_phase(partnership.phase),
                             state="active", data={"gate": gate.id, "from": partnership.phase,
                                                   "approved_by": [v.email for v in voters]})
        return f"advanced to {next_phase(partnership.phase)}", advance
    # a vote bumps the version too, so two votes cast at once cannot both miss being the last one
    vote = Transition(partnership.id, partnership.version, None)
    return f"vote recorded: {still}", vote


def votes_still_needed(cast: int, needed: int, missing_parties: list[str]) -> str | None:
    """What a gate still needs after `cast` distinct go votes, or None when they suffice.

    The fewest further votes: one from each party without a vote yet (`missing_parties`), and as
    many more from any party as the count still lacks beyond those. "1 of 2 votes; still needs a
    gatekeeper of Acme" — the total is what the gate now needs at the least, so two votes from one
    side of a two-sided gate of two read "2 of 3 votes"."""
    more = max(needed - cast, len(missing_parties))
    if more <= 0:
        return None
    wanted = [f"a gatekeeper of {name}" for name in missing_parties]
    anyone = more - len(missing_parties)
    if anyone:
        wanted.append(f"{anyone} more from any party" if missing_parties
                      else f"{anyone} more gatekeeper{'s' if anyone > 1 else ''}")
    listed = wanted[0] if len(wanted) == 1 else f"{', '.join(wanted[:-1])} and {wanted[-1]}"
    total = cast + more
    return f"{cast} of {total} vote{'s' if total > 1 else ''}; still needs {listed}"


def _still_needed(voters: list[Person], parties: list[Party], gate: Gate) -> str | None:
    needed = 1 if gate.approval == "auto" else gate.approvers.count
    covered = {v.party_id for v in voters}
    missing = [party.name for party in parties if party.id not in covered] if gate.approvers.from_each_party else []
    return votes_still_needed(len(voters), needed, missing)


def _of_parties(voters: list[Person], parties: list[Party]) -> list[Person]:
    party_ids = {party.id for party in parties}
    return [v for v in voters if v.party_id in party_ids]


def _votes(session: Session, partnership: Partnership, gate: Gate) -> list[Person]:
    """Go votes of the current gate cycle since the last hold, oldest first."""
    return _votes_by_partnership(session, [partnership], {partnership.id: gate})[partnership.id]


def _votes_by_partnership(session: Session, partnerships: list[Partnership], gates: dict[int, Gate | None]
                          ) -> dict[int, list[Person]]:
    """Each partnership's go votes at its current gate and cycle since the last hold, oldest first: one query."""
    cycles = {p.id: p.cycle for p in partnerships}
    decisions = session.exec(select(Decision, Person).join(Person, Person.id == Decision.by_id)
                             .where(Decision.partnership_id.in_(list(cycles))).order_by(Decision.id)).all()
    votes: dict[int, list[Person]] = {pid: [] for pid in cycles}
    for decision, person in decisions:
        pid, gate = decision.partnership_id, gates.get(decision.partnership_id)
        if gate is not None and decision.gate == gate.id and decision.cycle == cycles[pid]:
            votes[pid] = votes[pid] + [person] if decision.verdict == "go" else []
    return votes


def _parties_by_partnership(session: Session, partnership_ids: list[int]) -> dict[int, list[Party]]:
    rows = session.exec(select(PartnershipParty.partnership_id, Party)
                        .join(Party, PartnershipParty.party_id == Party.id)
                        .where(PartnershipParty.partnership_id.in_(partnership_ids)).order_by(Party.id)).all()
    found: dict[int, list[Party]] = {pid: [] for pid in partnership_ids}
    for pid, party in rows:
        found[pid].append(party)
    return found


def gate_queue(session: Session, policy: Policy, *, gatekeeper: str, as_of: date) -> list[dict]:
    """The partnerships waiting for this gatekeeper (ready, and of one of their party's partnerships),
    each with its checklist evaluated on `as_of` and where its votes stand. A fixed number of queries."""
    person = person_by_email(session, gatekeeper)
    if "gatekeeper" not in person.roles:
        return []
    waiting = session.exec(select(Partnership).join(PartnershipParty, PartnershipParty.partnership_id == Partnership.id)
                           .where(PartnershipParty.party_id == person.party_id, Partnership.state == "ready")
                           .order_by(Partnership.key)).all()
    if not waiting:
        return []
    ids = [p.id for p in waiting]
    snapshots = {s.id: s for s in load_snapshots(session.connection(), ids)}
    gates = {p.id: policy.gate_from(p.phase) for p in waiting}
    votes, parties = _votes_by_partnership(session, waiting, gates), _parties_by_partnership(session, ids)
    return [_queued(p, evaluate(policy, snapshots[p.id], as_of), gates[p.id], _of_parties(votes[p.id], parties[p.id]),
                    parties[p.id], person) for p in waiting]


def _queued(partnership: Partnership, evaluation: GateEvaluation | None, gate: Gate | None, voters: list[Person],
            parties: list[Party], person: Person) -> dict:
    return {"key": partnership.key, "name": partnership.name, "phase": partnership.phase,
            "gate": evaluation.gate if evaluation else None, "passed": bool(evaluation and evaluation.passed),
            "voted": any(v.id == person.id for v in voters),
            "criteria": [r._asdict() for r in evaluation.results] if evaluation else [],
            "votes": _standing(voters, parties, gate)}


def _standing(voters: list[Person], parties: list[Party], gate: Gate | None) -> str:
    if gate is None:
        return "final phase: no gate to vote on"
    return _still_needed(voters, parties, gate) or f"{len(voters)} votes: enough to advance"


def vote_standing(session: Session, policy: Policy, partnership: Partnership) -> str:
    """Where the go votes of the partnership's current gate stand, in plain words."""
    gate = policy.gate_from(partnership.phase)
    parties = _parties(session, partnership)
    voters = _of_parties(_votes(session, partnership, gate), parties) if gate else []
    return _standing(voters, parties, gate)


def _parties(session: Session, partnership: Partnership) -> list[Party]:
    return list(session.exec(select(Party).join(PartnershipParty, PartnershipParty.party_id == Party.id)
                             .where(PartnershipParty.partnership_id == partnership.id).order_by(Party.id)).all())


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

