"""The email of a message: multipart/alternative, with headers that let mail systems de-duplicate."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from partnerflow.notify.message import Message


def compose(message: Message, recipient: str, sender: str, timestamp: int) -> EmailMessage:
    """multipart/alternative: the plain text first, then the HTML (mail clients show the last they can)."""
    email = EmailMessage()
    email["Subject"] = " ".join(message.subject.split())
    email["From"] = sender
    email["To"] = recipient
    email["Date"] = formatdate(timestamp, usegmt=True)
    email["Message-ID"] = message_id(message.id, sender)
    email["X-Partnerflow-Notification"] = message.id
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    return email


def message_id(notification_id: str, sender: str) -> str:
    """<id@sender-domain>: stable across retries, so mail systems can de-duplicate."""
    local = re.sub(r"[^A-Za-z0-9._-]", "-", notification_id) or "notification"
    domain = envelope_sender(sender).rpartition("@")[2] or "partnerflow.invalid"
    return f"<{local}@{domain}>"


def envelope_sender(sender: str) -> str:
    return parseaddr(sender)[1] or sender
