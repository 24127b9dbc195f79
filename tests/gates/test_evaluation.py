"""A gate's evaluation: what blocks it, and whether it passes."""

from datetime import date

import pytest
from pydantic import BaseModel

from partnerflow.gates import CriterionResult, GateEvaluation
from partnerflow.gates.evaluate import run_criterion
from partnerflow.gates.policy import Criterion
from partnerflow.gates.registry import CHECKS, Check


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


@pytest.mark.parametrize(("outcome", "passed"), [((1, "one met"), True), ((0, "none met"), False),
                                                 (([], "nothing listed"), False), ((True, "met"), True)])
def test_a_result_says_passed_as_true_or_false_whatever_truthy_value_its_check_gave(monkeypatch, outcome, passed):
    """A review stores `passed` as JSON true/false (and keys its serialized results on them: 1 == True)."""
    def counts(snapshot, as_of):
        return outcome

    monkeypatch.setitem(CHECKS, "counts", Check("counts", counts, BaseModel, reads_as_of=False))
    criterion = Criterion(id="counted", practice="business_objective", check="counts", task="Count them")

    result = run_criterion(criterion, None, date(2026, 11, 30))

    assert result.passed is passed and result.explanation == outcome[1]
