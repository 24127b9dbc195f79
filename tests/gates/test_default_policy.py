"""Every criterion of the default policy, passing and failing, with the sentence it explains."""

from dataclasses import replace
from datetime import date

import pytest

from partnerflow.engine.policies import read_policy
from partnerflow.engine.settings import DEFAULT_POLICY
from partnerflow.gates import evaluate
from partnerflow.gates.snapshot import Agreement, Commitment, Meeting, Problem, Risk, Signature, TaskResponse, Win
from tests.gates.builders import AS_OF, MONTH_ENDS, THEM, metric, passing_alignment, passing_execution

POLICY = read_policy(DEFAULT_POLICY)


def results(snapshot, as_of=AS_OF):
    return {r.id: r for r in evaluate(POLICY, snapshot, as_of).results}


def test_complete_alignment_evidence_passes_every_criterion():
    evaluation = evaluate(POLICY, passing_alignment(), AS_OF)
    assert evaluation.gate == "alignment-to-execution"
    assert [r.id for r in evaluation.results if not r.passed] == []
    assert evaluation.passed and evaluation.should_score == (3, 3)


def test_complete_execution_evidence_passes_every_criterion():
    evaluation = evaluate(POLICY, passing_execution(), AS_OF)
    assert evaluation.gate == "execution-to-shared-vision"
    assert [r.id for r in evaluation.results if not r.passed] == []


def test_final_phase_has_no_gate():
    assert evaluate(POLICY, replace(passing_execution(), phase="shared_vision"), AS_OF) is None


A = passing_alignment()
AGREEMENT = A.agreements[0]
ALIGNMENT_FAILURES = [
    ("business-case-approved", replace(A, business_case=None), "no business case recorded"),
    ("business-case-approved", replace(A, business_case=A.business_case._replace(approved_on=None)),
     "the business case is not approved"),
    ("business-case-approved", replace(A, business_case=A.business_case._replace(measures=" ")),
     "the business case does not state its measures"),
    ("every-party-wins", replace(A, wins=(Win(1, "Shorter lead times"),)), "party Acme has not stated its win"),
    ("agreement-in-force", replace(A, agreements=()), "no agreement recorded"),
    ("agreement-in-force", replace(A, agreements=(AGREEMENT._replace(expires_on=date(2026, 9, 30)),)),
     "contract MSA-1 expired on 2026-09-30"),
    ("agreement-in-force", replace(A, agreements=(AGREEMENT._replace(signatures=AGREEMENT.signatures[:1]),)),
     "contract MSA-1 is not signed by Acme"),
    ("agreement-in-force", replace(A, agreements=(AGREEMENT._replace(effective_on=date(2027, 1, 1)),)),
     "contract MSA-1 takes effect only on 2027-01-01"),
    ("roles-assigned", replace(A, members=A.members[:1]), "no role with responsibilities assigned for Acme"),
    ("processes-aligned", replace(A, process_owners=A.process_owners[:1]),
     "process 'Order to delivery' has no owner at Acme"),
    ("processes-aligned", replace(A, process_owners=()), "0 critical process(es) recorded, at least 1 needed"),
    ("risks-mitigated", replace(A, risks=(Risk("Single plant", "high", "high", "", 10),)),
     "risk 'Single plant' has no mitigation"),
    ("risks-mitigated", replace(A, risks=(Risk("Single plant", "high", "high", "Dual source", None),)),
     "risk 'Single plant' has no owner"),
    ("risks-mitigated", replace(A, risks=()), "0 risk(s) assessed, at least 1 needed"),
    ("decision-makers-known", replace(A, stakeholders=A.stakeholders[:1]), "no decision maker identified at Acme"),
    ("metric-with-target", replace(A, metrics=tuple(m._replace(target=None) for m in A.metrics)),
     "0 metric(s) with a target, at least 1 needed"),
    ("communication-structure", replace(A, communication=None), "no communication structure recorded"),
    ("communication-structure", replace(A, communication=A.communication._replace(escalation_path="")),
     "the communication structure lacks an escalation path"),
    ("shared-metrics", replace(A, metrics=tuple(m._replace(shared=False) for m in A.metrics)),
     "0 metric(s) shared by all parties, at least 1 wanted"),
    ("relationship-metric", replace(A, metrics=A.metrics[:2]), "no relationship metric with a target"),
    ("customer-satisfaction-metric", replace(A, metrics=A.metrics[:1]),
     "no customer satisfaction metric with a target"),
]

