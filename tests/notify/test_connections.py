"""Delivery connects only to checked addresses: IPv4 hidden in IPv6, DNS rebinding, Host and TLS name kept."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
from collections.abc import Callable, Iterator

import httpcore
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from partnerflow.notify.channels import deliver_all
from partnerflow.notify.message import Target
from partnerflow.notify.targets import InvalidTarget, validate_target
from tests.notify.builders import SECRET, deliver, message, webhook
from tests.notify.conftest import Receiver

PUBLIC = ipaddress.ip_address("93.184.216.34")
LOOPBACK = ipaddress.ip_address("127.0.0.1")
NAME = "hooks.partner.test"  # resolvable only by the tests' resolvers: a connection to it went where they said

EMBEDDED_REFUSED = [
    ("2002:7f00:1::", "is a loopback address (127.0.0.1 in 6to4 form)"),
    ("2002:a00:1::", "is a private address (10.0.0.1 in 6to4 form)"),
    ("2002:a9fe:a9fe::1", "is a link-local address (169.254.169.254 in 6to4 form)"),
    ("64:ff9b::7f00:1", "is a loopback address (127.0.0.1 in NAT64 form)"),
    ("64:ff9b::a9fe:a9fe", "is a link-local address (169.254.169.254 in NAT64 form)"),
    ("64:ff9b:1::a00:1", "is a local-use NAT64 address"),
    ("::ffff:a9fe:a9fe", "is a link-local address (169.254.169.254 in IPv4-mapped form)"),
    ("::7f00:1", "is a loopback address (127.0.0.1 in IPv4-compatible form)"),
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "is a loopback address (127.0.0.1 in Teredo form)"),
]
EMBEDDED_PUBLIC = ["2002:5db8:d822::", "64:ff9b::5db8:d822", "::ffff:5db8:d822"]


def answers(*rounds: list) -> tuple[list[str], Callable]:
    """A resolver giving each round of answers in turn (the last one again), and the names it was asked."""
    asked: list[str] = []

    def resolver(host: str) -> list:
        asked.append(host)
        return [ipaddress.ip_address(a) for a in rounds[min(len(asked), len(rounds)) - 1]]
    return asked, resolver


class Network(httpcore.AsyncNetworkBackend):
    """Records where connections go; opens them only to 127.0.0.1 (tests never reach the internet)."""

    def __init__(self) -> None:
        self.opened: list[str] = []
        self.real = httpcore.AnyIOBackend()

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        self.opened.append(host)
        if host != "127.0.0.1":
            raise httpcore.ConnectError(f"the tests do not connect to {host}")
        return await self.real.connect_tcp(host, port, timeout=timeout, local_address=local_address,
                                           socket_options=socket_options)

    async def sleep(self, seconds):
        await self.real.sleep(seconds)


@pytest.mark.parametrize(("address", "reason"), EMBEDDED_REFUSED)
def test_ipv4_inside_ipv6_is_judged_for_what_it_is(address, reason):
    with pytest.raises(InvalidTarget) as literal:
        validate_target(Target("slack", f"https://[{address}]/hook"))
    assert reason in literal.value.reason
    _, resolver = answers([address])
    with pytest.raises(InvalidTarget) as resolved:
        validate_target(Target("teams", f"https://{NAME}/hook"), resolver=resolver)
    assert f"{NAME} ({ipaddress.ip_address(address)}) {reason}" in resolved.value.reason


@pytest.mark.parametrize("address", EMBEDDED_PUBLIC)
def test_ipv4_inside_ipv6_that_is_public_is_accepted(address):
    target = Target("slack", f"https://[{address}]/hook")
    assert validate_target(target) is target


def test_one_address_not_public_refuses_the_name():
    _, resolver = answers([str(PUBLIC), "2002:7f00:1::"])
    with pytest.raises(InvalidTarget, match="loopback"):
        validate_target(Target("slack", f"https://{NAME}/hook"), resolver=resolver)


def test_a_name_rebound_to_loopback_after_its_check_gets_nothing(receiver):
    """Public when the channel was saved, 127.0.0.1 at delivery: the connection's own check refuses it."""
    asked, resolver = answers([str(PUBLIC)], [str(LOOPBACK)])
    url = f"http://{NAME}:{receiver.server.server_port}/ok"
    assert validate_target(Target("slack", url), resolver=resolver)  # saved: public then
    network = Network()

    [delivery] = deliver([(message(), Target("slack", url))], allow_hosts=frozenset(),
                         client={"resolver": resolver, "network": network})

    assert (delivery.ok, delivery.retryable) == (False, False)
    assert delivery.error == f"invalid target: {NAME} (127.0.0.1) is a loopback address; only public addresses are allowed"
    assert receiver.requests == [] and network.opened == []
    assert asked == [NAME, NAME]  # once when saved, once for the connection: the address checked is the one used


