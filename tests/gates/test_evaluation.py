"""A gate's evaluation: what blocks it, and whether it passes."""

import pytest

from partnerflow.gates import CriterionResult, GateEvaluation


def result(criterion: str, passed: bool, level: str = "must") -> CriterionResult:
    return CriterionResult(criterion, "business_objective", level, passed, "explained")


@pytest.mark.parametrize(("results", "blockers"), [
    ((), []),
    ((result("case", True), result("wins", True)), []),
    ((result("case", False), result("wins", True), result("signed", False)), ["case", "signed"]),
    ((result("shared-metrics", False, "should"), result("case", True)), []),  # a should never blocks
    ((result("shared-metrics", False, "should"), result("case", False)), ["case"]),
])
def test_the_blockers_are_the_failed_musts_and_the_gate_passes_without_any(results, blockers):
    evaluation = GateEvaluation("alignment-to-execution", "2026.1", results)

    assert evaluation.blocker_ids == blockers
    assert [r.id for r in evaluation.blockers] == blockers
    assert evaluation.passed is (not blockers)
