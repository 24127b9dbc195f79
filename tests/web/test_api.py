"""The REST API under /api/v1 as another system uses it: a person's bearer token, JSON in and out.

Everything runs on the small portfolio of tests/engine/harness.py, reviewed once: acme-supply is
ready for its gatekeepers (alignment-to-execution wants two go votes, one of each party), star
advanced to shared vision, empty has no evidence (nine blockers, twelve tasks for its owner Olivia
and one for its sponsor Sam). Two people are added: Priya, a program manager of our own party
(Northwind), and Otto, a gatekeeper of Globex, an outside party in none of the partnerships.
The clock is the suite's frozen one (tests/conftest.py).
"""

from datetime import timedelta

import pytest
from sqlmodel import select

from partnerflow import engine as face
from partnerflow.models import AuditEvent, Party, Person, session_scope
from partnerflow.web.security import MAX_BODY
from tests.engine.harness import GINA, GRACE, GUS, MAX, OLIVIA
from tests.factories import NOW
from tests.web.conftest import signed_in_as

API = "/api/v1"
SAM, PRIYA, OTTO = "sam@northwind.example", "priya@northwind.example", "otto@globex.example"
WINS = [{"party": "acme", "statement": "Predictable volume"}, {"party": "northwind", "statement": "Shorter lead times"}]


@pytest.fixture
def people(reviewed, engine):
    """The reviewed portfolio, and Priya (program office) and Otto (an outside party's gatekeeper)."""
    with session_scope(engine) as session:
        globex = Party(key="globex", name="Globex")
        session.add(globex)
        session.flush()
        northwind = session.exec(select(Party).where(Party.key == "northwind")).one()
        session.add_all([Person(email=OTTO, name="Otto", party_id=globex.id, roles=["gatekeeper"]),
                         Person(email=PRIYA, name="Priya", party_id=northwind.id, roles=["program_manager"])])
    return reviewed


def bearer(email: str, **token) -> dict:
    """Authorization headers with a new API token of `email`, created as `partnerflow token create` does."""
    with face.transaction() as session:
        _, value = face.create_token(session, email, now=face.now(), **token)
    return {"authorization": f"Bearer {value}"}


ANY = object()


