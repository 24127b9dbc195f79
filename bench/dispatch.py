"""The dispatch benchmark: deliveries per second through `deliver_all`, next to a naive baseline.

    python bench/dispatch.py                   # 10,000 notifications per channel
    python bench/dispatch.py --count 2000      # a quick run
    python bench/dispatch.py --no-write        # print the table, leave docs/ alone

Everything goes to 127.0.0.1. The receiver runs in a child process of its own (this script
with `--serve`): a uvicorn server (one worker, httptools, asyncio loop, a minimal ASGI app that
reads the body and answers 200 "ok", at once or under /slow/ after 20 ms) and an aiosmtpd
server that accepts every email, both on one event loop; GET /count says what it took.

Rows, in one run: for webhooks to a receiver answering at once and to one answering in 20 ms,
a naive baseline (one synchronous `httpx.post` per notification, without a client, so a new
client and TCP connection each time) and `deliver_all` at several concurrencies, called as
`engine.dispatch.deliver` calls it (per batch, `asyncio.run` and one pooled CheckedClient with
max_connections = concurrency); for email, a new SMTP connection per email against
`deliver_all` (one connection per batch). Every mode signs or composes what it sends the same
way and checks that the receiver counted every delivery. Output: a markdown table on stdout
and, with a method note, docs/performance-dispatch.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import smtplib
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SECRET = "whsec_" + "cGFydG5lcmZsb3ctYmVuY2gtc2lnbmluZy1rZXktMzI="  # 32 bytes, base64
LOCAL = frozenset({"127.0.0.1"})
REPORT = ROOT / "docs" / "performance-dispatch.md"
TARGET_PER_SECOND, TARGET_TIMES_NAIVE = 1000, 20


class Result(NamedTuple):
    channel: str
    mode: str
    deliveries: int
    seconds: float
    cpu_seconds: float  # of the sending process
    receiver_cpu_seconds: float

    @property
    def per_second(self) -> float:
        return self.deliveries / self.seconds


# ---------------------------------------------------------------------------------------------
# The receiver (child process)


COUNTS = {"webhook": 0, "email": 0}
SLOW_ANSWER_S = 0.02  # under /slow/: a receiver across a network, answering in about 20 ms


async def receive_webhook(scope, receive, send) -> None:
    """A minimal ASGI app: reads the body, counts it, answers 200 "ok"; GET /count reports."""
    more = True
    while more:
        event = await receive()
        more = event.get("more_body", False)
    if scope["method"] == "GET":
        body = json.dumps(COUNTS).encode()
    else:
        if scope["path"].startswith("/slow/"):
            await asyncio.sleep(SLOW_ANSWER_S)
        COUNTS["webhook"] += 1
        body = b"ok"
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class MailCounter:
    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd names its hooks so
        COUNTS["email"] += 1
        return "250 OK"


async def serve(http_port: int, smtp_port: int) -> None:
    import uvicorn
    from aiosmtpd.smtp import SMTP

    loop = asyncio.get_running_loop()
    await loop.create_server(lambda: SMTP(MailCounter(), hostname="receiver.local"), "127.0.0.1", smtp_port)
    config = uvicorn.Config(receive_webhook, host="127.0.0.1", port=http_port, http="httptools", loop="asyncio",
                            lifespan="off", access_log=False, log_level="warning", workers=1)
    await uvicorn.Server(config).serve()


class Receiver:
    """The child process serving webhooks and email; `counts()` asks it what it took."""

    def __init__(self) -> None:
        self.http_port, self.smtp_port = free_port(), free_port()
        command = [sys.executable, __file__, "--serve", str(self.http_port), str(self.smtp_port)]
        self.process = subprocess.Popen(command)
        self.url = f"http://127.0.0.1:{self.http_port}"

    def wait_ready(self, attempts: int = 100) -> None:
        import httpx

        for _ in range(attempts):
            try:
                self.counts()
                socket.create_connection(("127.0.0.1", self.smtp_port), timeout=1).close()
                return
            except (OSError, httpx.TransportError):
                time.sleep(0.1)
        raise SystemExit("the receiver did not start")

    def counts(self) -> dict[str, int]:
        import httpx

        return httpx.get(f"{self.url}/count", timeout=5).json()

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# What is sent


def messages(count: int):
    """Rendered-looking notifications: a subject, ~0.5 KB of text, ~1.5 KB of HTML, a data payload."""
    from partnerflow.notify.message import Message

    text = "A task is waiting for you on the Acme & Globex partnership.\n" * 8
    html = "<p>A task is waiting for you on the <b>Acme &amp; Globex</b> partnership.</p>\n" * 18
    for number in range(count):
        data = {"task": {"id": number, "criterion": "business_case_approved", "due": "2026-12-04"},
                "partnership": {"id": number % 500, "name": "Acme & Globex", "phase": "alignment"},
                "action_url": f"https://partnerflow.example.org/tasks/{number}?token=abc"}
        yield Message(f"msg_{number:08d}", "task.opened", f"Task {number}: supply the business case", text, html,
                      data, {"text": f"Task {number}"}, {"type": "message", "attachments": []})


def smtp_settings(receiver: Receiver):
    from partnerflow.notify.channels import SmtpSettings

    return SmtpSettings(host="127.0.0.1", port=receiver.smtp_port, security="none",
                        sender="Partnerflow <noreply@partnerflow.example.org>", timeout=10.0)


def webhook_target(receiver: Receiver, prefix: str):
    from partnerflow.notify.message import Target

    return lambda number: Target("webhook", f"{receiver.url}{prefix}{number % 7}", SECRET)


def email_target(number: int):
    from partnerflow.notify.message import Target

    return Target("email", f"owner{number % 97}@partnerflow.example.org")


# ---------------------------------------------------------------------------------------------
# Modes


def naive_webhooks(receiver: Receiver, count: int, prefix: str) -> None:
    import httpx

    from partnerflow.notify.channels.webhook import webhook_request

    for number, message in enumerate(messages(count)):
        body, headers = webhook_request(message, SECRET, int(time.time()))
        response = httpx.post(f"{receiver.url}{prefix}{number % 7}", content=body,
                              headers={"content-type": "application/json", **headers})
        response.raise_for_status()


def naive_emails(receiver: Receiver, count: int) -> None:
    from partnerflow.notify.channels.mime import compose, envelope_sender

    smtp = smtp_settings(receiver)
    for number, message in enumerate(messages(count)):
        email = compose(message, email_target(number).address, smtp.sender, int(time.time()))
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as connection:
            connection.send_message(email, from_addr=envelope_sender(smtp.sender))


def pooled(receiver: Receiver, count: int, target_of, batch: int, concurrency: int) -> None:
    """deliver_all per batch, as engine.dispatch.deliver does: asyncio.run and a new pooled client."""
    import httpx

    from partnerflow.engine import clock
    from partnerflow.notify.channels import CheckedClient, deliver_all

    smtp = smtp_settings(receiver)
    items = [(message, target_of(number)) for number, message in enumerate(messages(count))]
    now = clock.now()  # one clock per run, as the dispatch takes it: signatures and Date headers

    async def run(chunk):
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with CheckedClient(allow_hosts=LOCAL, timeout=httpx.Timeout(10.0), limits=limits) as http:
            return await deliver_all(chunk, http=http, smtp=smtp, timestamp=lambda: int(now.timestamp()),
                                     concurrency=concurrency)

    for start in range(0, count, batch):
        failures = [d.error for d in asyncio.run(run(items[start:start + batch])) if not d.ok]
        if failures:
            raise SystemExit(f"{len(failures)} deliveries failed, e.g. {failures[0]}")


def timed(receiver: Receiver, channel: str, mode: str, count: int, send: Callable[[], None]) -> Result:
    counter = "email" if channel == "email" else "webhook"
    before, cpu_before, receiver_before = receiver.counts()[counter], cpu_seconds(), receiver.cpu_seconds()
    started = time.perf_counter()
    send()
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu_before
    receiver_cpu = receiver.cpu_seconds() - receiver_before
    taken = receiver.counts()[counter] - before
    if taken != count:
        raise SystemExit(f"{channel} {mode}: the receiver took {taken} of {count}")
    result = Result(channel, mode, count, seconds, cpu, receiver_cpu)
    print(f"  {channel:24} {mode:32} {count:>7,} in {seconds:6.2f} s = {result.per_second:6,.0f}/s", flush=True)
    return result


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_modes(receiver: Receiver, n: int, batch: int, concurrency: int) -> list[Result]:
    """Each row: (channel, mode, notifications, how to send them)."""
    fast, slow = webhook_target(receiver, "/hooks/"), webhook_target(receiver, "/slow/")
    slow_channel = f"webhook, {SLOW_ANSWER_S * 1000:.0f} ms receiver"
    rows = [
        ("webhook", "naive", n // 20, lambda k: naive_webhooks(receiver, k, "/hooks/")),
        ("webhook", "deliver_all, concurrency 1", n // 5, lambda k: pooled(receiver, k, fast, batch, 1)),
        ("webhook", f"deliver_all, concurrency {concurrency}", n,
         lambda k: pooled(receiver, k, fast, batch, concurrency)),
        ("webhook", "deliver_all, concurrency 50", n // 5, lambda k: pooled(receiver, k, fast, batch, 50)),
        (slow_channel, "naive", n // 100, lambda k: naive_webhooks(receiver, k, "/slow/")),
        (slow_channel, "deliver_all, concurrency 1", n // 50, lambda k: pooled(receiver, k, slow, batch, 1)),
        (slow_channel, "deliver_all, concurrency 10", n // 5, lambda k: pooled(receiver, k, slow, batch, 10)),
        (slow_channel, "deliver_all, concurrency 50", n // 5, lambda k: pooled(receiver, k, slow, batch, 50)),
        ("email", "naive", n // 20, lambda k: naive_emails(receiver, k)),
        ("email", "deliver_all, 1 connection per batch", n,
         lambda k: pooled(receiver, k, email_target, batch, concurrency)),
    ]
    return [timed(receiver, channel, mode, max(count, 20), partial(send, max(count, 20)))
            for channel, mode, count, send in rows]


# ---------------------------------------------------------------------------------------------
# Report


def table(results: list[Result]) -> str:
    naive = {r.channel: r.per_second for r in results if r.mode == "naive"}
    lines = ["| channel | mode | deliveries | seconds | per second | × naive | CPU ms per delivery: sender, receiver |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r.channel} | {r.mode} | {r.deliveries:,} | {r.seconds:.2f} | {r.per_second:,.0f} | "
                     f"{r.per_second / naive[r.channel]:.1f} | {1000 * r.cpu_seconds / r.deliveries:.2f}, "
                     f"{1000 * r.receiver_cpu_seconds / r.deliveries:.2f} |")
    return "\n".join(lines)


def verdict(results: list[Result]) -> str:
    webhook = [r for r in results if r.channel == "webhook"]
    naive = next(r for r in webhook if r.mode == "naive").per_second
    best = max((r for r in webhook if r.mode != "naive"), key=lambda r: r.per_second)
    met = best.per_second >= TARGET_PER_SECOND and best.per_second >= TARGET_TIMES_NAIVE * naive
    return (f"Target: ≥ {TARGET_PER_SECOND:,} webhook deliveries per second and ≥ {TARGET_TIMES_NAIVE}× naive: "
            f"{'met' if met else 'NOT met'} ({best.mode}: {best.per_second:,.0f}/s, "
            f"{best.per_second / naive:.0f}× naive).")


def machine(load_before: str) -> str:
    import httpcore
    import httpx

    return (f"{os.cpu_count()} cores (1-minute load average {load_before} before, {load_average()} after), "
            f"Python {platform.python_version()}, httpx {httpx.__version__}, httpcore {httpcore.__version__}, "
            f"{platform.system()} {platform.release()}")


def load_average() -> str:
    return f"{os.getloadavg()[0]:.2f}"


def report(results: list[Result], args, load_before: str) -> str:
    slow = f"{SLOW_ANSWER_S * 1000:.0f}"
    return f"""## Notification dispatch: delivery throughput

