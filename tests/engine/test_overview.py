"""The portfolio page's read model: the overview's numbers and the partnership table's filters, sorts and pages.

Built with the engine harness on the frozen clock; what is asserted is what a program office
reading the page would see, checked against the engine's own views (partnership_status, the tasks).
"""

from collections import Counter
from datetime import timedelta
from math import ceil

import pytest
from sqlalchemy import update

from partnerflow.engine.phases.overview import SORTS, OverviewCache, partnership_rows, portfolio_overview
from partnerflow.engine.phases.status import partnership_status
from partnerflow.engine.work import complete
from partnerflow.gates import PHASES, PRACTICE_BY_KEY, STATES
from partnerflow.models import BusinessCase, CommunicationPlan, Partnership, Person, Program, Task, session_scope
from tests import factories
from tests.engine.harness import GINA, GRACE, POLICY, build, decide, portfolio, review
from tests.factories import AS_OF, NOW


def overview(engine, *, as_of=AS_OF, limit=20) -> dict:
    with session_scope(engine) as session:
        return portfolio_overview(session, POLICY, as_of=as_of, limit=limit)


def rows(engine, **kw) -> dict:
    with session_scope(engine) as session:
        return partnership_rows(session, **kw)


def keys(engine, **kw) -> list[str]:
    return [row["key"] for row in rows(engine, per_page=200, **kw)["rows"]]


def funnel(found: dict) -> dict:
    return {step["phase"]: step for step in found["funnel"]}


# --- the overview ---------------------------------------------------------------------------------------------


def test_before_any_review_only_the_counts_show(engine):
    portfolio(engine)
    found = overview(engine)
    assert found["partnerships"] == found["live"] == 3
    assert found["by_phase"] == {"alignment": 2, "execution": 1, "shared_vision": 0}
    assert found["by_state"] == {"active": 3, "ready": 0, "on_hold": 0, "terminated": 0}
    assert funnel(found)["alignment"] == {"phase": "alignment", "gate": "alignment-to-execution",
                                          "approval": "gatekeeper", "in_phase": 2, "reviewed": 0, "passed": 0,
                                          "blocked": 0, "ready": 0}
    assert set(funnel(found)) == {"alignment", "execution"}  # the final phase has no gate
    assert found["blockers_by_practice"] == []
    assert found["overdue_by_owner"] == {"tasks": 0, "owners": 0, "rows": []}
    assert found["waiting_for_gatekeeper"] == {"total": 0, "rows": []}
    assert found["as_of"] == AS_OF.isoformat() and found["policy_version"] == POLICY.version


def test_after_a_review_the_funnel_shows_who_passed_and_who_waits_for_a_gatekeeper(engine):
    portfolio(engine)  # acme-supply passes its gatekeeper gate, star its auto gate, empty nothing
    review(engine)
    found = overview(engine)
    assert found["by_phase"] == {"alignment": 2, "execution": 0, "shared_vision": 1}  # star advanced
    assert found["by_state"]["ready"] == 1
    assert funnel(found)["alignment"] == {"phase": "alignment", "gate": "alignment-to-execution",
                                          "approval": "gatekeeper", "in_phase": 2, "reviewed": 2, "passed": 1,
                                          "blocked": 1, "ready": 1}
    # star's review is of the gate it has left: it no longer counts in execution's funnel
    assert funnel(found)["execution"]["in_phase"] == funnel(found)["execution"]["reviewed"] == 0
    assert found["waiting_for_gatekeeper"] == {"total": 1, "rows": [
        {"key": "acme-supply", "name": "Partnership acme-supply", "phase": "alignment",
         "gate": "alignment-to-execution", "since": NOW.isoformat()}]}


def test_a_go_moves_the_partnership_along_the_funnel_and_out_of_the_waiting_list(engine):
    portfolio(engine)
    review(engine)
    for by in (GINA, GRACE):
        decide(engine, "acme-supply", "go", by)
    found = overview(engine)
    assert found["by_phase"] == {"alignment": 1, "execution": 1, "shared_vision": 1}
    alignment = funnel(found)["alignment"]
    assert (alignment["in_phase"], alignment["reviewed"], alignment["passed"], alignment["ready"]) == (1, 1, 0, 0)
    # in execution, not reviewed against its new gate yet
    assert (funnel(found)["execution"]["in_phase"], funnel(found)["execution"]["reviewed"]) == (1, 0)
    assert found["waiting_for_gatekeeper"] == {"total": 0, "rows": []}
    review(engine)
    assert funnel(overview(engine))["execution"]["reviewed"] == 1


