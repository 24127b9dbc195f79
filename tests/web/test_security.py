"""Refusals a hostile visitor would try: each is refused and writes nothing."""

import re
from datetime import timedelta

from sqlmodel import func, select

from partnerflow import engine as face
from partnerflow.engine.notifications.links import sign_link
from partnerflow.models import AuditEvent, Decision, Partnership, Task, session_scope
from tests.engine.harness import GINA, GRACE, MAX
from tests.web.conftest import signed_in_as


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def audit_count(engine) -> int:
    with session_scope(engine) as session:
        return session.exec(select(func.count()).select_from(AuditEvent)).one()


def open_task(engine) -> Task:
    with session_scope(engine) as session:
        task = session.exec(select(Task).where(Task.status == "open", Task.assignee_id.is_not(None))).first()
        session.expunge(task)
        return task


def test_every_page_carries_the_security_headers(client, reviewed):
    response = client.get("/sign-in")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_a_vote_without_the_csrf_token_is_refused_and_writes_nothing(client, reviewed, engine):
    signed_in_as(client, GINA)
    before = audit_count(engine)
    response = client.post("/gates/acme-supply/decide", data={"verdict": "go", "reason": "forged"})
    assert response.status_code == 403
    assert audit_count(engine) == before


def test_a_gatekeeper_of_a_party_outside_the_partnership_cannot_vote(client, engine):
    from tests.engine.harness import build
    from tests import factories

    with session_scope(engine) as session:
        w = factories.world(session)
        outsider_party = factories.Party(key="globex", name="Globex")
        session.add(outsider_party)
        session.flush()
        session.add(factories.Person(email="otto@globex.example", name="Otto", party_id=outsider_party.id,
                                     roles=["gatekeeper"]))
        factories.alignment_evidence(session, w, factories.partnership(session, w, "acme-supply"))
    from tests.engine.harness import review
    review(engine)
    page = signed_in_as(client, "otto@globex.example").get("/gates")
    assert "acme-supply" not in page.text  # not in their queue
    response = client.post("/gates/acme-supply/decide",
                           data={"verdict": "go", "reason": "mine", "csrf_token": csrf_of(page.text)})
    assert response.status_code == 403
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(Decision)).one() == 0


def test_a_task_link_acts_only_for_its_person_and_only_once(client, reviewed, engine):
    task = open_task(engine)
    secret = face.get_settings().secret_key
    token = sign_link(secret, task.id, task.assignee_id, now=face.now())
    page = client.get(f"/tasks/{task.id}?token={token}")
    assert page.status_code == 200
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/tasks/{task.id}?token={tampered}").status_code == 403
    done = client.post(f"/tasks/{task.id}/done", data={"note": "done", "token": token, "csrf_token": csrf_of(page.text)},
                       follow_redirects=False)
    assert done.status_code == 200 and "Mark done" not in done.text and "done — by" in done.text
    assert client.get(f"/tasks/{task.id}?token={token}").status_code == 410  # the used link opens nothing
    again = client.post(f"/tasks/{task.id}/done", data={"note": "twice", "token": token,
                                                        "csrf_token": csrf_of(page.text)})
    assert again.status_code == 410 and "fresh sign-in link" in again.text


def test_an_expired_task_link_gets_a_clear_page(client, reviewed, engine, frozen_clock):
    task = open_task(engine)
    token = sign_link(face.get_settings().secret_key, task.id, task.assignee_id, now=face.now(),
                      lifetime=timedelta(days=1))
    frozen_clock.tick(days=2)
    response = client.get(f"/tasks/{task.id}?token={token}")
    assert response.status_code == 410 and "expired" in response.text


def test_someone_elses_task_cannot_be_completed_by_a_signed_in_person(client, reviewed, engine):
    task = open_task(engine)
    page = signed_in_as(client, MAX).get("/me/tasks")
    response = client.post(f"/tasks/{task.id}/done", data={"note": "not mine", "csrf_token": csrf_of(page.text)})
    assert response.status_code == 403
    with session_scope(engine) as session:
        assert session.get(Task, task.id).status == "open"