X = passing_execution()
EXECUTION_FAILURES = [
    ("agreement-still-in-force", replace(X, agreements=(AGREEMENT._replace(expires_on=date(2026, 11, 1)),)),
     "contract MSA-1 expired on 2026-11-01"),
    ("repeated-successes", replace(X, metrics=(metric(1, "otd", "performance", 95, 97, periods=MONTH_ENDS[1:]),)),
     "metric 'OTD' has 2 of the 3 periods measured"),
    ("repeated-successes", replace(X, metrics=(metric(1, "otd", "performance", 95, 90),)),
     "metric 'OTD' was off target in the period ending 2026-08-31 (90 against 95)"),
    ("repeated-successes", replace(X, metrics=()), "no metric with a target to show a track record"),
    ("commitments-honored", replace(X, commitments=X.commitments[:8] + tuple(
        c._replace(status="missed") for c in X.commitments[8:])),
     "8 of 10 commitments due were honored (80%, 90% needed)"),
    ("commitments-honored", replace(X, commitments=()),
     "no commitment has come due yet: there is no track record to judge"),
    ("meetings-at-cadence", replace(X, meetings=X.meetings[:2] + (Meeting(X.meetings[2].held_on, "informal", ""),)),
     "2 formal meeting(s) in the last 90 days; 3 expected at one every 30 days"),
    ("problems-within-target", replace(X, problems=(Problem("problem", "Broken EDI", date(2026, 11, 1), None),)),
     "1 problem(s) past the 5-day response target; 'Broken EDI' raised on 2026-11-01 is still open"),
    ("problems-within-target", replace(X, problems=(
        Problem("special_request", "Rush order", date(2026, 9, 1), date(2026, 9, 20)),)),
     "1 problem(s) past the 5-day response target; 'Rush order' raised on 2026-09-01 is resolved late"),
    ("owners-respond-in-time", replace(X, responses=(TaskResponse(date(2026, 11, 1), 9.0),
                                                     TaskResponse(date(2026, 10, 1), 6.5),
                                                     TaskResponse(date(2026, 7, 1), 1.0))),
     "owners acted on their tasks in a median of 7.8 days over the last 90 days (2 task(s); target 5 days)"),
    ("knowledge-exchange-started", replace(X, knowledge_sessions=()), "0 knowledge exchange session(s) held, 1 wanted"),
    ("customer-satisfaction-on-target", replace(X, metrics=(metric(2, "csat", "customer_satisfaction", 4, 3.5),)),
     "customer satisfaction metric 'CSAT' is off target: 3.5 against 4"),
]


@pytest.mark.parametrize(("criterion", "snapshot", "explanation"), ALIGNMENT_FAILURES + EXECUTION_FAILURES)
def test_criterion_fails_with_an_explanation(criterion, snapshot, explanation):
    result = results(snapshot)[criterion]
    assert not result.passed
    assert result.explanation == explanation
    others = [r.id for r in results(snapshot).values() if not r.passed and r.id != criterion]
    assert criterion not in others


def test_every_default_criterion_has_a_failing_case():
    tested = {criterion for criterion, _, _ in ALIGNMENT_FAILURES + EXECUTION_FAILURES}
    defined = {c.id for gate in POLICY.gates for c in gate.criteria}
    assert defined == tested


def test_internal_partnership_without_charter_is_told_about_a_charter():
    internal = replace(A, parties=(A.parties[0], THEM._replace(internal=True)), agreements=())
    assert results(internal)["agreement-in-force"].explanation == "no charter recorded"


def test_a_gate_fails_on_a_must_but_not_on_a_should():
    only_should = replace(A, metrics=tuple(m._replace(shared=False) for m in A.metrics))
    assert evaluate(POLICY, only_should, AS_OF).passed
    assert not evaluate(POLICY, replace(A, wins=()), AS_OF).passed


def test_expiry_depends_on_as_of_not_on_a_clock():
    assert results(A, as_of=date(2027, 12, 31))["agreement-in-force"].passed
    assert results(A, as_of=date(2028, 1, 1))["agreement-in-force"].explanation == "contract MSA-1 expired on 2027-12-31"


def test_a_renewal_signed_by_all_keeps_the_agreement_in_force():
    renewal = Agreement(2, "contract", "MSA-2", date(2027, 12, 1), None,
                        (Signature(2, 1, 10, date(2027, 11, 1)), Signature(2, 2, 20, date(2027, 11, 2))))
    renewed = replace(A, agreements=A.agreements + (renewal,))
    assert results(renewed, as_of=date(2028, 6, 1))["agreement-in-force"].explanation == (
        "contract MSA-2 signed by every party, in force with no expiry")


def test_overdue_open_commitment_counts_against_the_ratio():
    open_late = X.commitments[:9] + (Commitment(2, "Late", date(2026, 11, 1), "open", None),)
    assert results(replace(X, commitments=open_late))["commitments-honored"].passed  # 9 of 10 = 90 %


def test_several_parties_without_a_win_are_all_named():
    assert results(replace(A, wins=()))["every-party-wins"].explanation == (
        "parties Acme, Northwind have not stated their wins")


def test_response_time_passes_within_target_and_without_data():
    fast = replace(X, responses=(TaskResponse(date(2026, 11, 20), 2.0), TaskResponse(date(2026, 11, 1), 4.0)))
    assert results(fast)["owners-respond-in-time"].explanation == (
        "owners acted on their tasks in a median of 3.0 days over the last 90 days (2 task(s); target 5 days)")
    assert results(fast)["owners-respond-in-time"].passed
    assert results(X)["owners-respond-in-time"].explanation == (
        "no task was completed in the last 90 days: nothing to measure yet")
