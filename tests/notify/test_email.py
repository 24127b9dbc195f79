"""Email against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import logging
from dataclasses import replace

from partnerflow.notify.channels import SmtpSettings
from partnerflow.notify.message import Target
from tests.notify.builders import NOW, deliver, message
from tests.notify.conftest import PASSWORD, USERNAME


def settings(port: int, **changes) -> SmtpSettings:
    base = SmtpSettings(host="127.0.0.1", port=port, security="none", sender="Partnerflow <noreply@example.org>",
                        timeout=2.0)
    return replace(base, **changes)


def email_to(address: str) -> Target:
    return Target("email", address)


def test_an_email_arrives_with_both_parts_and_its_headers(smtp_server):
    mailbox, port = smtp_server
    [delivery] = deliver([(message(5), email_to("owner@example.com"))], smtp=settings(port), timestamp=lambda: NOW)

    assert (delivery.ok, delivery.status_code, delivery.error) == (True, 250, None)
    [mail] = mailbox.mails
    assert (mail.sender, mail.recipients) == ("noreply@example.org", ["owner@example.com"])
    email = mail.email
    assert email["Subject"] == "Task 5: supply the business case"
    assert email["From"] == "Partnerflow <noreply@example.org>" and email["To"] == "owner@example.com"
    assert email["Message-ID"] == "<msg_0005@example.org>"
    assert email["X-Partnerflow-Notification"] == "msg_0005"
    assert email["Date"].datetime.timestamp() == NOW
    assert email.get_content_type() == "multipart/alternative"
    assert email.get_body(("plain",)).get_content() == "Task 5 is yours.\nOpen it to act.\n"
    assert email.get_body(("html",)).get_content() == "<p>Task 5 is <b>yours</b>.</p>\n"


def test_a_batch_of_emails_goes_over_one_connection_in_order(smtp_server):
    mailbox, port = smtp_server
    items = [(message(n), email_to(f"owner{n}@example.com")) for n in range(20)]
    deliveries = deliver(items, smtp=settings(port))

    assert all(d.ok for d in deliveries)
    assert mailbox.greetings == 1
    assert [mail.recipients[0] for mail in mailbox.mails] == [f"owner{n}@example.com" for n in range(20)]


def test_a_refused_recipient_fails_alone_and_the_connection_carries_on(smtp_server):
    mailbox, port = smtp_server
    items = [(message(1), email_to("a@example.com")), (message(2), email_to("refused@example.com")),
             (message(3), email_to("busy@example.com")), (message(4), email_to("b@example.com"))]
    ok, refused, busy, last = deliver(items, smtp=settings(port))

    assert ok.ok and last.ok
    assert (refused.ok, refused.status_code, refused.retryable) == (False, 550, False)
    assert refused.error == "SMTP 550 5.1.1 No such user here"
    assert (busy.ok, busy.status_code, busy.retryable) == (False, 450, True)
    assert mailbox.greetings == 1 and len(mailbox.mails) == 2


def test_a_server_that_drops_the_connection_gets_one_new_one(smtp_server):
    mailbox, port = smtp_server
    mailbox.drop_data_once = True
    deliveries = deliver([(message(n), email_to(f"o{n}@example.com")) for n in range(5)], smtp=settings(port))

    assert all(d.ok for d in deliveries)
    assert mailbox.greetings == 2 and len(mailbox.mails) == 5


def test_an_unreachable_server_fails_every_email_retryably_without_the_password(closed_port, caplog):
    caplog.set_level(logging.DEBUG)
    smtp = settings(closed_port, username=USERNAME, password=PASSWORD)
    deliveries = deliver([(message(n), email_to(f"o{n}@example.com")) for n in range(3)], smtp=smtp)

    assert {(d.ok, d.error, d.retryable) for d in deliveries} == {(False, "connection refused", True)}
    assert PASSWORD not in caplog.text and PASSWORD not in repr(smtp)


def test_a_login_with_the_right_password_delivers(smtp_server_with_login):
    mailbox, port = smtp_server_with_login
    [delivery] = deliver([(message(), email_to("o@example.com"))],
                         smtp=settings(port, username=USERNAME, password=PASSWORD))
    assert delivery.ok and [mail.logged_in for mail in mailbox.mails] == [True]


def test_a_refused_login_is_permanent_and_never_shows_the_password(smtp_server_with_login, caplog):
    caplog.set_level(logging.DEBUG)
    _, port = smtp_server_with_login
    [delivery] = deliver([(message(), email_to("o@example.com"))],
                         smtp=settings(port, username=USERNAME, password=PASSWORD + "-wrong"))

    assert (delivery.ok, delivery.status_code, delivery.retryable) == (False, 535, False)
    assert delivery.error.startswith("SMTP 535")
    assert "correct-horse" not in delivery.error and "correct-horse" not in caplog.text


def test_starttls_required_but_not_offered_is_permanent(smtp_server):
    _, port = smtp_server
    [delivery] = deliver([(message(), email_to("o@example.com"))], smtp=settings(port, security="starttls"))
    assert (delivery.ok, delivery.retryable) == (False, False)
    assert "STARTTLS" in delivery.error


def test_an_untrusted_server_certificate_is_refused_permanently(smtp_server_untrusted):
    mailbox, port, security = smtp_server_untrusted
    [delivery] = deliver([(message(), email_to("o@example.com"))], smtp=settings(port, security=security))

    assert (delivery.ok, delivery.retryable) == (False, False)
    assert delivery.error == "TLS certificate refused (self-signed certificate)"
    assert mailbox.mails == []


def test_no_smtp_settings_and_a_bad_address_are_permanent_failures(smtp_server):
    mailbox, port = smtp_server
    [unconfigured] = deliver([(message(), email_to("o@example.com"))], smtp=None)
    [bad] = deliver([(message(), email_to("o@example.com\r\nBcc: x@example.com"))], smtp=settings(port))

    assert (unconfigured.ok, unconfigured.retryable, unconfigured.error) == (
        False, False, "email is not configured (no SMTP settings)")
    assert (bad.ok, bad.retryable, bad.error) == (False, False, "invalid target: not an email address")
    assert mailbox.mails == []