def refused(response, status: int, code: str, field: str | None | object = None) -> dict:
    """The one error shape of the API: {"error": {code, message, field, line}} (and the full list when several)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"]
    error = body["error"]
    assert {"code", "message", "field", "line"} <= set(error) <= {"code", "message", "field", "line", "errors"}
    assert error["code"] == code and error["message"]
    assert field is ANY or error["field"] == field
    return error


def audit(engine, kind: str) -> list[AuditEvent]:
    with session_scope(engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.id)).all()
        session.expunge_all()
        return events


def audit_size(engine) -> int:
    """Audit events written, leaving out the tokens the tests create for their callers."""
    with session_scope(engine) as session:
        return len(session.exec(select(AuditEvent.id).where(AuditEvent.kind.not_like("token.%"))).all())


def history(key: str) -> list[dict]:
    with face.transaction() as session:
        return face.partnership_history(session, key)


def keys(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [row["key"] for row in response.json()["rows"]]


def review(client, headers, key: str) -> dict:
    response = client.post(f"{API}/partnerships/{key}/review", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def criterion(view: dict, criterion_id: str) -> dict:
    return next(c for c in view["next_gate"]["criteria"] if c["id"] == criterion_id)


def my_tasks(client, headers, **query) -> list[dict]:
    response = client.get(f"{API}/tasks", headers=headers, params=query)
    assert response.status_code == 200, response.text
    return response.json()


# ---------------------------------------------------------------------------------------------
# GET /partnerships: the program office's portfolio


def test_the_portfolio_filters_by_phase_state_text_and_blocker(client, people):
    office = bearer(GINA)
    listing = f"{API}/partnerships"
    assert keys(client.get(listing, headers=office)) == ["acme-supply", "empty", "star"]
    assert keys(client.get(listing, headers=office, params={"phase": "alignment"})) == ["acme-supply", "empty"]
    assert keys(client.get(listing, headers=office, params={"phase": "shared_vision"})) == ["star"]
    assert keys(client.get(listing, headers=office, params={"state": "ready"})) == ["acme-supply"]
    assert keys(client.get(listing, headers=office, params={"text": "SUPP"})) == ["acme-supply"]  # any case
    assert keys(client.get(listing, headers=office, params={"text": "partnership st"})) == ["star"]  # the name too
    assert keys(client.get(listing, headers=office, params={"blocker": "every-party-wins"})) == ["empty"]
    assert keys(client.get(listing, headers=office, params={"phase": "alignment", "state": "active"})) == ["empty"]
    assert keys(client.get(listing, headers=office, params={"owner": OLIVIA.upper()})) == [
        "acme-supply", "empty", "star"]
    assert keys(client.get(listing, headers=office, params={"owner": GINA})) == []
    row = client.get(listing, headers=office, params={"blocker": "every-party-wins"}).json()["rows"][0]
    assert row["phase"] == "alignment" and row["state"] == "active" and row["owner"] == OLIVIA
    assert "every-party-wins" in row["blockers"] and len(row["blockers"]) == 9 and row["open_tasks"] == 13
    refused(client.get(listing, headers=office, params={"phase": "launch"}), 422, "invalid", "phase")
    refused(client.get(listing, headers=office, params={"blocker": "Not A Criterion"}), 422, "invalid", "blocker")


def test_the_portfolio_sorts_both_ways_and_pages(client, people):
    office, listing = bearer(PRIYA), f"{API}/partnerships"
    assert keys(client.get(listing, headers=office, params={"descending": True})) == ["star", "empty", "acme-supply"]
    assert keys(client.get(listing, headers=office, params={"sort": "open_tasks", "descending": True}))[0] == "empty"
    assert keys(client.get(listing, headers=office, params={"sort": "phase", "descending": True}))[0] == "star"
    assert keys(client.get(listing, headers=office, params={"sort": "blockers"}))[-1] == "empty"
    first = client.get(listing, headers=office, params={"per_page": 2}).json()
    second = client.get(listing, headers=office, params={"per_page": 2, "page": 2}).json()
    past = client.get(listing, headers=office, params={"per_page": 2, "page": 3}).json()
    assert (first["total"], first["page"], first["per_page"], first["pages"]) == (3, 1, 2, 2)
    assert (second["total"], second["page"], second["pages"]) == (3, 2, 2)
    assert [r["key"] for r in first["rows"] + second["rows"]] == ["acme-supply", "empty", "star"]
    assert past["rows"] == [] and past["total"] == 3
    backwards = client.get(listing, headers=office, params={"per_page": 2, "page": 2, "descending": True}).json()
    assert [r["key"] for r in backwards["rows"]] == ["acme-supply"]
    refused(client.get(listing, headers=office, params={"sort": "colour"}), 422, "invalid", "sort")
    refused(client.get(listing, headers=office, params={"per_page": 201}), 422, "invalid", "per_page")
    refused(client.get(listing, headers=office, params={"page": 0}), 422, "invalid", "page")


def test_the_portfolio_is_the_program_offices_not_an_outside_partys(client, people):
    error = refused(client.get(f"{API}/partnerships", headers=bearer(MAX)), 403, "refused")
    assert MAX in error["message"]
    refused(client.get(f"{API}/partnerships", headers=bearer(OTTO)), 403, "refused")


def test_a_call_without_a_live_token_is_asked_for_one(client, people):
    for headers in ({}, {"authorization": "Basic b2xpdmlhOnNlY3JldA=="}, {"authorization": "Bearer "},
                    {"authorization": "Bearer pf_not-a-token-anyone-was-given"}):
        response = client.get(f"{API}/partnerships", headers=headers)
        refused(response, 401, "not_signed_in")
        assert response.headers["www-authenticate"] == "Bearer"
    # a signed-in page's cookie is no token: the API has no CSRF check, so it takes none
    signed_in_as(client, GINA)
    refused(client.get(f"{API}/partnerships"), 401, "not_signed_in")


def test_a_revoked_or_expired_token_no_longer_signs_in(client, people, frozen_clock):
    with face.transaction() as session:
        token_id, value = face.create_token(session, GINA, now=face.now())
    revocable = {"authorization": f"Bearer {value}"}
    expiring = bearer(PRIYA, expires_at=NOW + timedelta(days=1))
    assert client.get(f"{API}/partnerships", headers=revocable).status_code == 200
    with face.transaction() as session:
        face.revoke_token(session, token_id, by=GINA, now=face.now())
    response = client.get(f"{API}/partnerships", headers=revocable)
    refused(response, 401, "not_signed_in")
    assert response.headers["www-authenticate"] == "Bearer" and "revoked" in response.json()["error"]["message"]

    assert client.get(f"{API}/partnerships", headers=expiring).status_code == 200
    frozen_clock.tick(days=1)
    response = client.get(f"{API}/partnerships", headers=expiring)
    refused(response, 401, "not_signed_in")
    assert "expired" in response.json()["error"]["message"]


# ---------------------------------------------------------------------------------------------
# GET /partnerships/{key}


def test_a_partnership_shows_its_practices_and_open_tasks(client, people):
    office = bearer(GINA)
    empty = client.get(f"{API}/partnerships/empty", headers=office).json()
    assert (empty["key"], empty["phase"], empty["state"]) == ("empty", "alignment", "active")
    assert empty["owner"] == OLIVIA and empty["sponsor"] == SAM and empty["parties"] == ["Acme", "Northwind"]
    practices = {p["practice"]: p for p in empty["practices"]}
    assert list(practices) == [p.key for p in face.PRACTICES]  # the nine, in the pyramid's order
    assert practices["business_objective"]["status"] == "missing"
    assert "no business case recorded" in practices["business_objective"]["missing"]
    assert {t["criterion"] for t in empty["open_tasks"]} >= {"business-case-approved", "every-party-wins"}
    assert len(empty["open_tasks"]) == 13 and all(t["status"] == "open" for t in empty["open_tasks"])
    sponsor_task = next(t for t in empty["open_tasks"] if t["criterion"] == "business-case-approved")
    assert sponsor_task["assignee"] == SAM and sponsor_task["explanation"] == "no business case recorded"
    assert empty["next_gate"]["id"] == "alignment-to-execution" and empty["next_gate"]["passed"] is False

    ready = client.get(f"{API}/partnerships/acme-supply", headers=office).json()
    assert ready["state"] == "ready" and ready["next_gate"]["passed"] is True and ready["open_tasks"] == []
    assert {p["practice"]: p["status"] for p in ready["practices"]}["business_objective"] == "met"
    # on an earlier day its agreement (effective 2026-01-01) was not in force yet
    then = client.get(f"{API}/partnerships/acme-supply", headers=office, params={"as_of": "2025-12-01"}).json()
    assert then["as_of"] == "2025-12-01" and then["next_gate"]["passed"] is False
    assert criterion(then, "agreement-in-force")["passed"] is False
    # a person of a party in the partnership reads it too, even from outside our own parties
    assert client.get(f"{API}/partnerships/acme-supply", headers=bearer(MAX)).json()["key"] == "acme-supply"


def test_a_partnership_outside_ones_reach_is_refused_and_an_unknown_one_not_found(client, people):
    for path in ("/partnerships/acme-supply", "/partnerships/acme-supply/reviews"):
        error = refused(client.get(API + path, headers=bearer(OTTO)), 403, "refused")
        assert OTTO in error["message"] and "Globex" in error["message"]
    for path in ("/partnerships/no-such-thing", "/partnerships/no-such-thing/reviews"):
        error = refused(client.get(API + path, headers=bearer(GINA)), 404, "not_found")
        assert "no-such-thing" in error["message"]
    for day in ("2026-02-30", "0001-01-01", "2200-01-01"):  # not a date; outside the dates evidence may carry
        refused(client.get(f"{API}/partnerships/empty", headers=bearer(GINA), params={"as_of": day}),
                422, "invalid", "as_of")
    refused(client.get(f"{API}/partnerships/empty"), 401, "not_signed_in")


# ---------------------------------------------------------------------------------------------
# GET /partnerships/{key}/reviews


EVIDENCE_STEPS = [  # each changes what the gate finds in `empty`, so each review writes a new record
    ("wins", WINS),
    ("business_case", {"outcomes": "Cut lead time", "processes": "Order to delivery", "measures": "On-time delivery",
                       "approved_by": SAM, "approved_on": "2026-01-10"}),
    ("risks", [{"description": "Single plant", "mitigation": "Second source", "owner": OLIVIA}]),
    ("communication", {"formal_cadence_days": 30, "decision_process": "Steering committee",
                       "escalation_path": "Owner, then sponsors", "response_target_days": 5}),
]


def supply_and_review(client, headers) -> None:
    for section, body in EVIDENCE_STEPS:
        response = client.put(f"{API}/partnerships/empty/evidence/{section}", headers=headers, json=body)
        assert response.status_code == 200, response.text
        assert review(client, headers, "empty")["reviewed"] == 1


def test_reviews_come_newest_first_with_every_criterion_explained(client, people):
    owner = bearer(OLIVIA)
    supply_and_review(client, owner)
    found = client.get(f"{API}/partnerships/empty/reviews", headers=owner).json()
    reviews = found["reviews"]
    assert len(reviews) == 1 + len(EVIDENCE_STEPS) and found["next_before"] is None
    assert [r["id"] for r in reviews] == sorted((r["id"] for r in reviews), reverse=True)
    newest, oldest = reviews[0], reviews[-1]
    assert len(oldest["blockers"]) == 9 and "every-party-wins" in oldest["blockers"]
    assert sorted(newest["blockers"]) == sorted(set(oldest["blockers"]) - {
        "every-party-wins", "business-case-approved", "risks-mitigated", "communication-structure"})
    results = {r["id"]: r for r in newest["results"]}
    assert results["every-party-wins"]["passed"] is True
    assert results["every-party-wins"]["explanation"] == "every party stated what it must win"
    assert results["agreement-in-force"] == {"id": "agreement-in-force", "practice": "business_objective",
                                             "level": "must", "passed": False, "explanation": "no agreement recorded"}
    assert all(r["explanation"] for review_ in reviews for r in review_["results"])
    assert {r["gate"] for r in reviews} == {"alignment-to-execution"} and not any(r["passed"] for r in reviews)
    assert newest["as_of"] == NOW.date().isoformat() and newest["policy_version"]
    # an outside party's person in the partnership reads its reviews too
    assert client.get(f"{API}/partnerships/empty/reviews", headers=bearer(MAX)).json()["reviews"] == reviews


def test_a_review_found_again_the_next_day_shows_when_it_was_last_confirmed(client, people, frozen_clock):
    """A review that finds the result unchanged writes no new review: the listing shows the earlier one,
    written the first day and confirmed the next (checked_at / checked_as_of)."""
    owner = bearer(OLIVIA)
    review(client, owner, "empty")
    written = client.get(f"{API}/partnerships/empty/reviews", headers=owner).json()["reviews"]
    assert written[0]["checked_at"] == written[0]["created_at"]
    assert written[0]["checked_as_of"] == written[0]["as_of"] == NOW.date().isoformat()
    later = frozen_clock.tick(days=1)
    assert review(client, owner, "empty")["reviewed"] == 1
    found = client.get(f"{API}/partnerships/empty/reviews", headers=owner).json()["reviews"]
    assert [r["id"] for r in found] == [r["id"] for r in written]
    assert found[0]["created_at"] == written[0]["created_at"] and found[0]["as_of"] == written[0]["as_of"]
    assert found[0]["checked_at"] == later.isoformat() and found[0]["checked_as_of"] == later.date().isoformat()


def test_review_pages_cover_every_review_exactly_once(client, people):
    owner = bearer(OLIVIA)
    supply_and_review(client, owner)
    everything = [r["id"] for r in client.get(f"{API}/partnerships/empty/reviews", headers=owner).json()["reviews"]]
    for limit in (1, 2, 3, 5, 100):
        seen, before, pages = [], None, 0
        while True:
            params = {"limit": limit} | ({"before": before} if before is not None else {})
            page = client.get(f"{API}/partnerships/empty/reviews", headers=owner, params=params).json()
            pages += 1
            assert 1 <= len(page["reviews"]) <= limit
            seen += [r["id"] for r in page["reviews"]]
            before = page["next_before"]
            if before is None:
                break
            assert before == page["reviews"][-1]["id"]
        assert seen == everything, limit  # newest first, each once, none left out
        assert pages == -(-len(everything) // limit)
    # a cursor older than every review: an empty last page
    assert client.get(f"{API}/partnerships/empty/reviews", headers=owner,
                      params={"before": min(everything)}).json() == {"reviews": [], "next_before": None}


def test_a_review_page_outside_its_bounds_is_refused(client, people):
    office = bearer(GINA)
    for params, field in (({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"limit": "ten"}, "limit"),
                          ({"before": 0}, "before"), ({"before": 2**31}, "before")):
        refused(client.get(f"{API}/partnerships/empty/reviews", headers=office, params=params), 422, "invalid", field)
    for params in ({"limit": 100}, {"limit": 1, "before": 2**31 - 1}):  # the largest cursor: from the newest
        found = client.get(f"{API}/partnerships/empty/reviews", headers=office, params=params).json()
        assert len(found["reviews"]) == 1 and found["next_before"] is None


# ---------------------------------------------------------------------------------------------
# PUT / DELETE /partnerships/{key}/evidence/{section}


def test_evidence_put_through_the_api_shows_after_a_review(client, people, engine):
    owner = bearer(OLIVIA)
    before = client.get(f"{API}/partnerships/empty", headers=owner).json()
    assert criterion(before, "every-party-wins")["passed"] is False
    response = client.put(f"{API}/partnerships/empty/evidence/wins", headers=owner, json=WINS)
    assert response.status_code == 200
    assert response.json()["counts"]["sections_replaced"] == 1 and "1 evidence section" in response.json()["summary"]
    assert review(client, owner, "empty")["tasks_closed"] == 1  # the wins task closes itself

    after = client.get(f"{API}/partnerships/empty", headers=owner).json()
    assert criterion(after, "every-party-wins")["passed"] is True
    assert criterion(after, "every-party-wins")["explanation"] == "every party stated what it must win"
    assert "every-party-wins" not in {t["criterion"] for t in after["open_tasks"]}
    assert len(after["open_tasks"]) == len(before["open_tasks"]) - 1
    row = client.get(f"{API}/partnerships", headers=owner, params={"text": "empty"}).json()["rows"][0]
    assert "every-party-wins" not in row["blockers"] and len(row["blockers"]) == 8
    assert client.get(f"{API}/partnerships", headers=owner, params={"blocker": "every-party-wins"}).json()["total"] == 0
    # the same evidence again changes nothing and writes nothing
    size = audit_size(engine)
    again = client.put(f"{API}/partnerships/empty/evidence/wins", headers=owner, json=WINS)
    assert again.status_code == 200 and again.json()["counts"]["sections_replaced"] == 0
    assert audit_size(engine) == size
    imported = [e for e in history("empty") if e["kind"] == "partnership.imported"]
    assert len(imported) == 1 and imported[0]["actor"] == OLIVIA and imported[0]["data"]["sections"] == ["wins"]
    asked = [e for e in history("empty") if e["kind"] == "review.requested"]  # the review she started: hers
    assert [e["actor"] for e in asked] == [OLIVIA]


def test_invalid_evidence_is_located_and_writes_nothing(client, people, engine):
    owner = bearer(OLIVIA)
    shown = client.get(f"{API}/partnerships/acme-supply", headers=owner).json()
    size = audit_size(engine)
    bad_wins = [WINS[0], {"party": "globex", "statement": "Not a party of it"}]
    error = refused(client.put(f"{API}/partnerships/acme-supply/evidence/wins", headers=owner, json=bad_wins),
                    422, "invalid", "wins[1].party")
    assert error["line"] == 1 and "globex" in error["message"]
    assert all(e["source"] == "request" and e["line"] == 1 and e["field"] == "wins[1].party" for e in error["errors"])
    error = refused(client.put(f"{API}/partnerships/acme-supply/evidence/communication", headers=owner,
                               json={"formal_cadence_days": 0, "decision_process": "Steering committee"}),
                    422, "invalid", "communication.formal_cadence_days")
    assert error["line"] == 1 and "3650" in error["message"]
    error = refused(client.put(f"{API}/partnerships/acme-supply/evidence/meetings", headers=owner,
                               json=[{"held_on": "2026-11-01", "summary": "ok"}, {"held_on": "2026-02-30"}]),
                    422, "invalid", "meetings[1].held_on")
    assert error["line"] == 1
    refused(client.put(f"{API}/partnerships/acme-supply/evidence/horoscope", headers=owner, json=[]),
            422, "invalid", "section")
    refused(client.put(f"{API}/partnerships/no-such-thing/evidence/wins", headers=owner, json=WINS), 404, "not_found")
    assert audit_size(engine) == size
    review(client, owner, "acme-supply")
    assert client.get(f"{API}/partnerships/acme-supply", headers=owner).json()["next_gate"] == shown["next_gate"]


def test_only_the_partnerships_people_and_the_program_office_change_its_evidence(client, people, engine):
    size = audit_size(engine)
    for email in (MAX, GINA, OTTO):  # Max is of Acme but no member of empty; Gina a gatekeeper, no member
        error = refused(client.put(f"{API}/partnerships/empty/evidence/wins", headers=bearer(email), json=WINS),
                        403, "refused")
        assert email in error["message"]
    refused(client.delete(f"{API}/partnerships/empty/evidence/meetings", headers=bearer(MAX)), 403, "refused")
    assert audit_size(engine) == size
    meetings = [{"held_on": "2026-11-20", "kind": "formal", "summary": "November review"}]
    # Max is a member of acme-supply; Sam sponsors empty; Priya is the program office
    for email, key in ((MAX, "acme-supply"), (SAM, "empty"), (PRIYA, "star")):
        response = client.put(f"{API}/partnerships/{key}/evidence/meetings", headers=bearer(email), json=meetings)
        assert response.status_code == 200, (email, response.text)
        assert [e["actor"] for e in history(key) if e["kind"] == "partnership.imported"][-1] == email


def test_deleting_a_list_section_empties_it_and_the_gate_notices(client, people):
    owner = bearer(OLIVIA)
    response = client.delete(f"{API}/partnerships/acme-supply/evidence/wins", headers=owner)
    assert response.status_code == 200 and response.json()["counts"]["sections_replaced"] == 1
    assert criterion(client.get(f"{API}/partnerships/acme-supply", headers=owner).json(),
                     "every-party-wins")["passed"] is False
    reviewed = review(client, owner, "acme-supply")
    assert reviewed["passed"] == 0 and reviewed["tasks_opened"] == 1
    shown = client.get(f"{API}/partnerships/acme-supply", headers=owner).json()
    assert shown["state"] == "active"  # no longer ready for its gatekeepers
    assert [t["criterion"] for t in shown["open_tasks"]] == ["every-party-wins"]
    newest = client.get(f"{API}/partnerships/acme-supply/reviews", headers=owner, params={"limit": 1}).json()
    assert newest["reviews"][0]["blockers"] == ["every-party-wins"] and newest["next_before"] is not None
    deleted = [e for e in history("acme-supply") if e["kind"] == "partnership.imported"]
    assert deleted[-1]["actor"] == OLIVIA and deleted[-1]["data"]["sections"] == ["wins"]
    # a single section is replaced with PUT, never deleted
    refused(client.delete(f"{API}/partnerships/acme-supply/evidence/business_case", headers=owner),
            422, "invalid", "section")
    # deleting what is already empty writes nothing
    assert client.delete(f"{API}/partnerships/acme-supply/evidence/wins",
                         headers=owner).json()["counts"]["sections_replaced"] == 0


# ---------------------------------------------------------------------------------------------
# POST /partnerships/{key}/decisions


def decide(client, email: str, verdict: str, key: str = "acme-supply", **body):
    return client.post(f"{API}/partnerships/{key}/decisions", headers=bearer(email),
                       json={"verdict": verdict, "reason": f"{verdict} by {email}", **body})


def test_a_go_needs_two_gatekeepers_one_of_each_party(client, people, engine):
    first = decide(client, GINA, "go")
    assert first.status_code == 200
    assert first.json() == {"key": "acme-supply", "verdict": "go", "phase": "alignment", "state": "ready",
                            "effect": "vote recorded: 1 of 2 votes; still needs a gatekeeper of Acme",
                            "condition_task": None}
    second = decide(client, GUS, "go")  # four eyes, but both of Northwind: Acme still has to say go
    assert second.json()["effect"] == "vote recorded: 2 of 3 votes; still needs a gatekeeper of Acme"
    shown = client.get(f"{API}/partnerships/acme-supply", headers=bearer(GINA)).json()
    assert (shown["phase"], shown["state"]) == ("alignment", "ready")
    last = decide(client, GRACE, "go")
    assert last.status_code == 200
    assert (last.json()["effect"], last.json()["phase"], last.json()["state"]) == (
        "advanced to execution", "execution", "active")
    shown = client.get(f"{API}/partnerships/acme-supply", headers=bearer(GINA)).json()
    assert shown["phase"] == "execution" and shown["next_gate"]["id"] == "execution-to-shared-vision"
    in_execution = client.get(f"{API}/partnerships", headers=bearer(GINA), params={"phase": "execution"})
    assert keys(in_execution) == ["acme-supply"]
    assert [(e["actor"], e["data"]["effect"][:13]) for e in history("acme-supply") if e["kind"] == "decision.go"] == [
        (GINA, "vote recorded"), (GUS, "vote recorded"), (GRACE, "advanced to e")]
    advanced = [e for e in history("acme-supply") if e["kind"] == "phase.advanced"]
    assert advanced[-1]["actor"] == GRACE and advanced[-1]["data"]["approved_by"] == [GINA, GUS, GRACE]


def test_a_gatekeeper_of_a_party_outside_the_partnership_cannot_decide(client, people, engine):
    size = audit_size(engine)
    for verdict in ("go", "hold", "kill"):
        error = refused(decide(client, OTTO, verdict), 403, "refused")
        assert "not a gatekeeper of a party in acme-supply" in error["message"]
    refused(decide(client, OLIVIA, "go"), 403, "refused")  # she owns it, and is no gatekeeper
    refused(decide(client, PRIYA, "go"), 403, "refused")  # the program office holds or kills, never votes go
    refused(decide(client, GINA, "go", key="no-such-thing"), 404, "not_found")
    assert audit_size(engine) == size
    shown = client.get(f"{API}/partnerships/acme-supply", headers=bearer(GINA)).json()
    assert (shown["phase"], shown["state"], shown["version"]) == ("alignment", "ready", 2)


def test_the_same_vote_twice_is_refused(client, people, engine):
    assert decide(client, GINA, "go").status_code == 200
    size = audit_size(engine)
    error = refused(decide(client, GINA, "go"), 403, "refused")
    assert "already voted go" in error["message"]
    assert audit_size(engine) == size
    # the refused repeat was not counted: Grace's go is the second vote, and Acme's: enough to advance
    assert decide(client, GRACE, "go").json()["phase"] == "execution"

    assert decide(client, GINA, "hold", key="empty").json()["state"] == "on_hold"
    error = refused(decide(client, GRACE, "hold", key="empty"), 403, "refused")
    assert "already on hold" in error["message"]
    assert [e["actor"] for e in history("empty") if e["kind"] == "decision.hold"] == [GINA]
    refused(client.post(f"{API}/partnerships/empty/decisions", headers=bearer(GINA),
                        json={"verdict": "maybe", "reason": "unsure"}), 422, "invalid", "verdict")
    for blank in ("", "   ", "\n\t"):  # a decision without a reason is invalid, not a refusal of the person
        refused(client.post(f"{API}/partnerships/empty/decisions", headers=bearer(GINA),
                            json={"verdict": "kill", "reason": blank}), 422, "invalid", "reason")
    refused(client.post(f"{API}/partnerships/empty/decisions", headers=bearer(GINA),
                        json={"verdict": "kill", "reason": "Gone", "condition": "  "}), 422, "invalid", "condition")
    assert client.get(f"{API}/partnerships/empty", headers=bearer(GINA)).json()["state"] == "on_hold"


# ---------------------------------------------------------------------------------------------
# /tasks


def test_tasks_are_listed_by_status_for_their_assignee(client, people, frozen_clock):
    owner, sponsor = bearer(OLIVIA), bearer(SAM)
    open_ = my_tasks(client, owner)
    assert len(open_) == 12 and {t["assignee"] for t in open_} == {OLIVIA}
    assert {t["partnership"] for t in open_} == {"empty"} and not any(t["overdue"] for t in open_)
    assert [t["criterion"] for t in my_tasks(client, sponsor)] == ["business-case-approved"]
    assert my_tasks(client, bearer(GINA)) == []
    assert my_tasks(client, owner, status="done") == []

    wins = next(t for t in open_ if t["criterion"] == "every-party-wins")
    done = client.post(f"{API}/tasks/{wins['id']}/complete", headers=owner, json={"note": "Both wins recorded"})
    assert done.status_code == 200
    assert [t["id"] for t in my_tasks(client, owner, status="done")] == [wins["id"]]
    assert wins["id"] not in [t["id"] for t in my_tasks(client, owner)]
    assert len(my_tasks(client, owner, status="all")) == 12
    assert my_tasks(client, owner, status="cancelled") == []
    refused(client.get(f"{API}/tasks", headers=owner, params={"status": "closed"}), 422, "invalid", "status")

    assert my_tasks(client, owner, overdue=True) == []
    frozen_clock.tick(days=30)  # past every task's due date (two weeks)
    overdue = my_tasks(client, owner, overdue=True)
    assert len(overdue) == 11 and all(t["overdue"] for t in overdue)


def test_only_the_assignee_or_the_partnerships_owner_completes_a_task(client, people, engine):
    task = my_tasks(client, bearer(SAM))[0]  # Sam's: approve the business case of empty
    size = audit_size(engine)
    for email in (MAX, GINA, GRACE):
        error = refused(client.post(f"{API}/tasks/{task['id']}/complete", headers=bearer(email),
                                    json={"note": "not mine"}), 403, "refused")
        assert f"may not complete task {task['id']}" in error["message"]
    assert audit_size(engine) == size
    for blank in ("", "  "):
        refused(client.post(f"{API}/tasks/{task['id']}/complete", headers=bearer(SAM), json={"note": blank}),
                422, "invalid", "note")

    done = client.post(f"{API}/tasks/{task['id']}/complete", headers=bearer(SAM), json={"note": "Approved on Monday"})
    assert done.status_code == 200
    assert done.json() | {"status": "done", "closed_at": NOW.isoformat()} == done.json()
    assert done.json()["assignee"] == SAM and done.json()["criterion"] == "business-case-approved"
    error = refused(client.post(f"{API}/tasks/{task['id']}/complete", headers=bearer(SAM), json={"note": "again"}),
                    403, "refused")
    assert "done already" in error["message"]
    refused(client.post(f"{API}/tasks/999999/complete", headers=bearer(SAM), json={"note": "x"}), 404, "not_found")
    refused(client.post(f"{API}/tasks/0/complete", headers=bearer(SAM), json={"note": "x"}), 422, "invalid", "task_id")
    finished = [e for e in history("empty") if e["kind"] == "task.done"]
    assert len(finished) == 1 and finished[0]["actor"] == SAM and finished[0]["data"]["note"] == "Approved on Monday"


def test_a_reassigned_task_moves_to_its_new_assignee(client, people, engine):
    owner = bearer(OLIVIA)
    task = next(t for t in my_tasks(client, owner) if t["criterion"] == "every-party-wins")
    refused(client.post(f"{API}/tasks/{task['id']}/reassign", headers=bearer(GINA), json={"to": MAX}), 403, "refused")
    refused(client.post(f"{API}/tasks/{task['id']}/reassign", headers=owner, json={"to": "nobody@nowhere.example"}),
            404, "not_found")

    moved = client.post(f"{API}/tasks/{task['id']}/reassign", headers=owner, json={"to": MAX})
    assert moved.status_code == 200 and moved.json()["assignee"] == MAX and moved.json()["status"] == "open"
    assert [t["id"] for t in my_tasks(client, bearer(MAX))] == [task["id"]]
    assert task["id"] not in [t["id"] for t in my_tasks(client, owner)]
    reassigned = [e for e in history("empty") if e["kind"] == "task.reassigned"]
    assert len(reassigned) == 1 and reassigned[0]["actor"] == OLIVIA
    assert (reassigned[0]["data"]["from"], reassigned[0]["data"]["to"]) == (OLIVIA, MAX)
    told = client.get(f"{API}/notifications", headers=bearer(PRIYA)).json()
    assert any(n["recipient"] == MAX and n["task"] == task["id"] and n["event"] == "task.opened" for n in told)
    # the new assignee may complete it
    done = client.post(f"{API}/tasks/{task['id']}/complete", headers=bearer(MAX), json={"note": "Acme's win stated"})
    assert done.status_code == 200 and done.json()["status"] == "done"
    refused(client.post(f"{API}/tasks/{task['id']}/reassign", headers=owner, json={"to": OLIVIA}), 403, "refused")


# ---------------------------------------------------------------------------------------------
# POST /imports


NEW_PARTNERSHIP = """\
partnerships:
  - key: acme-logistics
    name: Acme logistics
    kind: outsourcer
    program: supply
    parties: [northwind, acme]
    sponsor: sam@northwind.example
    owner: olivia@northwind.example
