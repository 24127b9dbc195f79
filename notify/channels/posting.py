"""One JSON POST over the caller's pooled client, its outcome as a Delivery.

Failures are classified, never raised: 2xx delivers; 5xx, 408, 429, timeouts and connection
errors are worth retrying; any other status is permanent. A host the client refused to connect
to (notify/channels/connections.py checks every address it resolves) is a permanent failure,
unless the name did not resolve. Logs name the origin only (scheme and host): a Slack or
Teams URL is itself the secret.
"""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import urlsplit

import httpx

from partnerflow.notify.message import Delivery, delivered, failed
from partnerflow.notify.targets import InvalidTarget, UnresolvableHost

log = logging.getLogger(__name__)
RETRYABLE_STATUSES = frozenset({408, 429})
SNIPPET_BYTES = 2048  # of an answer's body that is read; the rest is not


async def post_payload(http: httpx.AsyncClient, url: str, payload: dict) -> Delivery:
    """POST a rendered payload as it is (Slack, Teams); an empty or non-JSON one is a permanent failure."""
    if not payload:
        return failed("the message has no payload for this channel", retryable=False)
    try:
        body = json.dumps(payload, ensure_ascii=False).encode()
    except (TypeError, ValueError) as error:
        return failed(f"the payload is not JSON ({error})", retryable=False)
    return await post_json(http, url, body, {})


async def post_json(http: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]) -> Delivery:
    """POST body (JSON bytes) to url; never follows redirects.

    The answer is read (so the connection goes back to the pool) up to SNIPPET_BYTES; a longer
    answer is cut and its connection closed.
    """
    started = time.perf_counter()
    headers = {"content-type": "application/json", **headers}
    try:
        async with http.stream("POST", url, content=body, headers=headers, follow_redirects=False) as response:
            snippet = await read_snippet(response)
    except httpx.HTTPError as error:
        outcome = transport_failure(error, http.timeout)
    except httpx.InvalidURL:
        outcome = failed("not a valid URL", retryable=False)
    except InvalidTarget as error:  # raised by the client's CheckedNetwork, before anything was sent
        outcome = refused(error)
    else:
        outcome = status_outcome(response.status_code, snippet)
    outcome = outcome._replace(duration_ms=(time.perf_counter() - started) * 1000)
    log_outcome(url, outcome)
    return outcome


def refused(error: InvalidTarget) -> Delivery:
    """A target that is not sent to: permanent, except a name that did not resolve (it may later)."""
    log.info("target refused: %s", error.reason)
    return failed(f"invalid target: {error.reason}", retryable=isinstance(error, UnresolvableHost))


async def read_snippet(response: httpx.Response) -> bytes:
    """The start of the answer's body; a body that cannot be decoded counts as empty."""
    snippet = b""
    try:
        async for chunk in response.aiter_bytes():
            snippet += chunk
            if len(snippet) >= SNIPPET_BYTES:
                break
    except httpx.DecodingError:
        return b""
    return snippet[:SNIPPET_BYTES]


def status_outcome(status: int, snippet: bytes) -> Delivery:
    if 200 <= status < 300:
        return delivered(status, 0.0)
    retryable = status >= 500 or status in RETRYABLE_STATUSES
    return failed(status_reason(status, snippet), retryable=retryable, status_code=status)


def status_reason(status: int, snippet: bytes) -> str:
    """ "HTTP 404", followed by the start of a short text answer such as Slack's "no_service"."""
    text = " ".join(snippet.decode("utf-8", "replace").split())[:80]
    return f"HTTP {status}: {text}" if text and not text.startswith(("<", "{", "[")) else f"HTTP {status}"


def transport_failure(error: httpx.HTTPError, timeout: httpx.Timeout) -> Delivery:
    if isinstance(error, httpx.TimeoutException):
        return failed(timeout_reason(error, timeout), retryable=True)
    if isinstance(error, httpx.ConnectError):
        return failed(connect_reason(error), retryable=True)
    if isinstance(error, httpx.RemoteProtocolError):
        return failed("the receiver closed the connection without an answer", retryable=True)
    if isinstance(error, httpx.TransportError) and not isinstance(error, httpx.UnsupportedProtocol):
        return failed(f"transport error ({type(error).__name__})", retryable=True)
    return failed(f"request not sent ({type(error).__name__})", retryable=False)


def timeout_reason(error: httpx.TimeoutException, timeout: httpx.Timeout) -> str:
    phase = {httpx.ConnectTimeout: "connect", httpx.WriteTimeout: "write", httpx.PoolTimeout: "pool"}
    seconds = getattr(timeout, phase.get(type(error), "read"))
    return "timed out" if seconds is None else f"timed out after {float(seconds)} s"


def connect_reason(error: httpx.ConnectError) -> str:
    chain, cause = [], error
    while cause is not None and len(chain) < 8:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    if any(isinstance(c, ConnectionRefusedError) or "refused" in str(c).lower() for c in chain):
        return "connection refused"
    return "connection failed"


def origin(url: str) -> str:
    """scheme://host[:port] of a URL: safe to log, unlike a Slack or Teams webhook URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def log_outcome(url: str, outcome: Delivery) -> None:
    if outcome.ok:
        log.debug("delivered to %s in %.1f ms", origin(url), outcome.duration_ms)
    else:
        log.info("delivery to %s failed: %s", origin(url), outcome.error)