def test_the_connection_goes_to_the_checked_address_never_to_the_name_again(receiver):
    """`localhost` is 127.0.0.1 to the system, where the receiver listens; checked, it was public: only that is used."""
    asked, resolver = answers([str(PUBLIC)], [str(LOOPBACK)])
    network = Network()

    [delivery] = deliver([(message(), webhook(f"http://localhost:{receiver.server.server_port}/ok"))],
                         allow_hosts=frozenset(), client={"resolver": resolver, "network": network})

    assert network.opened == [str(PUBLIC)] and asked == ["localhost"]
    assert (delivery.ok, delivery.error) == (False, "connection failed")
    assert receiver.requests == []


def test_a_connection_to_an_allowed_name_keeps_its_host_header(receiver):
    asked, resolver = answers(["127.0.0.2", str(LOOPBACK)])  # nothing listens on 127.0.0.2: the next address is tried
    port = receiver.server.server_port
    deliveries = deliver([(message(n), webhook(f"http://{NAME}:{port}/signed")) for n in range(3)],
                         allow_hosts=frozenset({NAME}), client={"resolver": resolver}, concurrency=1)

    assert [d.ok for d in deliveries] == [True, True, True]
    assert [r.headers["host"] for r in receiver.requests] == [f"{NAME}:{port}"] * 3
    assert asked == [NAME]  # one connection, kept alive, resolved once


def test_tls_to_a_pinned_address_names_the_host_and_checks_its_certificate(tls_receiver):
    receiver, client_trust, server_names = tls_receiver
    _, resolver = answers([str(LOOPBACK)])
    url = f"https://{NAME}:{receiver.server.server_port}/ok"

    [delivery] = deliver([(message(), Target("teams", url))], allow_hosts=frozenset({NAME}),
                         client={"resolver": resolver, "verify": client_trust})

    assert delivery.ok, delivery.error
    assert server_names == [NAME]
    assert receiver.requests[0].headers["host"] == f"{NAME}:{receiver.server.server_port}"


def test_tls_refuses_a_certificate_for_another_name(tls_receiver):
    receiver, client_trust, server_names = tls_receiver
    _, resolver = answers([str(LOOPBACK)])
    other = "other.partner.test"

    [delivery] = deliver([(message(), Target("teams", f"https://{other}:{receiver.server.server_port}/ok"))],
                         allow_hosts=frozenset({other}), client={"resolver": resolver, "verify": client_trust})

    assert not delivery.ok and receiver.requests == [] and server_names == [other]


def test_only_a_checked_client_may_deliver():
    async def run():
        async with httpx.AsyncClient() as plain:
            await deliver_all([(message(), webhook("https://93.184.216.34/x", SECRET))], http=plain, smtp=None,
                              timestamp=lambda: 0)

    with pytest.raises(TypeError, match="CheckedClient"):
        asyncio.run(run())


@pytest.fixture
def tls_receiver(tmp_path) -> Iterator[tuple[Receiver, ssl.SSLContext, list[str]]]:
    """The receiver over TLS with a certificate for NAME only; the names clients asked for (SNI) are kept."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    server_names: list[str] = []
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server.sni_callback = lambda connection, name, context: server_names.append(name)
    receiver = Receiver()
    receiver.server.socket = server.wrap_socket(receiver.server.socket, server_side=True)
    receiver.server.handle_error = lambda request, address: None  # a refused handshake is no error here
    receiver.thread.start()
    yield receiver, ssl.create_default_context(cafile=tmp_path / "cert.pem"), server_names
    receiver.release.set()
    receiver.server.shutdown()
    receiver.server.server_close()