def test_a_killed_partnership_leaves_the_live_counts_but_keeps_its_state(engine):
    portfolio(engine)
    review(engine)
    decide(engine, "empty", "kill", GINA, reason="Never started")
    found = overview(engine)
    assert found["partnerships"] == 3 and found["live"] == 2
    assert found["by_phase"] == {"alignment": 1, "execution": 0, "shared_vision": 1}
    assert found["by_state"]["terminated"] == 1
    assert funnel(found)["alignment"]["reviewed"] == 1 and funnel(found)["alignment"]["blocked"] == 0
    assert found["blockers_by_practice"] == []  # empty was the only one blocked


def blocked_portfolio(engine):
    """Partnerships blocked in different ways, in both gated phases, reviewed once."""
    build(engine, ("empty", "alignment", None), ("half-aligned", "alignment", half_alignment),
          ("aligned", "alignment", factories.alignment_evidence),
          ("unproven", "execution", factories.alignment_evidence),
          ("proven", "execution", factories.execution_evidence), ("bare-execution", "execution", None))
    review(engine)


def half_alignment(session, w, p):
    """The alignment evidence without the business case and without the communication plan."""
    factories.alignment_evidence(session, w, p)
    for table in (BusinessCase, CommunicationPlan):
        for row in session.query(table).filter_by(partnership_id=p.id):
            session.delete(row)
    session.flush()


def test_blockers_by_practice_are_what_each_partnership_status_says(engine):
    blocked_portfolio(engine)
    found = overview(engine)
    per_practice, per_criterion = Counter(), Counter()
    with session_scope(engine) as session:
        for key in ("empty", "half-aligned", "aligned", "unproven", "proven", "bare-execution"):
            status = partnership_status(session, POLICY, key, AS_OF)
            if status["next_gate"] is None:
                continue
            failing = [c for c in status["next_gate"]["criteria"] if c["level"] == "must" and not c["passed"]]
            per_criterion.update(c["id"] for c in failing)
            per_practice.update({c["practice"] for c in failing})
    assert per_practice  # the portfolio is blocked somewhere, in both gates
    assert {f["practice"]: f["partnerships"] for f in found["blockers_by_practice"]} == dict(per_practice)
    shown = {c["criterion"]: c["partnerships"] for f in found["blockers_by_practice"] for c in f["criteria"]}
    assert shown == dict(per_criterion)
    for practice in found["blockers_by_practice"]:  # most blocked first, each practice's criteria most first
        assert practice["name"] == PRACTICE_BY_KEY[practice["practice"]].name
        counts = [c["partnerships"] for c in practice["criteria"]]
        assert counts == sorted(counts, reverse=True)
    totals = [f["partnerships"] for f in found["blockers_by_practice"]]
    assert totals == sorted(totals, reverse=True)
    # empty fails three business-objective criteria: it counts once for the practice, once per criterion
    business = next(f for f in found["blockers_by_practice"] if f["practice"] == "business_objective")
    assert business["partnerships"] < sum(c["partnerships"] for c in business["criteria"])


def test_funnel_counts_match_the_blocked_partnerships(engine):
    blocked_portfolio(engine)
    found = funnel(overview(engine))
    alignment = found["alignment"]
    assert (alignment["in_phase"], alignment["reviewed"], alignment["passed"], alignment["blocked"],
            alignment["ready"]) == (3, 3, 1, 2, 1)
    # proven advanced (auto gate); unproven and bare-execution stay, blocked
    assert (found["execution"]["in_phase"], found["execution"]["reviewed"], found["execution"]["passed"]) == (2, 2, 0)


def test_only_the_latest_review_counts(engine):
    build(engine, ("late", "alignment", None))
    review(engine)
    assert keys(engine, blocker="business-case-approved") == ["late"]
    with session_scope(engine) as session:  # the evidence arrives; the next review passes the gate
        late = session.query(Partnership).filter_by(key="late").one()
        factories.alignment_evidence(session, factories.existing_world(session), late)
    review(engine)
    found = overview(engine)
    assert funnel(found)["alignment"]["reviewed"] == 1 and funnel(found)["alignment"]["passed"] == 1
    assert found["blockers_by_practice"] == []
    assert keys(engine, blocker="business-case-approved") == []
    assert rows(engine)["rows"][0]["blockers"] == [] and rows(engine, sort="blockers")["total"] == 1


