"""Evaluate a partnership's snapshot against the policy: pure, `as_of` is a parameter."""

from datetime import date, timedelta
from typing import NamedTuple

from partnerflow.gates.policy import Criterion, Gate, Policy
from partnerflow.gates.registry import CHECKS
from partnerflow.gates.snapshot import PartnershipSnapshot


class CriterionResult(NamedTuple):
    id: str
    practice: str
    level: str
    passed: bool
    explanation: str

    def as_dict(self) -> dict:
        return self._asdict()


class GateEvaluation(NamedTuple):
    gate: str
    policy_version: str
    results: tuple[CriterionResult, ...]

    @property
    def passed(self) -> bool:
        """A gate passes when every must-meet criterion passes; should-criteria are scored."""
        return all(r.passed for r in self.results if r.level == "must")

    @property
    def blockers(self) -> tuple[CriterionResult, ...]:
        return tuple(r for r in self.results if r.level == "must" and not r.passed)

    @property
    def blocker_ids(self) -> list[str]:
        """The ids of the blockers (none: the gate passes), in one pass: what a review records of each."""
        return [r.id for r in self.results if r.level == "must" and not r.passed]

    @property
    def should_score(self) -> tuple[int, int]:
        shoulds = [r for r in self.results if r.level == "should"]
        return sum(r.passed for r in shoulds), len(shoulds)


class Assessment(NamedTuple):
    """Everything a review reads of one partnership on one day: the gate out of its phase (None in
    the final phase), the monitors, and the last day both hold for the same snapshot."""

    gate: GateEvaluation | None
    monitors: tuple[CriterionResult, ...]
    holds_until: date | None  # None: as long as the snapshot stays as it is


def _run(criterion: Criterion, snapshot: PartnershipSnapshot, as_of: date) -> tuple[CriterionResult, date | None]:
    """A criterion's result, and the first day after `as_of` on which it may change (None: never)."""
    check = CHECKS[criterion.check]
    try:
        outcome = check(snapshot, as_of, criterion.params)
        changes_on = check.changes_on(outcome, as_of)
    except Exception as exc:  # a broken check must not stop the portfolio; it fails, with the reason
        outcome = (False, f"check {criterion.check} could not be evaluated: {type(exc).__name__}: {exc}")
        changes_on = as_of + timedelta(days=1)  # and is tried again the next day
    # passed as a bool whatever truthy value a check gave: a review stores it as JSON true/false
    return CriterionResult(criterion.id, criterion.practice, criterion.level, bool(outcome[0]), outcome[1]), changes_on


def run_criterion(criterion: Criterion, snapshot: PartnershipSnapshot, as_of: date) -> CriterionResult:
    return _run(criterion, snapshot, as_of)[0]


def evaluate_gate(policy: Policy, gate: Gate, snapshot: PartnershipSnapshot, as_of: date) -> GateEvaluation:
    results = tuple(run_criterion(c, snapshot, as_of) for c in gate.criteria)
    return GateEvaluation(gate.id, policy.version, results)


def assess(policy: Policy, snapshot: PartnershipSnapshot, as_of: date) -> Assessment:
    """The gate and the monitors of one partnership as of `as_of`, and until when they hold."""
    gate = policy.gate_from(snapshot.phase)
    criteria = gate.criteria if gate is not None else ()
    runs = [_run(c, snapshot, as_of) for c in (*criteria, *policy.monitors)]
    changes = [day for _, day in runs if day is not None]
    holds_until = min(changes) - timedelta(days=1) if changes else None
    results = tuple(result for result, _ in runs)
    evaluation = GateEvaluation(gate.id, policy.version, results[:len(criteria)]) if gate is not None else None
    return Assessment(evaluation, results[len(criteria):], holds_until)


def evaluate(policy: Policy, snapshot: PartnershipSnapshot, as_of: date) -> GateEvaluation | None:
    """The evaluation of the gate leading out of the partnership's phase; None in the final phase."""
    gate = policy.gate_from(snapshot.phase)
    return None if gate is None else evaluate_gate(policy, gate, snapshot, as_of)


def evaluate_monitors(policy: Policy, snapshot: PartnershipSnapshot, as_of: date) -> tuple[CriterionResult, ...]:
    return tuple(run_criterion(m, snapshot, as_of) for m in policy.monitors)
