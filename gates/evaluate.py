"""Evaluate a partnership's snapshot against the policy: pure, `as_of` is a parameter."""

from datetime import date
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
    def should_score(self) -> tuple[int, int]:
        shoulds = [r for r in self.results if r.level == "should"]
        return sum(r.passed for r in shoulds), len(shoulds)


def run_criterion(criterion: Criterion, snapshot: PartnershipSnapshot, as_of: date) -> CriterionResult:
    try:
        outcome = CHECKS[criterion.check](snapshot, as_of, criterion.params)
    except Exception as exc:  # a broken check must not stop the portfolio; it fails, with the reason
        outcome = (False, f"check {criterion.check} could not be evaluated: {type(exc).__name__}: {exc}")
    return CriterionResult(criterion.id, criterion.practice, criterion.level, outcome[0], outcome[1])


def evaluate_gate(policy: Policy, gate: Gate, snapshot: PartnershipSnapshot, as_of: date) -> GateEvaluation:
    results = tuple(run_criterion(c, snapshot, as_of) for c in gate.criteria)
    return GateEvaluation(gate.id, policy.version, results)


def evaluate(policy: Policy, snapshot: PartnershipSnapshot, as_of: date) -> GateEvaluation | None:
    """The evaluation of the gate leading out of the partnership's phase; None in the final phase."""
    gate = policy.gate_from(snapshot.phase)
    return None if gate is None else evaluate_gate(policy, gate, snapshot, as_of)


def evaluate_monitors(policy: Policy, snapshot: PartnershipSnapshot, as_of: date) -> tuple[CriterionResult, ...]:
    return tuple(run_criterion(m, snapshot, as_of) for m in policy.monitors)
