"""The pyramid's statuses: what the next gate and the fired monitors say about each practice."""

from dataclasses import replace
from datetime import date

import pytest

from partnerflow.engine.policies import read_policy
from partnerflow.engine.settings import DEFAULT_POLICY
from partnerflow.gates import PRACTICES, CriterionResult, GateEvaluation, evaluate, evaluate_monitors
from partnerflow.gates.pyramid import PracticeStatus, practice_statuses
from partnerflow.gates.snapshot import Commitment, Win
from tests.gates.builders import AS_OF, metric, passing_alignment, passing_execution

POLICY = read_policy(DEFAULT_POLICY)
A, X = passing_alignment(), passing_execution()
S = replace(X, phase="shared_vision")
STALE = tuple(s._replace(last_contact_on=date(2026, 9, 1)) for s in X.stakeholders)
OVERDUE = (Commitment(2, "Send the forecast", date(2026, 11, 1), "open", None),)
OTD_OFF = (metric(1, "otd", "performance", 95, 90),) + X.metrics[1:]

MET, PARTLY, MISSING, DUE = "met", "partly_met", "missing", "not_yet_due"
KEYS = [p.key for p in PRACTICES]


def statuses(snapshot) -> dict[str, PracticeStatus]:
    evaluation = evaluate(POLICY, snapshot, AS_OF)
    monitors = evaluate_monitors(POLICY, snapshot, AS_OF)
    return {s.practice.key: s for s in practice_statuses(POLICY, snapshot.phase, evaluation, monitors)}


# the nine statuses in PRACTICES order: objective, operations, relationships | trust, metrics,
# communication | knowledge, organization, long term
CASES = [
    ("alignment complete", A, (MET, MET, MET, DUE, MET, MET, DUE, DUE, DUE)),
    ("alignment without a business case", replace(A, business_case=None),
     (PARTLY, MET, MET, DUE, MET, MET, DUE, DUE, DUE)),
    ("alignment with nothing of the objective", replace(A, business_case=None, agreements=(), wins=()),
     (MISSING, MET, MET, DUE, MET, MET, DUE, DUE, DUE)),
    ("alignment without the should-metrics", replace(A, metrics=A.metrics[:1]),
     (MET, MET, MET, DUE, PARTLY, MET, DUE, DUE, DUE)),
    ("alignment: an overdue commitment is not yet the row's business", replace(A, commitments=OVERDUE),
     (MET, MET, MET, DUE, MET, MET, DUE, DUE, DUE)),
    ("alignment: a stale decision maker", replace(A, stakeholders=STALE),
     (MET, MET, PARTLY, DUE, MET, MET, DUE, DUE, DUE)),
    ("execution complete", X, (MET, MET, MET, MET, MET, MET, MET, DUE, DUE)),
    ("execution: a stale decision maker", replace(X, stakeholders=STALE),
     (MET, MET, MISSING, MET, MET, MET, MET, DUE, DUE)),
    ("execution without knowledge exchange", replace(X, knowledge_sessions=()),
     (MET, MET, MET, MET, MET, MET, MISSING, DUE, DUE)),
    ("execution: a metric off target", replace(X, metrics=OTD_OFF), (MET, MET, MET, MET, PARTLY, MET, MET, DUE, DUE)),
    ("execution: an overdue commitment", replace(X, commitments=X.commitments + OVERDUE),
     (MET, MET, MET, PARTLY, MET, MET, MET, DUE, DUE)),
    ("shared vision, quiet monitors", S, (MET, MET, MET, MET, MET, MET, DUE, DUE, DUE)),
    ("shared vision: a metric off target", replace(S, metrics=OTD_OFF),
     (MET, MET, MET, MET, MISSING, MET, DUE, DUE, DUE)),
    ("shared vision: the agreement expiring", replace(S, agreements=(S.agreements[0]._replace(
        expires_on=date(2026, 12, 15)),)), (MISSING, MET, MET, MET, MET, MET, DUE, DUE, DUE)),
]


