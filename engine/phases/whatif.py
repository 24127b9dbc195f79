"""What-if: evaluate a proposed policy against every live partnership, writing nothing."""

from datetime import date
from typing import NamedTuple

from sqlalchemy import Engine

from partnerflow.engine.phases.review import plan_batches
from partnerflow.gates import GateEvaluation, Policy, evaluate
from partnerflow.models import load_snapshots


class Flip(NamedTuple):
    """A partnership whose gate outcome the proposed policy would change."""

    key: str
    phase: str
    gate: str
    passes_now: bool
    would_pass: bool
    reasons: list[str]


def what_if(engine: Engine, current: Policy, proposed: Policy, as_of: date, *, batch_size: int = 2000) -> dict:
    flips: list[Flip] = []
    evaluated = 0
    with engine.connect() as connection:
        for batch in plan_batches(connection, batch_size):
            for snapshot in load_snapshots(connection, batch):
                before, after = evaluate(current, snapshot, as_of), evaluate(proposed, snapshot, as_of)
                if before is None and after is None:
                    continue
                evaluated += 1
                passes_now, would_pass = bool(before and before.passed), bool(after and after.passed)
                if passes_now != would_pass:
                    gate = (after or before).gate
                    flips.append(Flip(snapshot.key, snapshot.phase, gate, passes_now, would_pass,
                                      _reasons(before, after)))
        connection.rollback()
    return {"current_version": current.version, "proposed_version": proposed.version, "as_of": as_of.isoformat(),
            "evaluated": evaluated, "flips": [f._asdict() for f in flips]}


def _reasons(before: GateEvaluation | None, after: GateEvaluation | None) -> list[str]:
    blocking_before = {r.id: r for r in before.blockers} if before else {}
    blocking_after = {r.id: r for r in after.blockers} if after else {}
    reasons = [f"would fail {cid}: {r.explanation}" for cid, r in blocking_after.items() if cid not in blocking_before]
    reasons += [f"would no longer be blocked by {cid}" for cid in blocking_before if cid not in blocking_after]
    if after is None:
        reasons.append("the proposed policy has no gate out of this phase")
    return reasons
