"""Real local servers for the channel tests: an HTTP receiver and SMTP servers on 127.0.0.1."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from partnerflow.notify.channels import InvalidSignature, verify
from tests.notify.builders import SECRET

HANG_LIMIT_S = 5.0  # a hanging answer is released by the fixture's teardown, or after this
GRACE_S = 0.05  # how long a full wave of gated requests waits for one too many to arrive


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """Records every POST. Paths choose the answer:

    /ok             200 "ok"
    /signed         204 when the Standard Webhooks signature verifies, else 401
    /status/NNN     NNN with a short text body ("no_service")
    /redirect       302 to /ok
    /big            500 with a 1 MB body
    /hang           no answer until the test ends
    /gate           held until `gate_limit` requests are in flight (or all `gate_total` arrived)
    """

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.changed = threading.Condition()
        self.in_flight = self.max_in_flight = self.arrived = self.released_through = 0
        self.gate_limit, self.gate_total = 1, 1
        self.release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(self))
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes, dict[str, str]]:
        with self.changed:
            self.requests.append(Received(path, headers, body))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.arrived += 1
            number = self.arrived
        try:
            return self.respond(path, headers, body, number)
        finally:
            with self.changed:
                self.in_flight -= 1

    def respond(self, path: str, headers: dict[str, str], body: bytes, number: int) -> tuple[int, bytes, dict]:
        if path == "/signed":
            return (204, b"", {}) if self.verifies(headers, body) else (401, b"bad signature", {})
        if path.startswith("/status/"):
            return int(path.rsplit("/", 1)[1]), b"no_service", {}
        if path == "/redirect":
            return 302, b"", {"location": self.url("/ok")}
        if path == "/big":
            return 500, b"overloaded " * 100_000, {}
        if path == "/hang":
            self.release.wait(HANG_LIMIT_S)
        if path == "/gate":
            self.hold(number)
        return 200, b"ok", {}

    def verifies(self, headers: dict[str, str], body: bytes) -> bool:
        try:
            verify(SECRET, headers, body, now=int(headers.get("webhook-timestamp", "0")))
        except InvalidSignature:
            return False
        return True

    def hold(self, number: int) -> None:
        """Hold requests until `gate_limit` are in flight together (or all `gate_total` arrived), then
        give any request beyond the limit GRACE_S to show itself before letting the wave go."""
        with self.changed:
            self.changed.notify_all()
            if self.in_flight >= self.gate_limit or self.arrived >= self.gate_total:
                self.changed.wait_for(lambda: self.in_flight > self.gate_limit, timeout=GRACE_S)
                self.released_through = self.arrived
                self.changed.notify_all()
            self.changed.wait_for(lambda: number <= self.released_through, timeout=HANG_LIMIT_S)


def handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, answer, extra = receiver.answer(urlsplit(self.path).path, headers, body)
            self.send_response(status)
            for name, value in {"content-type": "text/plain", **extra}.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.server.handle_error = lambda request, address: None  # a client that gave up is no error
    receiver.thread.start()
    yield receiver
    receiver.release.set()
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port with a socket bound but not listening: connecting there is refused."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield bound.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# SMTP


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    email: EmailMessage
    logged_in: bool


class Mailbox:
    """An aiosmtpd handler: counts greetings (one per connection), keeps every email.

    Recipients starting with "refused@" get 550, with "busy@" get 450; `drop_data_once` makes
    the server answer one DATA with 421 (closing the connection).
    """

    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.greetings = 0
        self.drop_data_once = False

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.greetings += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused@"):
            return "550 5.1.1 No such user here"
        if address.startswith("busy@"):
            return "450 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.drop_data_once:
            self.drop_data_once = False
            return "421 4.3.2 Closing this connection"
        email = message_from_bytes(envelope.original_content.replace(b"\r\n", b"\n"), policy=policy.default)
        self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), email, session.authenticated))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_smtp(mailbox: Mailbox, **options) -> Controller:
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    return controller


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    controller = start_smtp(mailbox)
    yield mailbox, controller.port
    controller.stop()


USERNAME, PASSWORD = "partnerflow", "correct-horse-battery-staple"


def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    return AuthResult(success=(auth_data.login, auth_data.password) == (USERNAME.encode(), PASSWORD.encode()),
                      handled=False)


@pytest.fixture
def smtp_server_with_login() -> Iterator[tuple[Mailbox, int]]:
    """Offers a login (in plain text: nothing leaves 127.0.0.1); each Mail says whether it was logged in."""
    mailbox = Mailbox()
    controller = start_smtp(mailbox, authenticator=authenticate, auth_require_tls=False)
    yield mailbox, controller.port
    controller.stop()


@pytest.fixture(scope="session")
def untrusted_tls(tmp_path_factory) -> ssl.SSLContext:
    """A server TLS context with a self-signed certificate for 127.0.0.1, trusted by no client."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


@pytest.fixture(params=["ssl", "starttls"])
def smtp_server_untrusted(request, untrusted_tls) -> Iterator[tuple[Mailbox, int, str]]:
    """TLS with a certificate no client trusts: implicit TLS ("ssl") or STARTTLS; yields the security to ask."""
    mailbox = Mailbox()
    tls = {"ssl_context": untrusted_tls} if request.param == "ssl" else {"tls_context": untrusted_tls}
    controller = start_smtp(mailbox, **tls)
    yield mailbox, controller.port, request.param
    controller.stop()