`python bench/dispatch.py --count {args.count} --batch {args.batch} --concurrency {args.concurrency}` on
{machine(load_before)}.

{table(results)}

{verdict(results)}

**Method.** One process delivers, another receives, everything on 127.0.0.1. The receiver is
a uvicorn server (one worker, httptools, asyncio loop) running a minimal ASGI app that reads
the body and answers 200 "ok" (at once, or after {slow} ms in the "{slow} ms receiver" rows,
like an endpoint across a network), and on the same event loop an aiosmtpd server
that accepts every email. The receiver is not the bottleneck: its CPU per webhook (last
column) is a fraction of the sender's, so it idles most of its core; every mode checks that
it counted every delivery. Webhooks are signed (Standard Webhooks) and emails composed
(multipart text + HTML) in every mode, naive ones included.

- *naive*: one synchronous `httpx.post` per webhook without a client: each builds a client
  (loading the CA bundle, about 20 ms here), opens a TCP connection, sends, closes. For email,
  a new SMTP connection per email (connect, EHLO, MAIL, RCPT, DATA, QUIT).
- *deliver_all*: `notify.channels.deliver_all` called as `engine.dispatch.deliver` calls it:
  per batch of {args.batch}, `asyncio.run` and one pooled `CheckedClient` (HTTP/1.1 keep-alive,
  `max_connections` = concurrency). Email goes over one SMTP connection per batch (smtplib in
  a worker thread), one message after another.
