"""Email over SMTP: multipart text + HTML, every email of a batch over one connection.

smtplib runs in one worker thread for the whole batch (`asyncio.to_thread`), so HTTP channels
keep going on the event loop meanwhile. A server that drops the connection mid-batch gets one
new connection; the email in flight is sent again on it (its Message-ID is the same).
The password is never put into an error or a log line.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import smtplib
import ssl
import time
from dataclasses import dataclass, field
from typing import Literal

from partnerflow.notify.channels.mime import compose, envelope_sender
from partnerflow.notify.message import Delivery, Message, Target, delivered, failed

log = logging.getLogger(__name__)
CONNECTIONS_PER_BATCH = 2  # the first, and one more if the server drops it


@dataclass(frozen=True, kw_only=True)
class SmtpSettings:
    """Where and how to send email; `sender` is the From header ("Name <address>" or an address)."""

    host: str
    port: int = 587
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str
    timeout: float = 10.0


class ConnectionLost(Exception):
    """The connection broke while sending; the email may be sent again on a new one."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


async def deliver_emails(items: list[tuple[Message, Target]], smtp: SmtpSettings | None,
                         timestamp: int) -> list[Delivery]:
    if not items:
        return []
    if smtp is None:
        return [failed("email is not configured (no SMTP settings)", retryable=False)] * len(items)
    return await asyncio.to_thread(send_batch, items, smtp, timestamp)


def send_batch(items: list[tuple[Message, Target]], smtp: SmtpSettings, timestamp: int) -> list[Delivery]:
    """Send every email in order over one connection; never raises for a delivery failure."""
    deliveries: list[Delivery] = []
    error: Exception | None = None
    try:
        for _ in range(CONNECTIONS_PER_BATCH):
            error = send_on_new_connection(items, deliveries, smtp, timestamp)
            if error is None:
                break
    except (OSError, ValueError) as refused:  # no connection could be opened; smtplib's errors are OSErrors
        error = refused
    return deliveries + remaining_failures(len(items) - len(deliveries), error, smtp)


def send_on_new_connection(items: list[tuple[Message, Target]], deliveries: list[Delivery], smtp: SmtpSettings,
                           timestamp: int) -> Exception | None:
    """Open a connection and send the emails not yet in `deliveries`; return what broke it, if anything."""
    connection = open_connection(smtp)
    try:
        for message, target in items[len(deliveries):]:
            deliveries.append(send_one(connection, message, target.address, smtp, timestamp))
        quit_politely(connection)
    except ConnectionLost as lost:
        return lost.cause
    finally:
        connection.close()
    return None


def remaining_failures(count: int, error: Exception | None, smtp: SmtpSettings) -> list[Delivery]:
    if not count:
        return []
    failure = connection_failure(error or OSError("connection lost"), smtp)
    log.info("email to %s:%s failed for %d messages: %s", smtp.host, smtp.port, count, failure.error)
    return [failure] * count


def open_connection(smtp: SmtpSettings) -> smtplib.SMTP:
    """Connect, EHLO, STARTTLS when asked, and log in when a username is set."""
    context = ssl.create_default_context() if smtp.security != "none" else None
    if smtp.security == "ssl":
        connection = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
    else:
        connection = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    try:
        if smtp.security == "starttls":
            connection.starttls(context=context)
        if smtp.username:
            connection.login(smtp.username, smtp.password or "")
    except BaseException:
        connection.close()
        raise
    return connection


def check_smtp(smtp: SmtpSettings) -> None:
    """Connect, STARTTLS and log in as a delivery would, then say goodbye; raises what a delivery would meet."""
    quit_politely(open_connection(smtp))


def quit_politely(connection: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):  # the emails are sent; a failed goodbye changes nothing
        connection.quit()


def send_one(connection: smtplib.SMTP, message: Message, recipient: str, smtp: SmtpSettings,
             timestamp: int) -> Delivery:
    """One email; a refusal becomes a Delivery, a broken connection raises ConnectionLost."""
    started = time.perf_counter()
    try:
        email = compose(message, recipient, smtp.sender, timestamp)
    except (ValueError, TypeError) as error:
        return failed(f"cannot compose the email ({error})", retryable=False)
    try:
        connection.send_message(email, from_addr=envelope_sender(smtp.sender), to_addrs=[recipient])
    except smtplib.SMTPRecipientsRefused as error:
        code, reply = error.recipients.get(recipient, (550, b"recipient refused"))
        outcome = reply_failure(code, reply, smtp)
    except smtplib.SMTPResponseException as error:
        if error.smtp_code == 421:  # the server is closing this connection
            raise ConnectionLost(error) from error
        outcome = reply_failure(error.smtp_code, error.smtp_error, smtp)
    except OSError as error:  # disconnected, timed out, reset
        raise ConnectionLost(error) from error
    else:
        outcome = delivered(250, 0.0)
    return outcome._replace(duration_ms=(time.perf_counter() - started) * 1000)


def reply_failure(code: int, reply: bytes | str, smtp: SmtpSettings) -> Delivery:
    """An SMTP refusal: 4xx is worth retrying, 5xx is permanent."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    reason = redact(f"SMTP {code} {' '.join(text.split())}"[:160], smtp)
    return failed(reason, retryable=not 500 <= code < 600, status_code=code)


def connection_failure(error: Exception, smtp: SmtpSettings) -> Delivery:
    """Why no connection could be had or kept; only a refused TLS certificate or feature is permanent."""
    if isinstance(error, smtplib.SMTPResponseException):
        return reply_failure(error.smtp_code, error.smtp_error, smtp)
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return failed(redact(f"the SMTP server lacks a required feature: {error}", smtp), retryable=False)
    if isinstance(error, ssl.SSLCertVerificationError):
        return failed(f"TLS certificate refused ({error.verify_message})", retryable=False)
    return failed(redact(transport_reason(error, smtp.timeout), smtp), retryable=True)


def transport_reason(error: Exception, timeout: float) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, TimeoutError):
        return f"timed out after {float(timeout)} s"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return "the SMTP server closed the connection"
    if isinstance(error, OSError) and error.strerror:
        return f"connection failed ({error.strerror})"
    return f"connection failed ({type(error).__name__})"


def redact(text: str, smtp: SmtpSettings) -> str:
    """Remove the password, also in the base64 forms AUTH PLAIN and LOGIN send it in."""
    for secret in secret_forms(smtp):
        text = text.replace(secret, "***")
    return text


def secret_forms(smtp: SmtpSettings) -> list[str]:
    if not smtp.password:
        return []
    plain = f"\0{smtp.username or ''}\0{smtp.password}".encode()
    return [base64.b64encode(plain).decode(), base64.b64encode(smtp.password.encode()).decode(), smtp.password]
