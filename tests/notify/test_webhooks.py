"""Signed webhooks, Slack and Teams against a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import json
import logging

import pytest

from partnerflow.notify.channels import InvalidSignature, sign, verify
from partnerflow.notify.message import Target
from tests.notify.builders import NOW, SECRET, deliver, message, webhook

# The Standard Webhooks reference vector: any receiver library must accept what we send.
VECTOR = ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
          b'{"test": 2432232314}')
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_sign_reproduces_the_standard_webhooks_vector():
    assert sign(*VECTOR) == VECTOR_SIGNATURE


def test_a_webhook_arrives_signed_with_its_body_and_headers(receiver):
    [delivery] = deliver([(message(7), webhook(receiver.url("/signed")))], timestamp=lambda: NOW)

    assert delivery.ok and delivery.status_code == 204 and delivery.error is None
    [received] = receiver.requests
    assert json.loads(received.body) == {"type": "task.opened", "id": "msg_0007",
                                         "timestamp": "2026-11-27T09:00:00Z",
                                         "data": {"task": 7, "partnership": "Acme & Globex"}}
    assert received.headers["content-type"] == "application/json"
    assert received.headers["webhook-id"] == "msg_0007"
    assert received.headers["webhook-timestamp"] == str(NOW)
    assert verify(SECRET, received.headers, received.body, now=NOW)["id"] == "msg_0007"


def test_a_retry_keeps_the_id_and_signs_a_fresh_timestamp(receiver):
    target = webhook(receiver.url("/signed"))
    deliver([(message(), target)], timestamp=lambda: NOW)
    deliver([(message(), target)], timestamp=lambda: NOW + 60)  # the retry, a minute later
    first, retry = (r.headers for r in receiver.requests)

    assert first["webhook-id"] == retry["webhook-id"] == "msg_0001"
    assert int(retry["webhook-timestamp"]) == NOW + 60
    assert verify(SECRET, retry, receiver.requests[1].body, now=NOW + 60)["id"] == "msg_0001"


def test_verify_refuses_a_tampered_body_a_wrong_secret_and_an_old_timestamp(receiver):
    deliver([(message(), webhook(receiver.url("/signed")))], timestamp=lambda: NOW)
    [received] = receiver.requests
    tampered = received.body.replace(b'"task":1', b'"task":2')
    other_secret = "whsec_" + "QUJD" * 8

    with pytest.raises(InvalidSignature, match="no signature matches"):
        verify(SECRET, received.headers, tampered, now=NOW)
    with pytest.raises(InvalidSignature, match="no signature matches"):
        verify(other_secret, received.headers, received.body, now=NOW)
    with pytest.raises(InvalidSignature, match="tolerance"):
        verify(SECRET, received.headers, received.body, now=NOW + 301)
    with pytest.raises(InvalidSignature, match="missing webhook-signature"):
        verify(SECRET, {**received.headers, "webhook-signature": ""}, received.body, now=NOW)


def test_verify_accepts_any_of_several_signatures_as_during_a_secret_rotation():
    secret, msg_id, timestamp, body = VECTOR
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
               "webhook-signature": f"v1,bm9wZQ== {VECTOR_SIGNATURE}"}
    assert verify(secret, headers, body, now=timestamp) == {"test": 2432232314}


def test_the_receiver_refuses_a_wrong_signature_as_a_permanent_failure(receiver):
    wrong = webhook(receiver.url("/signed"), secret="whsec_" + "QUJD" * 8)
    [delivery] = deliver([(message(), wrong)])
    assert (delivery.ok, delivery.status_code, delivery.retryable) == (False, 401, False)


@pytest.mark.parametrize(("status", "retryable"), [
    (500, True), (503, True), (429, True), (408, True), (404, False), (400, False), (410, False),
])
def test_failing_statuses_say_whether_to_retry(receiver, status, retryable):
    [delivery] = deliver([(message(), webhook(receiver.url(f"/status/{status}")))])
    assert delivery == (False, status, f"HTTP {status}: no_service", retryable, delivery.duration_ms)
    assert delivery.duration_ms > 0


def test_only_the_start_of_a_long_answer_is_read_and_reported(receiver):
    [delivery] = deliver([(message(), webhook(receiver.url("/big")))])
    assert (delivery.ok, delivery.status_code, delivery.retryable) == (False, 500, True)
    assert delivery.error.startswith("HTTP 500: overloaded overloaded") and len(delivery.error) <= 90


def test_a_redirect_is_not_followed(receiver):
    [delivery] = deliver([(message(), webhook(receiver.url("/redirect")))])
    assert (delivery.ok, delivery.status_code, delivery.retryable) == (False, 302, False)
    assert [r.path for r in receiver.requests] == ["/redirect"]


def test_a_receiver_that_hangs_past_the_client_timeout_is_retryable(receiver):
    [delivery] = deliver([(message(), webhook(receiver.url("/hang")))], timeout=0.3)
    assert (delivery.ok, delivery.error, delivery.retryable) == (False, "timed out after 0.3 s", True)
    assert 300 <= delivery.duration_ms < 3000


def test_a_refused_connection_is_retryable(closed_port):
    [delivery] = deliver([(message(), webhook(f"http://127.0.0.1:{closed_port}/hook"))])
    assert (delivery.ok, delivery.status_code, delivery.error, delivery.retryable) == (
        False, None, "connection refused", True)


def test_slack_and_teams_payloads_arrive_intact_and_unsigned(receiver):
    sent = message(3)
    deliveries = deliver([(sent, Target("slack", receiver.url("/ok"))), (sent, Target("teams", receiver.url("/ok")))])

    assert [d.ok for d in deliveries] == [True, True]
    by_body = {json.dumps(json.loads(r.body), sort_keys=True): r for r in receiver.requests}  # concurrent: any order
    slack = by_body[json.dumps(sent.slack, sort_keys=True)]
    teams = by_body[json.dumps(sent.teams, sort_keys=True)]
    assert teams.headers["content-type"] == "application/json"
    assert "webhook-signature" not in slack.headers


def test_logs_name_the_origin_only_never_the_secret_url(receiver, caplog):
    secret_path = "/status/404?services=T0001/B0001/XXXXsecretTOKEN"
    caplog.set_level(logging.DEBUG, logger="partnerflow.notify")
    deliveries = deliver([(message(), Target("slack", receiver.url(secret_path)))])

    assert deliveries[0].error == "HTTP 404: no_service"
    assert "XXXXsecretTOKEN" not in caplog.text
    assert receiver.url("") in caplog.text


@pytest.mark.parametrize(("target", "reason"), [
    (Target("webhook", "http://127.0.0.1:9/x", None), "a webhook needs a signing secret"),
    (Target("slack", "http://127.0.0.1:9/x"), "127.0.0.1 is a loopback address"),
    (Target("teams", "http://10.0.0.1/x"), "10.0.0.1 is a private address"),
    (Target("teams", "ftp://127.0.0.1/x"), "scheme must be http or https"),
    (Target("pager", "http://127.0.0.1/x"), "unknown channel 'pager'"),
])
def test_a_refused_target_fails_permanently_and_nothing_is_sent(receiver, target, reason):
    [delivery] = deliver([(message(), target)], allow_hosts=frozenset())
    assert not delivery.ok and not delivery.retryable and reason in delivery.error
    assert receiver.requests == []


def test_a_host_that_does_not_resolve_at_delivery_may_be_retried():
    [delivery] = deliver([(message(), Target("slack", "https://hooks.partnerflow.invalid/x"))])
    assert (delivery.ok, delivery.retryable) == (False, True)
    assert "does not resolve" in delivery.error


def test_a_payload_that_is_not_json_fails_permanently(receiver):
    odd = message(data={"when": object()}, slack={})
    deliveries = deliver([(odd, webhook(receiver.url("/ok"))), (odd, Target("slack", receiver.url("/ok")))])
    assert [(d.ok, d.retryable) for d in deliveries] == [(False, False), (False, False)]
    assert "not JSON" in deliveries[0].error and "no payload" in deliveries[1].error
    assert receiver.requests == []
