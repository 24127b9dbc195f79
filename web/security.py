"""What every response carries, and the bounds every request stays within.

Security headers: a CSP with no inline script or style, no framing, no sniffing, and no
Referer (task and sign-in links carry their token in the URL). Request bodies are bounded
before the app reads them: a larger body is refused with 413, whatever its Content-Length says.
A NUL character anywhere in a request (path, query, form, JSON `\u0000`) is refused with 400:
no person types it, and PostgreSQL cannot store it in text (it would fail deep in a write).
"""

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY = 2 * 1024 * 1024 + 64 * 1024  # an import document (2 MiB) and its form envelope
HEADERS = [
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                                 b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]
NUL = (b"\x00", b"%00", b"\\u0000")  # raw, URL-encoded, JSON-escaped


def error(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "field": None, "line": None}}).encode()


TOO_LARGE = (413, error("too_large", f"the request body is larger than {MAX_BODY} bytes"))
HAS_NUL = (400, error("bad_request", "the request contains a NUL character, which Partnerflow does not accept"))


class Guard:
    """ASGI middleware: security headers on every response, and a bounded request body."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY) -> None:
        self.app, self.max_body = app, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            return await self._refuse(send, TOO_LARGE)
        if "\x00" in scope["path"] or any(nul in scope["query_string"] for nul in NUL):
            return await self._refuse(send, HAS_NUL)
        received, started, tail = 0, False, b""

        async def bounded_receive() -> Message:
            nonlocal received, tail
            message = await receive()
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_body:
                raise Refused(TOO_LARGE)
            if any(nul in tail + chunk for nul in NUL):  # the tail: a `\u0000` split between two chunks
                raise Refused(HAS_NUL)
            tail = chunk[-5:]
            return message

        async def headed_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in HEADERS if h[0] not in names)]
            await send(message)

        try:
            await self.app(scope, bounded_receive, headed_send)
        except Refused as refused:
            if not started:
                await self._refuse(send, refused.answer)

    @staticmethod
    async def _refuse(send: Send, answer: tuple[int, bytes]) -> None:
        status, body = answer
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), *HEADERS]})
        await send({"type": "http.response.body", "body": body})


class Refused(Exception):
    def __init__(self, answer: tuple[int, bytes]) -> None:
        self.answer = answer
