"""Until when a review holds: a criterion's outcome may change only on a day its check watches.

The incremental review skips a partnership whose evidence has not changed until the day its
assessment says it may change. These tests hold every check of the default policy to that
promise on random snapshots: on every day before the announced change, the outcome (pass or
fail, and the sentence) is exactly the one of `as_of`."""

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from partnerflow.engine.policies import read_policy
from partnerflow.engine.settings import DEFAULT_POLICY
from partnerflow.gates import CHECKS, assess, evaluate, evaluate_monitors
from partnerflow.gates.evaluate import _run
from partnerflow.gates.registry import check, failed, passed, reads_as_of
from partnerflow.gates.snapshot import (
    Agreement,
    BusinessCase,
    Commitment,
    KnowledgeSession,
    Measurement,
    Meeting,
    Problem,
    Signature,
    Stakeholder,
    TaskResponse,
)
from tests.gates.builders import AS_OF, passing_execution

POLICY = read_policy(DEFAULT_POLICY)
CRITERIA = [*(c for gate in POLICY.gates for c in gate.criteria), *POLICY.monitors]
DAYS_CHECKED = 150  # every day this far past as_of (and the day before each announced change)

day = st.dates(AS_OF - timedelta(days=240), AS_OF + timedelta(days=240))
maybe_day = st.none() | day


@st.composite
def snapshots(draw):
    """The passing execution snapshot with every date (and the statuses that read dates) drawn at random."""
    base = passing_execution()
    signatures = (Signature(1, 1, 10, draw(day)), Signature(1, 2, 20, draw(day)))
    agreements = tuple(Agreement(i, "contract", f"MSA-{i}", draw(day), draw(maybe_day), signatures)
                       for i in range(1, draw(st.integers(0, 2)) + 1))
    metrics = tuple(
        m._replace(measurements=tuple(Measurement(m.id, end, draw(st.sampled_from([1.0, 3.0, 4.5, 97.0, 99.0])))
                                      for end in sorted(draw(st.sets(day, max_size=5)))))
        for m in base.metrics)
    return replace(
        base,
        phase=draw(st.sampled_from(["alignment", "execution", "shared_vision"])),
        business_case=BusinessCase("Cut lead time", "Order to delivery", "OTD", 11, draw(maybe_day)),
        agreements=agreements,
        metrics=metrics,
        stakeholders=tuple(s._replace(last_contact_on=draw(maybe_day)) for s in base.stakeholders),
        commitments=tuple(Commitment(2, f"C{i}", draw(day), draw(st.sampled_from(["open", "honored", "missed"])),
                                     None) for i in range(draw(st.integers(0, 4)))),
        meetings=tuple(Meeting(draw(day), draw(st.sampled_from(["formal", "informal"])), "review")
                       for _ in range(draw(st.integers(0, 4)))),
        problems=tuple(Problem("problem", f"P{i}", raised, draw(st.none() | st.dates(raised, raised + timedelta(30))))
                       for i, raised in enumerate(draw(st.lists(day, max_size=3)))),
        knowledge_sessions=tuple(KnowledgeSession(d, "Outlook") for d in draw(st.lists(day, max_size=2))),
        responses=tuple(TaskResponse(d, draw(st.floats(0, 20))) for d in draw(st.lists(day, max_size=4))),
    )


@settings(max_examples=150, deadline=None, database=None)
@given(snapshot=snapshots(), as_of=day)
def test_no_criterion_changes_before_the_day_it_announces(snapshot, as_of):
    for criterion in CRITERIA:
        result, changes_on = _run(criterion, snapshot, as_of)
        last = as_of + timedelta(days=DAYS_CHECKED) if changes_on is None else changes_on - timedelta(days=1)
        days = [as_of + timedelta(days=n) for n in range(min(DAYS_CHECKED, (last - as_of).days) + 1)]
        for later in [*days, last]:
            assert _run(criterion, snapshot, later)[0] == result, (criterion.id, as_of, later, changes_on)


@settings(max_examples=60, deadline=None, database=None)
@given(snapshot=snapshots(), as_of=day)
def test_an_assessment_holds_until_its_first_criterion_may_change(snapshot, as_of):
    assessment = assess(POLICY, snapshot, as_of)
    assert assessment.gate == evaluate(POLICY, snapshot, as_of)
    assert assessment.monitors == evaluate_monitors(POLICY, snapshot, as_of)
    if assessment.holds_until is not None:
        assert assessment.holds_until >= as_of
        later = assess(POLICY, snapshot, assessment.holds_until)
        assert (later.gate, later.monitors) == (assessment.gate, assessment.monitors)


def test_a_complete_partnership_holds_until_its_next_dated_event():
    """The execution snapshot of the builders: its business case and agreements are settled; the
    first thing that can change is the formal meeting held 65 days ago leaving the 90-day window
    of the cadence check on day 25 (a decision maker's contact would go stale on day 36)."""
    assessment = assess(POLICY, passing_execution(), AS_OF)
    assert assessment.holds_until == AS_OF + timedelta(days=24)
    without_meetings = replace(passing_execution(), meetings=())
    assert assess(POLICY, without_meetings, AS_OF).holds_until == AS_OF + timedelta(days=35)


def test_checks_that_never_read_the_date_hold_for_as_long_as_their_snapshot():
    timeless = {name for name, registered in CHECKS.items() if not registered.reads_as_of}
    assert {"every_party_stated_win", "roles_assigned", "metrics_with_target"} <= timeless
    assert {"business_case_approved", "agreement_not_expiring", "meetings_at_cadence"}.isdisjoint(timeless)


def test_a_check_that_reads_the_date_without_saying_when_it_changes_is_looked_at_again_the_next_day():
    def silent(snapshot, as_of):
        return passed("fine") if as_of.day < 40 else failed("never")

    def watching(snapshot, as_of):
        return passed("fine", watch=[date(2027, 1, 1)]) if as_of < date(2027, 1, 1) else failed("late", watch=())

    def blind(snapshot, as_of):
        return passed(f"{len(snapshot.wins)} wins")

    def renamed(snapshot, on):
        return passed("fine") if on.day < 40 else failed("never")

    assert (reads_as_of(silent), reads_as_of(watching), reads_as_of(blind), reads_as_of(renamed)) == (
        True, True, False, True)
    registered = check(silent) and CHECKS.pop("silent")
    assert registered.changes_on(silent(None, AS_OF), AS_OF) == AS_OF + timedelta(days=1)
    registered = check(watching) and CHECKS.pop("watching")
    assert registered.changes_on(watching(None, AS_OF), AS_OF) == date(2027, 1, 1)
    assert registered.changes_on(watching(None, AS_OF), date(2027, 1, 1)) is None


def test_a_partnership_with_nothing_dated_holds_for_as_long_as_its_evidence():
    """Nothing recorded yet: every criterion fails, and nothing about that can change with the date."""
    empty = replace(passing_execution(), phase="alignment", business_case=None, agreements=(), metrics=(),
                    stakeholders=(), commitments=(), meetings=(), problems=(), knowledge_sessions=(), responses=())
    assessment = assess(POLICY, empty, AS_OF)
    assert not assessment.gate.passed and assessment.holds_until is None
