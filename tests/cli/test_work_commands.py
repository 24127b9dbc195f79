"""Commands around tasks, channels and notifications."""

import json

from partnerflow.engine.notifications import channels
from partnerflow.engine.notifications import links
from partnerflow.models import Channel, Notification, session_scope
from tests import factories
from tests.cli.commands import run
from tests.engine.harness import one_task


def test_tasks_lists_open_tasks_by_owner_as_json(reviewed):
    code, out, _ = run("tasks", "--owner", "olivia@northwind.example", "--json")
    found = json.loads(out)
    assert code == 0 and found and {t["assignee"] for t in found} == {"olivia@northwind.example"}
    assert {"id", "partnership", "criterion", "title", "explanation", "due_on", "overdue"} <= set(found[0])
    code, out, _ = run("tasks", "--overdue", "--as-of", "2026-12-31", "--json")
    assert code == 0 and all(t["overdue"] for t in json.loads(out)) and json.loads(out)


def test_task_done_by_hand_and_refused_for_a_stranger(reviewed):
    task = one_task(reviewed, criterion="every-party-wins")
    code, _, err = run("task", "done", task.id, "--by", "max@acme.example", "--note", "x")
    assert code == 1 and "may not complete task" in err
    code, out, _ = run("task", "done", task.id, "--by", "olivia@northwind.example", "--note", "Wins agreed")
    assert code == 0 and f"Task {task.id} done by olivia@northwind.example" in out


def test_task_done_with_a_token_works_once(reviewed):
    from partnerflow.engine import get_settings

    task = one_task(reviewed, criterion="every-party-wins")
    token = links.sign_link(get_settings().secret_key, task.id, task.assignee_id, now=factories.clock.now())
    code, out, _ = run("task", "done", "--token", token, "--note", "Done from the email")
    assert code == 0 and "done by olivia@northwind.example" in out
    code, _, err = run("task", "done", "--token", token, "--note", "again")
    assert code == 1 and "error: the link was already used" in err
    code, _, err = run("task", "done", "--token", token[:-3] + "abc", "--note", "forged")
    assert code == 1 and "not valid" in err


def test_task_reassign(reviewed):
    task = one_task(reviewed, criterion="every-party-wins")
    code, out, _ = run("task", "reassign", task.id, "--to", "gus@northwind.example", "--by", "olivia@northwind.example")
    assert code == 0 and "now assigned to gus@northwind.example" in out


def test_channel_add_validates_the_target_and_hides_secrets(reviewed):
    code, _, err = run("channel", "add", "olivia@northwind.example", "webhook", "--address", "http://169.254.169.254/x")
    assert code == 1 and "webhook target refused" in err and "link-local" in err
    code, _, err = run("channel", "add", "olivia@northwind.example", "webhook", "--address", "ftp://example.com/x")
    assert code == 1 and "webhook target refused" in err
    code, out, _ = run("channel", "add", "olivia@northwind.example", "webhook", "--address",
                       "https://93.184.216.34/partnerflow/hook")
    assert code == 0 and "Signing secret (shown once" in out and "whsec_" in out
    shown_secret = next(word for word in out.split() if word.startswith("whsec_"))
    code, out, _ = run("channel", "list", "--json")
    listed = json.loads(out)
    assert listed == [{"id": 1, "person": "olivia@northwind.example", "kind": "webhook",
                       "address": "https://93.184.216.34/…", "digest": False}]
    with session_scope(reviewed) as session:
        stored = session.query(Channel).one()
        assert stored.secret.startswith("enc:v1:") and stored.address.startswith("enc:v1:")  # sealed at rest
        assert shown_secret not in stored.secret and "93.184.216.34" not in stored.address
        assert channels.secret_of(stored) == shown_secret


def test_notifications_list_and_retry(reviewed):
    code, out, _ = run("notifications", "--status", "pending", "--json")
    pending = json.loads(out)
    assert code == 0 and pending and {n["status"] for n in pending} == {"pending"}
    with session_scope(reviewed) as session:
        session.query(Notification).filter(Notification.id == pending[0]["id"]).update(
            {"status": "dead", "last_error": "HTTP 500"})
    code, out, _ = run("notifications", "--status", "dead")
    assert code == 0 and "HTTP 500" in out
    code, out, _ = run("notifications", "retry", "--dead")
    assert code == 0 and "1 notification(s) will be delivered again" in out
    code, _, err = run("notifications", "retry")
    assert code == 2 and "name notification ids, or --dead" in err


def test_member_delegate_and_remove(reviewed):
    code, out, _ = run("member", "delegate", "olivia@northwind.example", "--to", "gus@northwind.example",
                       "--from", "2026-12-01", "--until", "2026-12-10")
    assert code == 0 and "gus@northwind.example stands in for olivia@northwind.example" in out
    code, _, err = run("member", "delegate", "olivia@northwind.example", "--to", "gus@northwind.example",
                       "--from", "2026-12-10", "--until", "2026-12-01")
    assert code == 1 and "ends (2026-12-01) before it starts (2026-12-10)" in err
    code, _, err = run("member", "remove", "acme-supply", "max@acme.example", "--by", "max@acme.example")
    assert code == 1 and "may not change the members" in err
    code, out, _ = run("member", "remove", "acme-supply", "max@acme.example", "--by", "olivia@northwind.example")
    assert code == 0 and "max@acme.example left acme-supply" in out


def test_removing_a_channel_keeps_its_history_and_retires_what_waited_for_it(reviewed):
    code, out, _ = run("channel", "add", "olivia@northwind.example", "webhook", "--address",
                       "https://93.184.216.34/hook")
    assert code == 0
    with session_scope(reviewed) as session:
        channel = session.query(Channel).one()
        session.add(Notification(id="msg_waiting", dedup_key="test:waiting", event="task.opened",
                                 person_id=channel.person_id, channel_id=channel.id, channel="webhook",
                                 context={}, next_attempt_at=factories.clock.now(), created_at=factories.clock.now()))
    code, out, _ = run("channel", "remove", channel.id)
    assert code == 0 and f"Channel #{channel.id} removed" in out
    with session_scope(reviewed) as session:
        waiting = session.get(Notification, "msg_waiting")
        assert (waiting.status, waiting.last_error, waiting.channel_id) == ("dead", "the channel was removed", None)
        assert session.query(Channel).count() == 0