def test_what_people_typed_comes_back_escaped_in_pages_and_api(client, engine):
    from tests import factories

    hostile = "<script>alert(1)</script>"
    with session_scope(engine) as session:
        w = factories.world(session)
        p = factories.partnership(session, w, "acme-supply")
        p.name = f"Acme {hostile}"
    from tests.engine.harness import review
    review(engine)
    page = signed_in_as(client, GINA).get("/partnerships/acme-supply")
    assert hostile not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<dt>Last review</dt><dd>looked on 2026-11-27, confirmed as of 2026-11-27" in page.text
    assert hostile not in client.get("/").text
    with face.transaction() as session:
        _, token = face.create_token(session, GINA, now=face.now())
    data = client.get("/api/v1/partnerships/acme-supply", headers={"authorization": f"Bearer {token}"}).json()
    assert data["name"] == f"Acme {hostile}"  # JSON carries it as typed; its content type is not HTML


def test_a_sign_in_link_works_once(client, reviewed):
    with face.transaction() as session:
        link = face.sign_in_link_for(session, GRACE, secret=face.get_settings().secret_key,
                                     base_url="http://127.0.0.1:8000", now=face.now())
    page = client.get(link)
    first = client.post("/sign-in/confirm", data={"token": link.split("token=")[1], "csrf_token": csrf_of(page.text)},
                        follow_redirects=False)
    assert first.status_code == 303
    client.cookies.clear()
    page = client.get(link)
    second = client.post("/sign-in/confirm", data={"token": link.split("token=")[1], "csrf_token": csrf_of(page.text)})
    assert second.status_code == 410


def test_the_api_refuses_a_revoked_token_and_a_body_too_large(client, reviewed):
    with face.transaction() as session:
        token_id, token = face.create_token(session, GINA, now=face.now())
    headers = {"authorization": f"Bearer {token}"}
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200
    huge = client.post("/api/v1/imports?name=x.yaml", headers=headers, content=b"x" * (3 * 1024 * 1024))
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "too_large"
    with face.transaction() as session:
        face.revoke_token(session, token_id, by=GINA, now=face.now())
    refused = client.get("/api/v1/tasks", headers=headers)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "not_signed_in"


def test_an_evidence_error_names_the_field_and_writes_nothing(client, reviewed, engine):
    with face.transaction() as session:
        _, token = face.create_token(session, "olivia@northwind.example", now=face.now())
    before = audit_count(engine)
    response = client.put("/api/v1/partnerships/acme-supply/evidence/meetings",
                          headers={"authorization": f"Bearer {token}"}, json=[{"held_on": "not a date"}])
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "meetings[0].held_on" and error["code"] == "invalid"
    assert audit_count(engine) == before


def test_a_nul_character_is_refused_before_it_reaches_the_database(client, reviewed, engine):
    with face.transaction() as session:
        _, token = face.create_token(session, GINA, now=face.now())
    headers = {"authorization": f"Bearer {token}"}
    before = audit_count(engine)
    in_json = client.post("/api/v1/notifications/retry", headers=headers, json={"ids": ["\x00"]})
    in_query = client.get("/api/v1/partnerships?text=a%00b", headers=headers)
    page = signed_in_as(client, GINA).get("/gates")
    in_form = client.post("/gates/acme-supply/decide", data={"verdict": "hold", "reason": "a\x00b",
                                                            "csrf_token": csrf_of(page.text)})
    assert [r.status_code for r in (in_json, in_query, in_form)] == [400, 400, 400]
    assert in_json.json()["error"]["code"] == "bad_request"
    assert audit_count(engine) == before


def test_signing_out_ends_the_session_for_every_copy_of_its_cookie(client, reviewed):
    """A cookie copied before signing out (another tab, a stolen copy) no longer signs anyone in."""
    signed_in_as(client, GRACE)
    cookie = client.cookies.get("pf_session")
    portfolio = client.get("/")
    assert portfolio.status_code == 200
    bye = client.post("/sign-out", data={"csrf_token": csrf_of(portfolio.text)}, follow_redirects=False)
    assert bye.status_code == 303 and bye.headers["location"] == "/sign-in"
    client.cookies.set("pf_session", cookie)
    again = client.get("/", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/sign-in")
    with session_scope(face.get_engine()) as session:
        assert session.exec(select(AuditEvent.actor).where(AuditEvent.kind == "sign_out")).all() == [GRACE]
