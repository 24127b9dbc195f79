"""The whole path with real servers: a review opens tasks, the dispatch delivers them by email
(a real SMTP server) and signed webhook (a real HTTP receiver), and the links in them work."""

import json
import re

import pytest

from partnerflow.engine import dispatch_all, get_settings
from partnerflow.engine.work import assignments
from partnerflow.engine.policies import read_policy
from partnerflow.engine.phases.review import review_all
from partnerflow.engine.settings import DEFAULT_POLICY
from partnerflow.models import Channel, Notification, Task, session_scope
from partnerflow.notify.channels import verify
from tests import factories
from tests.factories import AS_OF, NOW
from tests.notify.conftest import SECRET, receiver, smtp_server  # noqa: F401  (fixtures)

POLICY = read_policy(DEFAULT_POLICY)


@pytest.fixture
def settings(database_url, monkeypatch, smtp_server):  # noqa: F811
    mailbox, port = smtp_server
    for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_SECURITY": "none",
                        "WEBHOOK_ALLOW_HOSTS": "127.0.0.1", "SECRET_KEY": "end-to-end-secret",
                        "BASE_URL": "https://partnerflow.example"}.items():
        monkeypatch.setenv(f"PARTNERFLOW_{name}", value)
    get_settings.cache_clear()
    return get_settings()


def test_tasks_reach_owners_by_email_and_signed_webhook_and_their_links_work(engine, settings, smtp_server,  # noqa: F811
                                                                             receiver):  # noqa: F811
    mailbox, _ = smtp_server
    with session_scope(engine) as session:
        w = factories.world(session)
        factories.partnership(session, w, "acme-supply")
        session.add_all([Channel(person_id=w.owner.id, kind="email", address="olivia@northwind.example"),
                         Channel(person_id=w.sponsor.id, kind="webhook", address=receiver.url("/signed"),
                                 secret=SECRET)])
    review_all(engine, POLICY, AS_OF, batch_size=100)
    report = dispatch_all(engine, settings, now=NOW)
    assert report.dead == 0 and report.retrying == 0 and report.sent == report.claimed

    with session_scope(engine) as session:
        owners = session.query(Task).filter_by(assignee_id=w.owner.id, status="open").count()
        sponsors = session.query(Task).filter_by(assignee_id=w.sponsor.id, status="open").count()
        email_ids = {n.id for n in session.query(Notification).filter_by(channel="email")}
    assert len(mailbox.mails) == owners and mailbox.greetings == 1  # one SMTP connection for the batch
    mail = next(m for m in mailbox.mails if "state what it must win" in m.email["Subject"])
    assert mail.recipients == ["olivia@northwind.example"]
    assert mail.email["X-Partnerflow-Notification"] in email_ids
    text = mail.email.get_body(("plain",)).get_content()
    assert "What is missing:" in text and "Why it matters (Clearly Defined Business Objective)" in text
    assert "By: 2026-12-11" in text
    html = mail.email.get_body(("html",)).get_content()
    assert "<strong>What to do:</strong>" in html

    signed = [r for r in receiver.requests if r.path == "/signed"]
    assert len(signed) == sponsors
    body = json.loads(signed[0].body)
    assert body["type"] == "task.opened" and body["id"] == signed[0].headers["webhook-id"]
    verify(SECRET, signed[0].headers, signed[0].body, now=int(signed[0].headers["webhook-timestamp"]))
    assert body["data"]["partnership"]["key"] == "acme-supply"

    token = re.search(r"token=([\w.-]+)", text).group(1)
    task_id = int(re.search(r"/tasks/(\d+)\?", text).group(1))
    with session_scope(engine) as session:
        done = assignments.complete_by_link(session, token, secret=settings.secret_key, note="Wins agreed",
                                            now=NOW)
    assert done.id == task_id and done.closed_by == "olivia@northwind.example"
    assert dispatch_all(engine, settings, now=NOW).claimed == 0  # nothing is sent twice


def test_an_html_message_escapes_what_people_typed(engine, settings, smtp_server):  # noqa: F811
    mailbox, _ = smtp_server
    with session_scope(engine) as session:
        w = factories.world(session)
        p = factories.partnership(session, w, "acme-supply")
        p.name = '<script>alert("x")</script> & Co'
        session.add(Channel(person_id=w.owner.id, kind="email", address="olivia@northwind.example"))
    review_all(engine, POLICY, AS_OF, batch_size=100)
    dispatch_all(engine, settings, now=NOW)
    html = mailbox.mails[0].email.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; Co" in html


@pytest.mark.parametrize(("broken", "dead"), [("task.opened.teams.json.j2", {"teams"}),
                                               ("task.opened.html.j2", {"email"})])
def test_a_broken_template_override_kills_only_its_channel(engine, settings, smtp_server, receiver,  # noqa: F811
                                                           tmp_path, monkeypatch, broken, dead):
    mailbox, _ = smtp_server
    (tmp_path / "notifications").mkdir()
    (tmp_path / "notifications" / broken).write_text("{{ task.no_such_field }}")
    monkeypatch.setenv("PARTNERFLOW_TEMPLATES_PATH", str(tmp_path))
    get_settings.cache_clear()
    with session_scope(engine) as session:
        w = factories.world(session)
        factories.partnership(session, w, "acme-supply")
        session.add_all([Channel(person_id=w.owner.id, kind="email", address="olivia@northwind.example"),
                         Channel(person_id=w.owner.id, kind="teams", address=receiver.url("/teams")),
                         Channel(person_id=w.owner.id, kind="slack", address=receiver.url("/slack")),
                         Channel(person_id=w.sponsor.id, kind="webhook", address=receiver.url("/signed"),
                                 secret=SECRET)])
    review_all(engine, POLICY, AS_OF, batch_size=100)
    dispatch_all(engine, get_settings(), now=NOW)

    with session_scope(engine) as session:
        opened = session.query(Notification).filter_by(event="task.opened").all()
        status = {(n.channel, n.status) for n in opened}
        errors = {n.last_error for n in opened if n.status == "dead"}
    live = {"email", "teams", "slack", "webhook"} - dead
    assert status == {(channel, "dead") for channel in dead} | {(channel, "sent") for channel in live}
    assert errors == {"template error: UndefinedError: 'dict object' has no attribute 'no_such_field'"}
    sent = {"email": len(mailbox.mails), **{path: len([r for r in receiver.requests if r.path == f"/{path}"])
                                              for path in ("teams", "slack")}}
    assert {channel for channel, count in sent.items() if count} == live - {"webhook"}
    assert any(r.path == "/signed" for r in receiver.requests)