def test_overdue_tasks_by_owner_appear_once_the_clock_passes_their_due_date(engine, frozen_clock):
    portfolio(engine)
    review(engine)  # opens tasks due in the policy's task_due_days
    assert overview(engine)["overdue_by_owner"]["tasks"] == 0
    frozen_clock.tick(days=POLICY.task_due_days)
    due_day = frozen_clock.now().date()
    assert overview(engine, as_of=due_day)["overdue_by_owner"]["tasks"] == 0  # due today is not overdue yet
    frozen_clock.tick(days=1)
    today = frozen_clock.now().date()
    with session_scope(engine) as session:
        open_tasks = session.query(Task, Person.email).outerjoin(Person, Person.id == Task.assignee_id).filter(
            Task.status == "open").all()
        expected = Counter(email for _, email in open_tasks)
    found = overview(engine, as_of=today)["overdue_by_owner"]
    assert found["tasks"] == len(open_tasks) > 0 and found["owners"] == len(expected)
    assert {(r["owner"], r["tasks"]) for r in found["rows"]} == set(expected.items())
    assert all(r["oldest_due_on"] == due_day.isoformat() for r in found["rows"])
    assert [r["tasks"] for r in found["rows"]] == sorted(expected.values(), reverse=True)
    top = overview(engine, as_of=today, limit=1)["overdue_by_owner"]
    assert top["rows"] == found["rows"][:1] and top["owners"] == found["owners"] and top["tasks"] == found["tasks"]


def test_unassigned_overdue_tasks_are_the_program_offices_row(engine, frozen_clock):
    portfolio(engine)
    review(engine)
    with session_scope(engine) as session:  # a task nobody could be found for (flagged to the program office)
        flagged = session.query(Task).filter_by(status="open").order_by(Task.id).first().id
        session.execute(update(Task).where(Task.id == flagged).values(assignee_id=None, flagged=True))
    today = frozen_clock.tick(days=POLICY.task_due_days + 1).date()
    found = overview(engine, as_of=today)["overdue_by_owner"]
    assert {"owner": None, "tasks": 1, "oldest_due_on": (AS_OF + timedelta(days=POLICY.task_due_days)).isoformat()} \
        in found["rows"]
    assert found["rows"][-1]["owner"] is None  # the fewest tasks, listed last


def test_the_waiting_list_is_limited_by_key_and_keeps_its_total(engine):
    build(engine, *[(f"ready-{n}", "alignment", factories.alignment_evidence) for n in (3, 1, 2)])
    review(engine)
    waiting = overview(engine, limit=2)["waiting_for_gatekeeper"]
    assert waiting["total"] == 3
    assert [r["key"] for r in waiting["rows"]] == ["ready-1", "ready-2"]


def test_the_overview_refuses_a_bad_limit(engine):
    portfolio(engine)
    for limit in (0, 201, "5"):
        with pytest.raises(ValueError, match="limit"):
            overview(engine, limit=limit)


# --- the partnership table ------------------------------------------------------------------------------------


@pytest.fixture
def table(engine):
    """Eight partnerships in two programs, owned by two people, in every phase, one terminated; reviewed."""
    blocked_portfolio(engine)  # empty, half-aligned, aligned, unproven, proven (advances), bare-execution
    with session_scope(engine) as session:
        w = factories.existing_world(session)
        alliances = Program(key="alliances", name="Alliances")
        session.add(alliances)
        session.flush()
        for key in ("promo-100%", "promo-1000", "under_score", "underXscore"):
            factories.partnership(session, w, key)
        gone = factories.partnership(session, w, "gone", phase="execution", state="terminated")
        for key in ("unproven", "promo-1000", "gone"):
            session.query(Partnership).filter_by(key=key).one().program_id = alliances.id
        session.query(Partnership).filter_by(key="half-aligned").one().owner_id = w.sponsor.id
        gone.phase_since = AS_OF - timedelta(days=900)
    review(engine)
    return engine


ALL = sorted(["empty", "half-aligned", "aligned", "unproven", "proven", "bare-execution", "promo-100%", "promo-1000",
              "under_score", "underXscore", "gone"])


