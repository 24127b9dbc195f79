"""One mapping from what the engine refuses to an HTTP status, for the pages and the API alike.

The API answers `{"error": {"code", "message", "field", "line"}}`; a page answers an error page
with the same status and message.
"""

from typing import NamedTuple

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from partnerflow import engine
from partnerflow.web.auth import NotSignedIn
from partnerflow.web.templating import render


class Problem(NamedTuple):
    status: int
    code: str
    message: str
    field: str | None = None
    line: int | None = None
    errors: tuple = ()


def problem_of(exc: Exception) -> Problem:
    if isinstance(exc, NotSignedIn):
        return Problem(401, "not_signed_in", str(exc) or "sign in first (a page: /sign-in; the API: an "
                                                         "`Authorization: Bearer` token from `partnerflow token create`)")
    if isinstance(exc, engine.InvalidDocument):
        first = exc.errors[0] if exc.errors else None
        return Problem(422, "invalid", str(exc), first.field if first else None, first.line if first else None,
                       tuple({"source": e.source, "line": e.line, "field": e.field, "message": e.message}
                             for e in exc.errors))
    if isinstance(exc, engine.LinkRefused):
        gone = "expired" in str(exc) or "already used" in str(exc)
        return Problem(410 if gone else 403, "link_gone" if gone else "link_refused", str(exc))
    if isinstance(exc, engine.NotFound):
        return Problem(404, "not_found", str(exc))
    if isinstance(exc, engine.Conflict):
        return Problem(409, "conflict", str(exc))
    if isinstance(exc, (engine.AccessRefused, engine.DecisionRefused, engine.TaskRefused, engine.MemberRefused)):
        return Problem(403, "refused", str(exc))
    if isinstance(exc, RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path"))
        return Problem(422, "invalid", f"{where or 'request'}: {first.get('msg', 'invalid')}", where or None)
    if isinstance(exc, HTTPException):
        return Problem(exc.status_code, {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http"),
                       str(exc.detail))
    return Problem(400, "bad_request", str(exc))


def error_body(found: Problem) -> dict:
    body = {"code": found.code, "message": found.message, "field": found.field, "line": found.line}
    return {"error": {**body, "errors": list(found.errors)} if found.errors else body}


async def handle(request: Request, exc: Exception) -> Response:
    found = problem_of(exc)
    if request.url.path.startswith("/api/"):
        headers = dict(getattr(exc, "headers", None) or {})  # e.g. 405's Allow
        if found.status == 401:
            headers["www-authenticate"] = "Bearer"
        return JSONResponse(error_body(found), status_code=found.status, headers=headers)
    if isinstance(exc, NotSignedIn) and request.method == "GET":
        return RedirectResponse(f"/sign-in?next={request.url.path}", status_code=303)
    return HTMLResponse(render("error.html.j2", problem=found, visitor=None, csrf=None), status_code=found.status)


HANDLED = (NotSignedIn, engine.InvalidDocument, engine.LinkRefused, engine.NotFound, engine.Conflict,
           engine.AccessRefused, engine.DecisionRefused, engine.TaskRefused, engine.MemberRefused,
           RequestValidationError, HTTPException, ValueError)