"""
BROKEN_PARTNERSHIP = """\
  - key: broken-one
    name: Broken
    kind: friendship
    program: supply
    parties: [northwind, acme]
    sponsor: sam@northwind.example
    owner: ann@northwind.example
"""


def test_an_import_is_all_or_nothing_with_located_errors(client, people, engine):
    office = bearer(PRIYA)
    size = audit_size(engine)
    response = client.post(f"{API}/imports", headers=office, params={"name": "portfolio.yaml"},
                           content=(NEW_PARTNERSHIP + BROKEN_PARTNERSHIP).encode())
    error = refused(response, 422, "invalid", "partnerships[1].kind")
    assert error["line"] == 11
    assert [(e["source"], e["line"], e["field"]) for e in error["errors"]] == [
        ("portfolio.yaml", 11, "partnerships[1].kind"), ("portfolio.yaml", 15, "partnerships[1].owner")]
    assert "ann@northwind.example" in error["errors"][1]["message"]
    csv = ("key,name,kind,program,parties,sponsor,owner\n"
           "acme-freight,Acme freight,supplier,supply,northwind;acme,sam@northwind.example,olivia@northwind.example\n"
           "acme-spares,Acme spares,spare,supply,northwind;acme,sam@northwind.example,olivia@northwind.example\n")
    error = refused(client.post(f"{API}/imports", headers=office, params={"name": "more.csv"}, content=csv.encode()),
                    422, "invalid", "kind")
    assert [(e["source"], e["line"]) for e in error["errors"]] == [("more.csv", 3)]
    refused(client.post(f"{API}/imports", headers=office, params={"name": "broken.yaml"},
                        content=b"partnerships: [\n  {key: x\n"), 422, "invalid", ANY)
    # nothing of the valid parts was written
    assert audit_size(engine) == size
    for key in ("acme-logistics", "acme-freight"):
        refused(client.get(f"{API}/partnerships/{key}", headers=office), 404, "not_found")
    assert client.get(f"{API}/partnerships", headers=office).json()["total"] == 3

    done = client.post(f"{API}/imports", headers=office, params={"name": "portfolio.yaml"},
                       content=NEW_PARTNERSHIP.encode())
    assert done.status_code == 200 and done.json()["counts"]["partnerships_created"] == 1
    created = client.get(f"{API}/partnerships/acme-logistics", headers=office).json()
    assert (created["kind"], created["phase"], created["state"], created["owner"]) == (
        "outsourcer", "alignment", "active", OLIVIA)
    assert [e["actor"] for e in history("acme-logistics")] == [PRIYA]
    assert [e.actor for e in audit(engine, "import.applied")] == [PRIYA]
    again = client.post(f"{API}/imports", headers=office, params={"name": "portfolio.yaml"},
                        content=NEW_PARTNERSHIP.encode())
    assert again.status_code == 200 and sum(again.json()["counts"].values()) == 0  # the same file: nothing new


def test_an_import_is_the_program_managers_and_bounded(client, people, engine):
    size = audit_size(engine)
    for email in (GINA, OLIVIA, MAX):
        error = refused(client.post(f"{API}/imports", headers=bearer(email), content=NEW_PARTNERSHIP.encode()),
                        403, "refused")
        assert "may not import" in error["message"]
    huge = client.post(f"{API}/imports", headers=bearer(PRIYA), params={"name": "huge.yaml"},
                       content=b"#" * (MAX_BODY + 1))
    refused(huge, 413, "too_large")
    refused(client.post(f"{API}/imports", headers=bearer(PRIYA), params={"name": "portfolio.json"},
                        content=b"{}"), 422, "invalid", "name")
    refused(client.post(f"{API}/imports", content=NEW_PARTNERSHIP.encode()), 401, "not_signed_in")
    assert audit_size(engine) == size