def test_the_table_shows_each_partnership_as_the_engine_knows_it(table):
    found = rows(table, per_page=200)
    assert found["total"] == len(ALL) and [r["key"] for r in found["rows"]] == ALL
    by_key = {r["key"]: r for r in found["rows"]}
    with session_scope(table) as session:
        open_tasks = Counter(key for (key,) in session.query(Partnership.key).join(
            Task, Task.partnership_id == Partnership.id).filter(Task.status == "open"))
        for key in ("empty", "half-aligned", "unproven", "bare-execution"):
            status = partnership_status(session, POLICY, key, AS_OF)
            assert by_key[key]["blockers"] == [c["id"] for c in status["next_gate"]["criteria"]
                                               if c["level"] == "must" and not c["passed"]]
    assert {k: r["open_tasks"] for k, r in by_key.items() if r["open_tasks"]} == dict(open_tasks)
    assert by_key["aligned"] == {
        "key": "aligned", "name": "Partnership aligned", "kind": "supplier", "program": "supply",
        "phase": "alignment", "state": "ready", "owner": "olivia@northwind.example",
        "phase_since": (AS_OF - timedelta(days=200)).isoformat(), "blockers": [], "open_tasks": 0}
    assert by_key["proven"]["phase"] == "shared_vision" and by_key["proven"]["blockers"] == []
    assert by_key["proven"]["phase_since"] == AS_OF.isoformat()
    assert by_key["gone"]["state"] == "terminated" and by_key["gone"]["program"] == "alliances"
    assert by_key["half-aligned"]["owner"] == "sam@northwind.example"


@pytest.mark.parametrize("filters, expected", [
    ({"program": "alliances"}, ["gone", "promo-1000", "unproven"]),
    ({"program": "nowhere"}, []),
    ({"phase": "execution"}, ["bare-execution", "gone", "unproven"]),
    ({"phase": "shared_vision"}, ["proven"]),
    ({"state": "terminated"}, ["gone"]),
    ({"state": "ready"}, ["aligned"]),
    ({"owner": "SAM@northwind.example "}, ["half-aligned"]),
    ({"owner": "nobody@northwind.example"}, []),
    ({"blocker": "business-case-approved"}, ["empty", "half-aligned", "promo-100%", "promo-1000", "underXscore",
                                             "under_score"]),  # the four added without evidence too
    ({"blocker": "repeated-successes"}, ["bare-execution", "unproven"]),
    ({"blocker": "shared-metrics"}, []),  # a should-criterion never blocks
    ({"text": "PROMO"}, ["promo-100%", "promo-1000"]),
    ({"text": "100%"}, ["promo-100%"]),  # `%` is a percent sign, not a wildcard
    ({"text": "r_s"}, ["under_score"]),  # `_` is an underscore, not any character
    ({"text": "ship aligned!"}, []),
    ({"text": "ship al"}, ["aligned"]),  # the name: "Partnership aligned"
    ({"text": "  "}, ALL),
    ({"program": "alliances", "phase": "execution"}, ["gone", "unproven"]),
    ({"program": "alliances", "phase": "execution", "state": "active"}, ["unproven"]),
    ({"phase": "alignment", "blocker": "communication-structure", "text": "half"}, ["half-aligned"]),
])
def test_each_filter_narrows_the_table(table, filters, expected):
    assert keys(table, **filters) == expected
    assert rows(table, **filters)["total"] == len(expected)


def sort_value(sort: str, row: dict):
    return {"key": row["key"], "name": row["name"], "program": row["program"], "phase": PHASES.index(row["phase"]),
            "state": STATES.index(row["state"]), "since": row["phase_since"], "open_tasks": row["open_tasks"],
            "blockers": len(row["blockers"])}[sort]


@pytest.mark.parametrize("sort", SORTS)
def test_sorting_both_ways_with_ties_broken_by_key(table, sort):
    everything = rows(table, per_page=200)["rows"]
    ascending = [r["key"] for r in rows(table, sort=sort, per_page=200)["rows"]]
    descending = [r["key"] for r in rows(table, sort=sort, descending=True, per_page=200)["rows"]]
    assert ascending == [r["key"] for r in sorted(everything, key=lambda r: (sort_value(sort, r), r["key"]))]
    assert descending == ascending[::-1]
    assert len({sort_value(sort, r) for r in everything}) > 1  # the portfolio tells the two directions apart
    for whole, backwards in ((ascending, False), (descending, True)):  # page by page (late pages read from the end)
        pages = [rows(table, sort=sort, descending=backwards, per_page=4, page=n)["rows"] for n in (1, 2, 3)]
        assert [r["key"] for found in pages for r in found] == whole


