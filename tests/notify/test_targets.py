"""Target validation: a table of what is refused and why. Validation resolves, never connects."""

from __future__ import annotations

import pytest

from partnerflow.notify.message import Target
from partnerflow.notify.targets import InvalidTarget, UnresolvableHost, validate_target
from tests.notify.builders import SECRET

REFUSED_URLS = [
    ("http://127.0.0.1:8080/hook", "127.0.0.1 is a loopback address"),
    ("http://10.0.0.1/hook", "10.0.0.1 is a private address"),
    ("http://192.168.1.5/hook", "192.168.1.5 is a private address"),
    ("http://172.16.0.1/hook", "172.16.0.1 is a private address"),
    ("http://169.254.169.254/latest/meta-data", "169.254.169.254 is a link-local address"),
    ("http://[::1]/hook", "::1 is a loopback address"),
    ("http://[fe80::1]/hook", "fe80::1 is a link-local address"),
    ("http://[fc00::1]/hook", "fc00::1 is a private address"),
    ("http://0.0.0.0/hook", "0.0.0.0 is the unspecified address"),
    ("http://224.0.0.1/hook", "224.0.0.1 is a multicast address"),
    ("http://240.0.0.1/hook", "240.0.0.1 is a reserved address"),
    ("http://100.64.0.1/hook", "100.64.0.1 is not a public address"),
    ("http://[::ffff:127.0.0.1]/hook", "is a loopback address"),
    ("http://2130706433/hook", "2130706433 (127.0.0.1) is a loopback address"),
    ("http://localhost/hook", "localhost (127.0.0.1) is a loopback address"),
    ("ftp://x.example.com/hook", "the URL scheme must be http or https, not 'ftp'"),
    ("hooks.example.com/hook", "the URL scheme must be http or https, not 'none'"),
    ("http://user:pw@hooks.example.com/hook", "the URL must not carry credentials"),
    ("http:///hook", "the URL has no host"),
    ("http://93.184.216.34:99999/hook", "not a valid URL"),
    ("https://hooks.partnerflow.invalid/hook", "the host hooks.partnerflow.invalid does not resolve"),
]


@pytest.mark.parametrize("channel", ["slack", "teams"])
@pytest.mark.parametrize(("url", "reason"), REFUSED_URLS)
def test_urls_are_refused_with_a_reason(channel, url, reason):
    with pytest.raises(InvalidTarget) as refusal:
        validate_target(Target(channel, url))
    assert reason in refusal.value.reason


@pytest.mark.parametrize("url", ["http://93.184.216.34/hook", "https://93.184.216.34:8443/a?b=c",
                                 "https://[2606:2800:220:1:248:1893:25c8:1946]/hook"])
def test_public_addresses_are_accepted(url):
    target = Target("webhook", url, SECRET)
    assert validate_target(target) is target


@pytest.mark.parametrize(("url", "allowed"), [
    ("http://127.0.0.1:8080/hook", {"127.0.0.1"}),
    ("http://[::1]:8080/hook", {"::1"}),
    ("http://[::1]:8080/hook", {"[0:0::1]"}),
    ("http://localhost:8080/hook", {"LOCALHOST"}),
    ("http://10.0.0.1/hook", {"10.0.0.1", "127.0.0.1"}),
])
def test_the_operator_may_allow_a_host_by_name_or_ip_literal(url, allowed):
    target = Target("slack", url)
    assert validate_target(target, allow_hosts=frozenset(allowed)) is target


def test_allowing_an_address_does_not_allow_names_that_resolve_to_it():
    with pytest.raises(InvalidTarget, match="localhost"):
        validate_target(Target("slack", "http://localhost/hook"), allow_hosts=frozenset({"127.0.0.1"}))


def test_a_name_that_does_not_resolve_is_its_own_kind_of_refusal():
    with pytest.raises(UnresolvableHost):
        validate_target(Target("slack", "https://hooks.partnerflow.invalid/hook"))


@pytest.mark.parametrize("address", ["owner@example.com", "first.last+tasks@mail.example.co.uk",
                                     "owner@xn--80ak6aa92e.xn--p1ai"])
def test_email_addresses_that_look_like_addresses_are_accepted(address):
    assert validate_target(Target("email", address)).address == address


@pytest.mark.parametrize("address", ["owner", "owner@", "@example.com", "owner@example", "two words@example.com",
                                     "owner@example.com\r\nBcc: all@example.com", "a@b@example.com",
                                     "Owner <owner@example.com>", "owner@exa_mple.com"])
def test_email_addresses_that_do_not_look_like_addresses_are_refused(address):
    with pytest.raises(InvalidTarget, match="not an email address"):
        validate_target(Target("email", address))


@pytest.mark.parametrize(("secret", "reason"), [
    (None, "needs a signing secret"),
    ("whsec_not base64!", "not base64"),
    ("whsec_c2hvcnQ=", "shorter than 24 bytes"),
])
def test_a_webhook_needs_a_usable_signing_secret(secret, reason):
    with pytest.raises(InvalidTarget, match=reason):
        validate_target(Target("webhook", "https://93.184.216.34/hook", secret))


def test_unknown_channels_are_refused():
    with pytest.raises(InvalidTarget, match="unknown channel 'fax'"):
        validate_target(Target("fax", "+1 555 0100"))


def test_inbox_targets_need_no_address_check():
    assert validate_target(Target("inbox", "user:42")).channel == "inbox"
