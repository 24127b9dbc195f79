"""What every response carries, and the bounds every request stays within.

Security headers: a CSP with no inline script or style, no framing, no sniffing, and no
Referer (task and sign-in links carry their token in the URL). Request bodies are bounded
before the app reads them: a larger body is refused with 413, whatever its Content-Length says.
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
TOO_LARGE = json.dumps({"error": {"code": "too_large", "message": f"the request body is larger than {MAX_BODY} bytes",
                                  "field": None, "line": None}}).encode()


class Guard:
    """ASGI middleware: security headers on every response, and a bounded request body."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY) -> None:
        self.app, self.max_body = app, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            return await self._refuse(send)
        received, started = 0, False

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body:
                raise BodyTooLarge
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
        except BodyTooLarge:
            if not started:
                await self._refuse(send)

    @staticmethod
    async def _refuse(send: Send) -> None:
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), *HEADERS]})
        await send({"type": "http.response.body", "body": TOO_LARGE})


class BodyTooLarge(Exception):
    pass
