"""The channels' part of `partnerflow doctor`: the SMTP server and its login, and each webhook, Slack
and Teams target (readable with the key, allowed, its host answering). Nothing is sent: the SMTP
check logs in and says goodbye; a URL's host is only connected to. Each check is a Finding: what
was looked at, ok / warn / fail, what was found and how to fix it."""

import dataclasses
import smtplib
import socket
from collections import defaultdict
from typing import Literal, NamedTuple
from urllib.parse import urlsplit

from partnerflow.engine.notifications.channels import target_problem
from partnerflow.engine.notifications.dispatch import smtp_settings
from partnerflow.engine.sealing import SEALED_ADDRESSES, Keyring, Unreadable
from partnerflow.engine.settings import Settings
from partnerflow.notify import check_smtp

MOST_HOSTS = 20  # distinct hosts tried at most: a doctor answers in seconds


class Finding(NamedTuple):
    area: str
    status: Literal["ok", "warn", "fail"]
    message: str
    fix: str = ""


def channel_findings(settings: Settings, channels, *, timeout: float) -> list[Finding]:
    """`channels`: rows of (id, kind, address, secret) as stored."""
    return _email(settings, channels, timeout) + _http_channels(settings, channels, timeout)


def _email(settings: Settings, channels, timeout: float) -> list[Finding]:
    emails = sum(1 for c in channels if c.kind == "email")
    smtp = smtp_settings(settings)
    if smtp is None:
        if emails:
            return [Finding("email", "warn", f"{emails} email channel(s) but no SMTP server: no email is sent",
                            "set PARTNERFLOW_SMTP_HOST (and _PORT, _SECURITY, _USERNAME, _PASSWORD)")]
        return [Finding("email", "ok", "no SMTP server, and nobody is reached by email")]
    where = f"{smtp.host}:{smtp.port} ({smtp.security})"
    try:
        check_smtp(dataclasses.replace(smtp, timeout=timeout))
    except (OSError, smtplib.SMTPException) as refused:
        return [Finding("email", "fail", f"{where}: {type(refused).__name__}: {refused}",
                        "check PARTNERFLOW_SMTP_HOST, _PORT, _SECURITY, _USERNAME and _PASSWORD")]
    login = f", logged in as {smtp.username}" if smtp.username else ""
    return [Finding("email", "ok", f"{where} answers{login}; {emails} email channel(s)")]


def _http_channels(settings: Settings, channels, timeout: float) -> list[Finding]:
    """Every webhook, Slack and Teams target: readable with the key, allowed, and its host answering."""
    keyring, found = Keyring.of(settings), []
    hosts: dict[tuple[str, int], list[int]] = defaultdict(list)
    http = [c for c in channels if c.kind in SEALED_ADDRESSES]
    for channel in http:
        try:
            address = keyring.unseal(channel.address)
            secret = keyring.unseal(channel.secret) if channel.secret else None
        except Unreadable as unreadable:
            found.append(Finding(f"{channel.kind} channel #{channel.id}", "fail", str(unreadable),
                                 "set PARTNERFLOW_PREVIOUS_SECRET_KEY to the key it was sealed with, or add the "
                                 "channel again"))
            continue
        problem = target_problem(channel.kind, address, secret, allow_hosts=settings.allowed_hosts)
        if problem:
            found.append(Finding(f"{channel.kind} channel #{channel.id}", "fail", problem,
                                 "fix the channel's URL, or allow its host in PARTNERFLOW_WEBHOOK_ALLOW_HOSTS"))
            continue
        parts = urlsplit(address)
        hosts[(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))].append(channel.id)
    for (host, port), ids in list(hosts.items())[:MOST_HOSTS]:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
        except OSError as refused:
            found.append(Finding(f"{host}:{port}", "fail", f"does not answer ({refused}); channel(s) "
                                 + ", ".join(f"#{i}" for i in ids) + " cannot deliver",
                                 "check the receiver is up and reachable from here (proxy, firewall)"))
    if len(hosts) > MOST_HOSTS:
        found.append(Finding("webhooks", "warn", f"{len(hosts) - MOST_HOSTS} more hosts not tried"))
    if http and not any(f.status == "fail" for f in found):
        found.append(Finding("webhooks", "ok", f"{len(http)} webhook, Slack and Teams channel(s); "
                             f"{min(len(hosts), MOST_HOSTS)} host(s) answer"))
    return found
