"""Gate reviews in the browser: the partnerships waiting for a gatekeeper, and their votes."""

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from partnerflow import engine
from partnerflow.web.auth import check_csrf, csrf_token, signed_in
from partnerflow.web.pages import policy
from partnerflow.web.templating import render

router = APIRouter()


def _page(request: Request, *, outcome=None, problem=None, status: int = 200) -> Response:
    visitor = signed_in(request)
    with engine.transaction() as session:
        queue = engine.gate_queue(session, policy(), gatekeeper=visitor.actor.email, as_of=engine.today())
    return HTMLResponse(render("gates.html.j2", queue=queue, outcome=outcome, problem=problem, visitor=visitor,
                               verdicts=engine.VERDICTS, csrf=csrf_token(visitor.nonce)), status_code=status)


@router.get("/gates")
def gates(request: Request) -> Response:
    return _page(request)


@router.post("/gates/{key}/decide")
def decide(request: Request, key: str, verdict: str = Form(..., max_length=20),
           reason: str = Form(..., max_length=2000), condition: str = Form("", max_length=2000),
           csrf_token_: str = Form("", alias="csrf_token", max_length=200)) -> Response:
    visitor = signed_in(request)
    check_csrf(csrf_token_, visitor.nonce)
    try:
        with engine.transaction() as session:
            outcome = engine.decide(session, policy(), key[:100], verdict, by=visitor.actor.email, reason=reason,
                                    condition=condition.strip() or None, now=engine.now())
    except (engine.DecisionRefused, engine.Conflict) as refused:
        return _page(request, problem=f"{key}: {refused}", status=409 if isinstance(refused, engine.Conflict) else 403)
    if outcome.state != "ready":
        return RedirectResponse(f"/partnerships/{key}", status_code=303)
    return _page(request, outcome=outcome)
