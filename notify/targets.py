"""Target validation: refuse what a notification must never be sent to.

Checked when a target is saved and again at delivery (DNS may change since). URLs must be
http(s) with a host and no credentials; the host must resolve to public addresses only,
unless the operator allowed that host by name or IP literal (`allow_hosts`).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
import socket
from urllib.parse import urlsplit

from notify.message import CHANNELS, Target

URL_CHANNELS = frozenset({"webhook", "slack", "teams"})
LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL = re.compile(rf"[^@\s<>,;:\"()\[\]\\]{{1,64}}@(?:{LABEL}\.)+(?:[A-Za-z]{{2,63}}|xn--[A-Za-z0-9-]{{1,59}})")
REFUSALS = {  # checked in this order: the first that applies is the reason given
    "loopback": "a loopback address",
    "unspecified": "the unspecified address",
    "link_local": "a link-local address",
    "multicast": "a multicast address",
    "reserved": "a reserved address",
    "private": "a private address",
}
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class InvalidTarget(ValueError):
    """A target that no notification may be sent to; the message says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnresolvableHost(InvalidTarget):
    """A host name that does not resolve: permanent when saved, maybe passing at delivery."""


def validate_target(target: Target, *, allow_hosts: frozenset[str] = frozenset()) -> Target:
    """Return the target unchanged, or raise InvalidTarget. Resolves names; never connects."""
    host = checked_form(target)
    if host is not None:
        check_host(host, allow_hosts=allow_hosts)
    return target


def checked_form(target: Target) -> str | None:
    """Check everything but name resolution; return the URL's host (None for other channels)."""
    if target.channel not in CHANNELS:
        raise InvalidTarget(f"unknown channel {target.channel!r}")
    if not isinstance(target.address, str):
        raise InvalidTarget("the address is not text")
    if target.channel == "email":
        check_email(target.address)
    if target.channel == "webhook":
        check_secret(target.secret)
    return url_host(target.address) if target.channel in URL_CHANNELS else None


def check_email(address: str) -> None:
    if len(address) > 254 or not EMAIL.fullmatch(address):
        raise InvalidTarget("not an email address")


def check_secret(secret: str | None) -> None:
    """A webhook signing secret: "whsec_" and base64 of at least 24 bytes (Standard Webhooks)."""
    if not secret:
        raise InvalidTarget("a webhook needs a signing secret (whsec_...)")
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidTarget("the webhook secret is not base64 after whsec_") from None
    if len(key) < 24:
        raise InvalidTarget("the webhook secret is shorter than 24 bytes")


def url_host(url: str) -> str:
    """The host of an http(s) URL without credentials, lowercased, IPv6 without brackets."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise InvalidTarget("not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidTarget(f"the URL scheme must be http or https, not {parts.scheme or 'none'!r}")
    if parts.username is not None or parts.password is not None:
        raise InvalidTarget("the URL must not carry credentials")
    if not parts.hostname:
        raise InvalidTarget("the URL has no host")
    return parts.hostname


def check_host(host: str, *, allow_hosts: frozenset[str] = frozenset()) -> None:
    """Refuse a host that resolves to any non-public address, unless the operator allowed it."""
    if is_allowed(host, allow_hosts):
        return
    for address in resolve(host):
        refusal = refusal_of(address)
        if refusal:
            shown = host if canonical(host) == str(address) else f"{host} ({address})"
            raise InvalidTarget(f"{shown} is {refusal}; only public addresses are allowed")


def is_allowed(host: str, allow_hosts: frozenset[str]) -> bool:
    allowed = {canonical(name) for name in allow_hosts}
    return canonical(host) in allowed


def canonical(host: str) -> str:
    """A host as compared with the allowance: IP literals normalised, names lowercased."""
    host = host.strip("[]").lower().rstrip(".")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


def resolve(host: str) -> list[IPAddress]:
    """Every address the host resolves to (a literal resolves to itself; no connection is made)."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnresolvableHost(f"the host {host} does not resolve ({error_text(error)})") from None
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def error_text(error: Exception) -> str:
    return getattr(error, "strerror", None) or str(error) or type(error).__name__


def refusal_of(address: IPAddress) -> str | None:
    """Why an address is no place for a notification, or None for a public address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    for kind, refusal in REFUSALS.items():
        if getattr(address, f"is_{kind}"):
            return refusal
    return None if address.is_global else "not a public address"
