"""deliver_all: order, the concurrency limit, every channel in one batch, the public face."""

from __future__ import annotations

from partnerflow.notify import channels as notify_channels
from partnerflow.notify.channels.email import SmtpSettings
from partnerflow.notify.message import Target
from tests.notify.builders import deliver, message, webhook


def test_the_public_face_is_pinned():
    assert set(notify_channels.__all__) == {"CheckedClient", "InvalidSignature", "SmtpSettings", "check_smtp",
                                             "deliver_all", "sign", "verify"}


def test_the_receiver_never_sees_more_than_concurrency_requests_in_flight(receiver):
    receiver.gate_limit, receiver.gate_total = 5, 23
    deliveries = deliver([(message(n), webhook(receiver.url("/gate"))) for n in range(23)], concurrency=5)

    assert all(d.ok for d in deliveries)
    assert receiver.max_in_flight == 5
    assert len(receiver.requests) == 23


def test_results_keep_the_order_of_items_across_channels(receiver, smtp_server, closed_port):
    mailbox, port = smtp_server
    smtp = SmtpSettings(host="127.0.0.1", port=port, security="none", sender="noreply@example.org", timeout=2.0)
    items = [
        (message(1), webhook(receiver.url("/status/500"))),
        (message(2), Target("email", "one@example.com")),
        (message(3), Target("inbox", "user:7")),
        (message(4), Target("slack", receiver.url("/ok"))),
        (message(5), Target("email", "refused@example.com")),
        (message(6), Target("teams", f"http://127.0.0.1:{closed_port}/x")),
        (message(7), webhook(receiver.url("/signed"))),
        (message(8), Target("teams", "http://192.168.1.5/x")),
        (message(9), Target("email", "two@example.com")),
    ]
    deliveries = deliver(items, smtp=smtp)

    assert [(d.ok, d.status_code, d.retryable) for d in deliveries] == [
        (False, 500, True), (True, 250, False), (True, None, False), (True, 200, False), (False, 550, False),
        (False, None, True), (True, 204, False), (False, None, False), (True, 250, False)]
    assert [mail.recipients for mail in mailbox.mails] == [["one@example.com"], ["two@example.com"]]
    assert mailbox.greetings == 1


def test_an_empty_batch_delivers_nothing():
    assert deliver([]) == []