- Smaller counts for the slow modes (the deliveries column); per-second figures compare.

**What the figures say.** Keep-alive is most of the gain over naive. On loopback the sender
is CPU-bound in httpx/httpcore (the CPU column), so more requests in flight do not help, and
past a few connections they hurt: httpcore {httpcore_version()}'s pool walks every pooled connection
whenever a request starts or ends (a quadratic `is_idle` count, plus a `poll()` of every idle
socket), so the sender's CPU per delivery grows with the pool (encode/httpcore#1035). With a
receiver that takes {slow} ms, requests in flight are what throughput is made of, up to the
point where that pool cost takes over: here 10 in flight beat 50. For the dispatch flow, a
concurrency near 10 suits receivers answering in tens of milliseconds; slower receivers gain
from more, at a few milliseconds of CPU per delivery. Email is bounded by composing (Python's
`email` package with its modern policy: about 1.7 ms of CPU per email here, kept for its
header checks and encodings) and by smtplib's one round trip per SMTP command (no
PIPELINING); one connection per batch saves each email's connect, EHLO and QUIT.
"""


def httpcore_version() -> str:
    import httpcore

    return httpcore.__version__


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000, help="notifications in the main modes")
    parser.add_argument("--batch", type=int, default=500, help="items per deliver_all call (engine default 500)")
    parser.add_argument("--concurrency", type=int, default=4, help="HTTP requests in flight in the main webhook row")
    parser.add_argument("--no-write", action="store_true", help=f"do not write {REPORT.relative_to(ROOT)}")
    parser.add_argument("--serve", nargs=2, type=int, metavar=("HTTP_PORT", "SMTP_PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(*args.serve))
        return
    load_before, receiver = load_average(), Receiver()
    try:
        receiver.wait_ready()
        results = run_modes(receiver, args.count, args.batch, args.concurrency)
    finally:
        receiver.stop()
    print("\n" + table(results) + "\n\n" + verdict(results))
    if not args.no_write:
        REPORT.write_text(report(results, args, load_before))
        print(f"\nwritten: {REPORT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
