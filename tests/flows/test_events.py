"""Partnerflow's Prefect events arrive on the server with the partnership as their resource (here the
test harness's server): what operators attach automations to."""

import time

from prefect import flow, get_client
from prefect.events.filters import EventFilter, EventNameFilter, EventRelatedFilter

from partnerflow.flows import ReviewParameters, review_portfolio
from partnerflow.flows.events import Announcer
from partnerflow.engine import ReviewReport
from tests.engine import harness
from tests.factories import AS_OF


def events_matching(query: EventFilter, *, wanted: int) -> list:
    """The events `query` finds; they are stored asynchronously, so ask again (for at most ten
    seconds) until `wanted` have arrived."""
    found = []
    for _ in range(40):
        with get_client(sync_client=True) as client:
            found = client.read_events(filter=query, limit=50).events  # the server's maximum is 50
        if len(found) >= wanted:
            break
        time.sleep(0.25)  # waiting for the server to store them, not for time to pass
    return found


def events_of_run(run_id, *, wanted: int) -> list:
    """The partnerflow events related to one flow run."""
    return events_matching(EventFilter(event=EventNameFilter(prefix=["partnerflow."]),
                                       related=EventRelatedFilter(id=[f"prefect.flow-run.{run_id}"])), wanted=wanted)


def test_a_review_announces_gates_ready_advances_and_tasks_opened(engine):
    harness.portfolio(engine)  # acme-supply passes its gatekeeper gate, star its auto gate, empty nothing
    state = review_portfolio(ReviewParameters(as_of=AS_OF), return_state=True)
    result = state.result()
    found = events_of_run(state.state_details.flow_run_id, wanted=2 + result["tasks_opened"])
    by_name = {}
    for event in found:
        by_name.setdefault(event.event, []).append(event)
    assert [e.resource.id for e in by_name["partnerflow.gate.ready"]] == ["partnerflow.partnership.acme-supply"]
    assert [e.resource.id for e in by_name["partnerflow.partnership.advanced"]] == ["partnerflow.partnership.star"]
    opened = by_name["partnerflow.task.opened"]
    assert len(opened) == result["tasks_opened"] > 0
    assert {e.resource["partnerflow.partnership.key"] for e in opened} <= {"acme-supply", "star", "empty"}
    assert all({"task", "criterion"} <= set(e.payload) for e in opened)


def test_a_run_announces_at_most_so_many_events_of_a_kind_then_says_what_it_left_out(monkeypatch):
    monkeypatch.setattr("partnerflow.flows.events.MOST_PER_KIND", 3)

    @flow(name="announce-many")
    def announce_many() -> None:
        announcer = Announcer()
        announcer.review(ReviewReport(ready=[f"p{n}" for n in range(5)]))
        announcer.close()

    state = announce_many(return_state=True)
    found = events_of_run(state.state_details.flow_run_id, wanted=4)
    names = sorted(e.event for e in found)
    assert names == ["partnerflow.events.truncated"] + ["partnerflow.gate.ready"] * 3
    truncated = next(e for e in found if e.event == "partnerflow.events.truncated")
    assert truncated.payload == {"left_out": {"partnerflow.gate.ready": 2}, "most_per_kind": 3}


def test_evidence_written_through_the_api_is_announced_when_a_server_listens(engine, monkeypatch):
    from prefect.events.filters import EventOccurredFilter, EventResourceFilter
    from prefect.settings import PREFECT_API_URL
    from prefect.types._datetime import now as prefect_now

    from tests.web.conftest import BASE, TestClient, create_app
    from tests.web.test_api import WINS, bearer

    harness.portfolio(engine)
    monkeypatch.setenv("PREFECT_API_URL", PREFECT_API_URL.value())
    since = prefect_now("UTC")
    with TestClient(create_app(), base_url=BASE) as client:
        response = client.put("/api/v1/partnerships/empty/evidence/wins", headers=bearer(harness.OLIVIA), json=WINS)
    assert response.status_code == 200
    found = events_matching(EventFilter(event=EventNameFilter(name=["partnerflow.evidence.changed"]),
                                        resource=EventResourceFilter(id=["partnerflow.partnership.empty"]),
                                        occurred=EventOccurredFilter(since=since)), wanted=1)
    assert [e.resource["partnerflow.partnership.key"] for e in found] == ["empty"]


def test_a_sweep_announces_the_tasks_it_escalates(engine, frozen_clock):
    from partnerflow.flows import sweep_deadlines

    harness.portfolio(engine)
    harness.review(engine)
    frozen_clock.tick(days=60)  # past every task's due date and the grace before escalation
    state = sweep_deadlines(return_state=True)
    escalated = state.result()["escalated"]
    found = events_of_run(state.state_details.flow_run_id, wanted=escalated)
    assert escalated > 0 and len(found) == escalated
    assert {e.event for e in found} == {"partnerflow.task.overdue"}
    assert all(e.payload["level"] == 1 for e in found)


def test_a_review_in_shards_shares_the_cap_so_the_run_announces_no_more_than_one_shard_would(engine, monkeypatch):
    harness.portfolio(engine)
    monkeypatch.setattr("partnerflow.flows.events.MOST_PER_KIND", 3)
    assert Announcer.for_shard(2).most == 1 and Announcer.for_shard(1).most == 3 and Announcer.for_shard(9).most == 1
    state = review_portfolio(ReviewParameters(as_of=AS_OF, batch_size=1, shard_size=1), return_state=True)
    result = state.result()
    assert result["tasks_opened"] > 3  # more than the cap: each of the three shards announces at most one
    for _ in range(40):  # the events are stored asynchronously: until the opened and the left out add up
        found = events_of_run(state.state_details.flow_run_id, wanted=2)
        opened = [e for e in found if e.event == "partnerflow.task.opened"]
        left_out = sum(e.payload["left_out"].get("partnerflow.task.opened", 0)
                       for e in found if e.event == "partnerflow.events.truncated")
        if len(opened) + left_out >= result["tasks_opened"]:
            break
        time.sleep(0.25)
    assert 1 <= len(opened) <= 3 and len(opened) + left_out == result["tasks_opened"]


def test_the_events_worker_does_not_print_its_progress_under_a_command_but_its_errors_still_show(caplog):
    """At the end of `partnerflow review` Prefect's events worker logged "Still processing items" as a WARNING."""
    import logging

    import partnerflow.flows  # noqa: F401  (prepares Prefect's environment and loggers)

    worker = logging.getLogger("EventsWorker")
    with caplog.at_level(logging.DEBUG):
        worker.warning("Still processing items: 7 items remaining...")
        worker.error("could not send the events")
    assert [r.getMessage() for r in caplog.records if r.name == "EventsWorker"] == ["could not send the events"]
