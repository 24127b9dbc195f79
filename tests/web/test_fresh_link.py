"""A used, expired or changed task link opens a page (410/403) that offers a fresh link: it goes to
the task's current assignee only, once per few minutes, and the answer tells nothing."""

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from partnerflow import engine as face
from partnerflow.engine.notifications.links import consume_link, sign_link, verify_link
from partnerflow.engine.notifications.resend import RESEND_PAUSE
from partnerflow.models import AuditEvent, Channel, Notification, Person, Task, session_scope
from tests.engine.harness import GUS, OLIVIA
from tests.notify.conftest import smtp_server  # noqa: F401  (fixture)
from tests.web.test_security import csrf_of, open_task

BUTTON = "Send me a fresh link"
ANSWER = "If the task is still open, its owner will receive a fresh link"


def link_for(task: Task, person_id: int | None = None, **kw) -> str:
    return sign_link(face.get_settings().secret_key, task.id, person_id or task.assignee_id, now=face.now(), **kw)


def used_link(task: Task) -> str:
    """A link already used while the task stayed open (as when its task was reopened since)."""
    token = link_for(task)
    with face.transaction() as session:
        consume_link(session, verify_link(face.get_settings().secret_key, token, now=face.now()), now=face.now())
    return token


def fresh_links(engine, task_id: int) -> list[Notification]:
    with session_scope(engine) as session:
        found = session.exec(select(Notification).where(Notification.event == "task.link",
                                                        Notification.task_id == task_id)).all()
        for row in found:
            session.expunge(row)
        return found


def refused_page(client, task: Task, token: str, status: int):
    page = client.get(f"/tasks/{task.id}?token={token}")
    assert page.status_code == status
    assert BUTTON in page.text and f'action="/tasks/{task.id}/fresh-link"' in page.text
    return page


def press(client, task_id: int, page) -> str:
    answer = client.post(f"/tasks/{task_id}/fresh-link", data={"csrf_token": csrf_of(page.text)})
    assert answer.status_code == 200 and ANSWER in answer.text
    return answer.text


def test_a_used_link_offers_a_fresh_one_that_goes_to_the_assignee_once_per_pause(client, reviewed, engine,
                                                                                   frozen_clock):
    task = open_task(engine)
    page = refused_page(client, task, used_link(task), 410)
    assert "already used" in page.text

    first = press(client, task.id, page)
    second = press(client, task.id, page)  # within the pause: nothing more
    [sent] = fresh_links(engine, task.id)
    assert (sent.person_id, sent.status, sent.channel) == (task.assignee_id, "pending", "inbox")
    assert first == second
    with session_scope(engine) as session:
        [event] = session.exec(select(AuditEvent).where(AuditEvent.kind == "task.link_resent")).all()
        assignee = session.get(Person, task.assignee_id).email
        assert (event.data, event.actor) == ({"task": task.id, "to": assignee}, "anonymous")

    frozen_clock.tick(seconds=RESEND_PAUSE.total_seconds() + 1)
    press(client, task.id, page)
    assert len(fresh_links(engine, task.id)) == 2


def test_an_expired_link_and_a_used_link_posted_to_a_form_offer_it_too(client, reviewed, engine, frozen_clock):
    task = open_task(engine)
    token = link_for(task, lifetime=timedelta(days=1))
    opened = client.get(f"/tasks/{task.id}?token={token}")
    frozen_clock.tick(days=2)
    refused_page(client, task, token, 410)
    done = client.post(f"/tasks/{task.id}/done", data={"note": "late", "token": token,
                                                       "csrf_token": csrf_of(opened.text)})
    assert done.status_code == 410 and BUTTON in done.text and "expired" in done.text


def test_without_the_csrf_token_or_its_cookie_nothing_is_queued(client, reviewed, engine):
    task = open_task(engine)
    page = refused_page(client, task, used_link(task), 410)
    assert client.post(f"/tasks/{task.id}/fresh-link", data={}).status_code == 403
    assert client.post(f"/tasks/{task.id}/fresh-link", data={"csrf_token": "forged"}).status_code == 403
    client.cookies.clear()  # another site's form: the token copied, the visitor's pf_pre cookie not sent
    assert client.post(f"/tasks/{task.id}/fresh-link", data={"csrf_token": csrf_of(page.text)}).status_code == 403
    assert fresh_links(engine, task.id) == []


def test_a_changed_link_offers_it_but_a_closed_task_gets_nothing_and_the_answer_is_the_same(client, reviewed, engine):
    task = open_task(engine)
    token = link_for(task)
    page = client.get(f"/tasks/{task.id}?token={token}")
    assert client.post(f"/tasks/{task.id}/done", data={"note": "done", "token": token,
                                                       "csrf_token": csrf_of(page.text)}).status_code == 200
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    refused = refused_page(client, task, tampered, 403)
    assert "not valid" in refused.text

    closed = press(client, task.id, refused)
    assert fresh_links(engine, task.id) == []

    other = open_task(engine)
    sent = press(client, other.id, refused_page(client, other, used_link(other), 410))
    throttled = press(client, other.id, refused)
    unknown = press(client, 2**31 - 1, refused)  # no such task: the same answer
    assert len(fresh_links(engine, other.id)) == 1
    assert closed == sent == throttled == unknown


def test_the_fresh_link_goes_to_whom_the_task_moved_to_not_to_who_asked(client, reviewed, engine):
    task = open_task(engine)
    token = used_link(task)
    with face.transaction() as session:
        before = session.get(Person, task.assignee_id)
        other = session.exec(select(Person).where(Person.email == (GUS if before.email == OLIVIA else OLIVIA))).one()
        face.reassign_task(session, task.id, to=other.email, by=before.email, now=face.now())
    press(client, task.id, refused_page(client, task, token, 410))
    assert [n.person_id for n in fresh_links(engine, task.id)] == [other.id]


def test_a_digest_reader_gets_the_link_at_once_and_it_opens_the_task(client, reviewed, engine, monkeypatch,
                                                                   smtp_server):  # noqa: F811
    """The fresh link is no reminder: a digest carries no links, so it goes out on the digest channel too."""
    mailbox, port = smtp_server
    for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_SECURITY": "none"}.items():
        monkeypatch.setenv(f"PARTNERFLOW_{name}", value)
    face.get_settings.cache_clear()
    task = open_task(engine)
    with session_scope(engine) as session:
        face.compose_held(session, now=face.now())  # the review's notices went out before the digest was chosen
        email = session.get(Person, task.assignee_id).email
        session.add(Channel(person_id=task.assignee_id, kind="email", address=email, digest=True))
    press(client, task.id, refused_page(client, task, used_link(task), 410))
    face.dispatch_all(face.ready_engine(), face.get_settings(), now=face.now())

    [mail] = [m for m in mailbox.mails if m.recipients == [email]]
    text = mail.email.get_body(("plain",)).get_content()
    assert "A fresh link to your task" in text
    link = re.search(r"https?://\S+(/tasks/\d+\?token=\S+)", text).group(1)
    assert link.startswith(f"/tasks/{task.id}?")
    assert client.get(link).status_code == 200


@pytest.mark.parametrize("task_id", ["0", "x", str(2**31)])
def test_a_task_id_out_of_range_is_refused_before_anything(client, task_id):
    assert client.post(f"/tasks/{task_id}/fresh-link", data={"csrf_token": "x"}).status_code == 422
