"""Target validation: refuse what a notification must never be sent to.

Checked when a target is saved and again at delivery (DNS may change since). URLs must be
http(s) with a host and no credentials; the host must resolve to public addresses only,
unless the operator allowed that host by name or IP literal (`allow_hosts`).

An IPv6 address that carries an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4,
Teredo) is refused when the IPv4 address inside would be. At delivery a connection goes to the
addresses `checked_addresses` returned, never to the name again (see
notify/channels/connections.py): a name that resolves elsewhere after its check (DNS
rebinding) is not reached. A `resolver` parameter is how names resolve; tests hand their own.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from partnerflow.notify.message import CHANNELS, Target

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
Resolver = Callable[[str], list[IPAddress]]
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the IPv4 address in the last 32 bits
LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215: local use, never public
COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated IPv4-compatible addresses (RFC 4291)


class InvalidTarget(ValueError):
    """A target that no notification may be sent to; the message says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnresolvableHost(InvalidTarget):
    """A host name that does not resolve: permanent when saved, maybe passing at delivery."""


def validate_target(target: Target, *, allow_hosts: frozenset[str] = frozenset(),
                    resolver: Resolver | None = None) -> Target:
    """Return the target unchanged, or raise InvalidTarget. Resolves names; never connects."""
    host = checked_form(target)
    if host is not None and not is_allowed(host, allow_hosts):
        checked_addresses(host, resolver=resolver)
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


def checked_addresses(host: str, *, allow_hosts: frozenset[str] = frozenset(),
                      resolver: Resolver | None = None) -> list[IPAddress]:
    """Resolve `host` once and return its addresses, every one of them checked.

    Refuses the host when any address is not public, unless the operator allowed the host (its
    addresses are then returned unchecked). Connect to these addresses, not to the name.
    """
    addresses = list(dict.fromkeys((resolver or resolve)(host)))
    if not addresses:
        raise UnresolvableHost(f"the host {host} does not resolve (no address)")
    if is_allowed(host, allow_hosts):
        return addresses
    for address in addresses:
        refusal = refusal_of(address)
        if refusal:
            shown = host if canonical(host) == str(address) else f"{host} ({address})"
            raise InvalidTarget(f"{shown} is {refusal}; only public addresses are allowed")
    return addresses


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
    """Why an address is no place for a notification, or None for a public address.

    An IPv6 address carrying IPv4 is refused for what the IPv4 address inside is; an
    IPv4-mapped or NAT64 address stands for its IPv4 address alone, the other forms are also
    judged as the IPv6 addresses they are.
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address in LOCAL_NAT64:
            return "a local-use NAT64 address"
        for form, inside in embedded_ipv4(address):
            refusal = address_refusal(inside)
            if refusal:
                return f"{refusal} ({inside} in {form} form)"
        if address.ipv4_mapped or address in NAT64:
            return None
    return address_refusal(address)


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[tuple[str, ipaddress.IPv4Address]]:
    """The IPv4 addresses an IPv6 address carries, each with the name of its form."""
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    found = []
    if address.ipv4_mapped:
        found.append(("IPv4-mapped", address.ipv4_mapped))
    if address in NAT64:
        found.append(("NAT64", low32))
    if address in COMPATIBLE and int(address) > 1:  # :: and ::1 are what they are
        found.append(("IPv4-compatible", low32))
    if address.sixtofour:
        found.append(("6to4", address.sixtofour))
    if address.teredo:
        server, client = address.teredo
        found += [("Teredo", client), ("Teredo server", server)]
    return found


def address_refusal(address: IPAddress) -> str | None:
    for kind, refusal in REFUSALS.items():
        if getattr(address, f"is_{kind}"):
            return refusal
    return None if address.is_global else "not a public address"
