"""The task page an action link opens, and a person's own tasks.

With `?token=` (the notification's link) the page needs no sign-in and acts only as the person
the link was made for; its forms carry the token and a CSRF token derived from it. Signed in,
the page acts as the session's person. Either way the engine decides who may act.

A link refused (used, expired, changed, or its person no longer on the task) answers the error
page with its status (410/403) and a button asking for a fresh link; that form works before any
session (the sign-in form's `pf_pre` cookie), and the link goes to the task's current assignee,
never to whoever pressed it.
"""

import functools
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from partnerflow import engine
from partnerflow.web import events
from partnerflow.web.auth import Signed, check_csrf, csrf_token, secret, signed_in
from partnerflow.web.errors import problem_of
from partnerflow.web.signin import check_pre, pre_page
from partnerflow.web.templating import render

router = APIRouter()
MAX_NOTE = 2_000
TaskId = Annotated[int, Path(ge=1, le=2**31 - 1)]  # bounded: a database integer
MAX_EVIDENCE = 200_000  # characters of YAML typed into the task page


class Acting:
    """Who acts on a task page: the link's person, or the signed-in person."""

    def __init__(self, request: Request, token: str | None) -> None:
        self.token = (token or "")[:2000] or None
        self.visitor: Signed | None = None
        if self.token:
            with engine.transaction() as session:
                link = engine.usable_link(session, secret(), self.token, now=engine.now())
            self.person_id, self.nonce = link.person_id, f"link\x1f{self.token}"
        else:
            self.visitor = signed_in(request)
            self.person_id, self.nonce = self.visitor.actor.id, self.visitor.nonce

    def email(self, session) -> str:
        return engine.actor(session, self.person_id).email


def _task_page(acting: Acting, task_id: TaskId, *, problem=None, evidence: str = "", status: int = 200) -> Response:
    with engine.transaction() as session:
        task = engine.task_detail(session, task_id, person_id=acting.person_id)
    html = render("task.html.j2", task=task, token=acting.token, visitor=acting.visitor,
                  csrf=csrf_token(acting.nonce), problem=problem, evidence=evidence)
    return HTMLResponse(html, status_code=status)


def _fresh_link_offered(route):
    """A task link's route: when the link is refused, its error page offers a fresh link."""
    @functools.wraps(route)
    def offering(**kwargs) -> Response:
        try:
            return route(**kwargs)
        except engine.LinkRefused as refused:
            found = problem_of(refused)
            return pre_page(kwargs["request"], "error.html.j2", status=found.status, problem=found,
                            fresh_link=kwargs["task_id"])
    return offering


@router.get("/tasks/{task_id}")
@_fresh_link_offered
def task_page(request: Request, task_id: TaskId, token: str | None = None) -> Response:
    return _task_page(Acting(request, token), task_id)


@router.post("/tasks/{task_id}/done")
@_fresh_link_offered
def task_done(request: Request, task_id: TaskId, note: str = Form("", max_length=MAX_NOTE),
              token: str | None = Form(None, max_length=2000), csrf_token: str = Form("", max_length=200)) -> Response:
    acting = Acting(request, token)
    check_csrf(csrf_token, acting.nonce)
    with engine.transaction() as session:
        if acting.token:
            engine.complete_task_by_link(session, acting.token, secret=secret(), note=note, now=engine.now())
        else:
            engine.complete_task(session, task_id, by=acting.email(session), note=note, now=engine.now())
    if acting.token:  # the link is used now: the page answers here, it cannot be opened with it again
        acting.token = None
        return _task_page(acting, task_id)
    return RedirectResponse(_back(task_id, None), status_code=303)


@router.post("/tasks/{task_id}/evidence")
@_fresh_link_offered
def task_evidence(request: Request, task_id: TaskId, evidence: str = Form(..., max_length=MAX_EVIDENCE),
                  token: str | None = Form(None, max_length=2000),
                  csrf_token: str = Form("", max_length=200)) -> Response:
    """Supply the evidence the task asks for, then review the partnership at once, so the task
    closes (or says what is still missing) on the page the owner is looking at."""
    acting = Acting(request, token)
    check_csrf(csrf_token, acting.nonce)
    moment = engine.now()
    with engine.transaction() as session:
        task = engine.task_detail(session, task_id, person_id=acting.person_id)
        by = acting.email(session)
    try:
        with engine.transaction() as session:
            summary = engine.supply_evidence(session, task["partnership"]["key"], evidence, by=by, now=moment)
    except engine.InvalidDocument as invalid:
        return _task_page(acting, task_id, problem=invalid, evidence=evidence, status=422)
    if any(summary):
        events.evidence_changed(task["partnership"]["key"])
    settings = engine.get_settings()
    engine.review_all(engine.ready_engine(), engine.policy_in_force(settings.policy_path), moment.date(),
                      batch_size=settings.review_batch_size, keys=[task["partnership"]["key"]], now=moment,
                      requested_by=by)
    return RedirectResponse(_back(task_id, acting.token), status_code=303)


@router.post("/tasks/{task_id}/fresh-link")
def fresh_link(request: Request, task_id: TaskId, csrf_token: str = Form("", max_length=200)) -> Response:
    """Send the task's current assignee a fresh link (if the task is open, at most one every few
    minutes). The answer is the same whether a link went out or not: it tells nothing of the task."""
    check_pre(request, csrf_token)
    with engine.transaction() as session:
        engine.resend_task_link(session, task_id, now=engine.now())
    return HTMLResponse(render("fresh_link.html.j2", visitor=None, csrf=None))


def _back(task_id: TaskId, token: str | None) -> str:
    return f"/tasks/{task_id}" + (f"?token={token}" if token else "")


@router.get("/me/tasks")
def my_tasks(request: Request) -> Response:
    visitor = signed_in(request)
    with engine.transaction() as session:
        tasks = engine.task_listing(session, owner=visitor.actor.email, as_of=engine.today())
    return HTMLResponse(render("my_tasks.html.j2", tasks=tasks, visitor=visitor, csrf=csrf_token(visitor.nonce)))