@pytest.mark.parametrize(("snapshot", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_each_practice_gets_its_status(snapshot, expected):
    assert tuple(s.status for s in statuses(snapshot).values()) == expected


MISSING_CASES = [  # practice, status, its explanations in the checks' own words, (passed, total)
    (replace(A, business_case=None), "business_objective", ("no business case recorded",), (2, 3)),
    (replace(A, business_case=None, agreements=(), wins=(Win(1, "Shorter lead times"),)), "business_objective",
     ("no business case recorded", "party Acme has not stated its win", "no agreement recorded",
      "no agreement in force"), (0, 4)),
    (replace(A, metrics=A.metrics[:2]), "performance_metrics", ("no relationship metric with a target",), (3, 4)),
    (replace(X, stakeholders=STALE), "relationship_management",
     ("no contact with a decision maker at Acme, Northwind for more than 45 days",), (0, 1)),
    (replace(X, metrics=OTD_OFF), "performance_metrics",
     ("metric 'OTD' was off target in the period ending 2026-08-31 (90 against 95)",  # the gate's criteria first,
      "off target in the latest period: OTD"), (1, 3)),                                # then the fired monitors
    (replace(X, commitments=X.commitments + OVERDUE), "trust_credibility",
     ("1 commitment(s) overdue; 'Send the forecast' was due on 2026-11-01",), (3, 4)),
    (replace(S, metrics=OTD_OFF), "performance_metrics", ("off target in the latest period: OTD",), (0, 1)),
    (A, "business_objective", (), (3, 3)),
    (X, "operational_alignment", (), (0, 0)),  # beyond its row: its gate was passed
    (A, "trust_credibility", (), (0, 0)),
]


@pytest.mark.parametrize(("snapshot", "key", "missing", "counts"), MISSING_CASES)
def test_missing_lists_the_failing_checks_in_their_own_words(snapshot, key, missing, counts):
    status = statuses(snapshot)[key]
    assert (status.missing, status.counts) == (missing, counts)


def test_one_entry_per_practice_in_order_with_plain_words():
    found = practice_statuses(POLICY, "alignment", evaluate(POLICY, replace(A, business_case=None), AS_OF), [])
    assert [s.practice for s in found] == list(PRACTICES)
    assert [s.label for s in found][:4] == ["partly met", "met", "met", "not yet due"]


def result(id_, practice, passed, explanation="", level="must") -> CriterionResult:
    return CriterionResult(id_, practice, level, passed, explanation or f"{id_} fails")


HAND_MADE = [  # a policy other than the default: which practices its gate names decides
    ("alignment", [result("a", "business_objective", True)], [], "relationship_management", "not_yet_due"),
    ("alignment", [result("a", "long_term_relationship", False)], [], "long_term_relationship", "missing"),
    ("alignment", [result("a", "long_term_relationship", True, level="should")], [], "long_term_relationship", "met"),
    ("execution", [], [], "operational_alignment", "met"),
    ("execution", [], [], "trust_credibility", "not_yet_due"),
    ("execution", [], [result("m", "trust_credibility", True)], "trust_credibility", "not_yet_due"),  # did not fire
    ("execution", [], [result("m", "trust_credibility", False)], "trust_credibility", "missing"),
    ("alignment", [], [result("m", "knowledge_exchange", False)], "knowledge_exchange", "not_yet_due"),
    ("execution", [result("a", "trust_credibility", True)], [result("m", "trust_credibility", False)],
     "trust_credibility", "partly_met"),
]


@pytest.mark.parametrize(("phase", "criteria", "monitors", "key", "expected"), HAND_MADE)
def test_the_rules_on_hand_made_results(phase, criteria, monitors, key, expected):
    evaluation = GateEvaluation("some-gate", "v1", tuple(criteria))
    found = {s.practice.key: s for s in practice_statuses(POLICY, phase, evaluation, monitors)}
    assert found[key].status == expected


def test_the_final_phase_counts_only_monitors():
    monitors = [result("m", "business_objective", False, "no agreement in force")]
    found = practice_statuses(POLICY, "shared_vision", None, monitors)
    assert [(s.status, s.missing) for s in found][:2] == [("missing", ("no agreement in force",)), ("met", ())]
    assert {s.status for s in found[6:]} == {"not_yet_due"}