def test_the_most_blocked_and_busiest_come_first_when_sorted_descending(table):
    bare = {"empty", "promo-100%", "promo-1000", "under_score", "underXscore"}  # in alignment, no evidence at all
    assert set(keys(table, sort="blockers", descending=True)[:len(bare)]) == bare
    assert set(keys(table, sort="open_tasks", descending=True)[:len(bare)]) == bare
    assert keys(table, sort="blockers")[:2] == ["aligned", "gone"]  # nothing blocks them (ties by key)
    assert keys(table, sort="since")[0] == "gone"  # 900 days in its phase
    assert keys(table, sort="phase", descending=True)[0] == "proven"


def test_pages_cover_the_table_once_and_the_total_stays(table):
    per_page = 3
    first = rows(table, sort="name", per_page=per_page)
    assert (first["total"], first["page"], first["per_page"], first["pages"]) == (len(ALL), 1, 3, ceil(len(ALL) / 3))
    seen = []
    for page in range(1, first["pages"] + 1):
        found = rows(table, sort="name", per_page=per_page, page=page)
        assert found["total"] == len(ALL) and len(found["rows"]) <= per_page
        seen += [r["key"] for r in found["rows"]]
    assert seen == [r["key"] for r in rows(table, sort="name", per_page=200)["rows"]]
    past = rows(table, per_page=per_page, page=first["pages"] + 1)
    assert past["rows"] == [] and past["total"] == len(ALL)
    filtered = rows(table, phase="execution", per_page=2, page=2)
    assert (filtered["total"], filtered["pages"], [r["key"] for r in filtered["rows"]]) == (3, 2, ["unproven"])
    assert rows(table, program="nowhere")["pages"] == 1  # page 1 of an empty table exists


@pytest.mark.parametrize("arguments, words", [
    ({"sort": "owner"}, "cannot sort by 'owner'"),
    ({"phase": "closing"}, "unknown phase 'closing'"),
    ({"state": "done"}, "unknown state 'done'"),
    ({"per_page": 0}, "per_page"),
    ({"per_page": 201}, "per_page"),
    ({"page": 0}, "page"),
    ({"page": "2"}, "page"),
    ({"text": "x" * 201}, "at most 200"),
    ({"blocker": "business%"}, "criterion id"),
    ({"program": "p" * 101}, "at most 100"),
])
def test_bad_arguments_are_refused_with_a_sentence(engine, arguments, words):
    portfolio(engine)
    with pytest.raises(ValueError, match=words):
        rows(engine, **arguments)


def test_the_longest_text_and_page_allowed_are_searched(engine):
    portfolio(engine)
    assert rows(engine, text="x" * 200)["total"] == 0
    assert rows(engine, text="Partnership " + "x" * 188)["rows"] == []
    assert rows(engine, per_page=200)["total"] == 3


# --- the overview kept between page loads ----------------------------------------------------------------------


def test_the_kept_overview_is_served_until_the_portfolio_changes(engine, frozen_clock):
    """The portfolio page keeps its overview; every change a program office would see (a review,
    a decision, a task done, a kill, the next day) gives the same numbers as computing it afresh."""
    portfolio(engine)
    kept = OverviewCache()

    def served(as_of=AS_OF) -> dict:
        with session_scope(engine) as session:
            return kept.overview(session, POLICY, as_of=as_of)

    first = served()
    assert served() is first  # nothing changed: not computed again
    review(engine)
    reviewed = served()
    assert reviewed is not first and reviewed == overview(engine) != first
    later = AS_OF + timedelta(days=60)  # tasks fall overdue with the days, without any write
    assert served(later) == overview(engine, as_of=later) != reviewed
    assert served(later)["overdue_by_owner"]["tasks"] > reviewed["overdue_by_owner"]["tasks"] == 0
    before = served()
    for change in (lambda: [decide(engine, "acme-supply", "go", by) for by in (GINA, GRACE)],
                   lambda: done_one(engine),
                   lambda: decide(engine, "empty", "kill", GINA, reason="Never started")):
        change()
        now = served()
        assert now is not before and now == overview(engine)
        assert served() is now
        before = now


def done_one(engine) -> None:
    """The first open task, marked done by its partnership's owner."""
    with session_scope(engine) as session:
        task = session.query(Task).filter_by(status="open").order_by(Task.id).first()
        task_id = task.id
        owner = session.get(Person, session.get(Partnership, task.partnership_id).owner_id)
        complete(session, task_id, by=owner.email, note="Handled", now=NOW)
        session.commit()
