"""The REST API under /api/v1, for other systems: a person's bearer token, the engine's rules.

Every error is `{"error": {"code", "message", "field", "line"}}` (web/errors.py); bodies are
bounded (web/security.py and each field's own limit). Writes name the token's person in the audit log.
"""

import json
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from partnerflow import engine
from partnerflow.web import events
from partnerflow.web.auth import api_actor

router = APIRouter(tags=["partnerflow"])
Actor = engine.Actor
TaskId = Annotated[int, Path(ge=1, le=2**31 - 1)]  # bounded: a database integer


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None
    line: int | None
    errors: list[dict[str, Any]] | None = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


ERRORS = {status: {"model": ErrorResponse, "description": words} for status, words in (
    (400, "bad request"), (401, "not signed in"), (403, "not allowed"), (404, "not found"), (409, "conflict"),
    (413, "too large"), (422, "invalid"))}
SECTIONS = Literal[engine.EVIDENCE_SECTIONS]  # type: ignore[valid-type]
LIST_SECTIONS = Literal[engine.LIST_SECTIONS]  # type: ignore[valid-type]
PHASES = Literal[engine.PHASES]  # type: ignore[valid-type]
STATES = Literal[engine.STATES]  # type: ignore[valid-type]
SORTS = Literal[engine.PARTNERSHIP_SORTS]  # type: ignore[valid-type]
FIRST_DAY, LAST_DAY = engine.FIRST_DAY, engine.LAST_DAY  # the dates evidence may carry (docs/import-format.md)
WORDS = r"\S"  # at least one visible character: a blank reason or note is invalid (422), not refused (403)


def policy() -> engine.Policy:
    return engine.policy_in_force(engine.get_settings().policy_path)


def program_office(actor: Actor) -> None:
    if not actor.internal:
        raise engine.AccessRefused(f"{actor.email} is of an outside party: the portfolio is the program office's")


class PartnershipRow(BaseModel):
    key: str
    name: str
    kind: str
    program: str
    phase: str
    state: str
    owner: str
    phase_since: str
    blockers: list[str]
    open_tasks: int


class PartnershipPage(BaseModel):
    rows: list[PartnershipRow]
    total: int
    page: int
    per_page: int
    pages: int


class Decision(BaseModel):
    verdict: Literal[engine.VERDICTS]  # type: ignore[valid-type]
    reason: str = Field(min_length=1, max_length=2000, pattern=WORDS)
    condition: str | None = Field(None, max_length=2000, pattern=WORDS)


class DecisionResult(BaseModel):
    key: str
    verdict: str
    effect: str
    phase: str
    state: str
    condition_task: str | None = None


class Completion(BaseModel):
    note: str = Field(min_length=1, max_length=2000, pattern=WORDS)


class Reassignment(BaseModel):
    to: str = Field(min_length=3, max_length=320)


class Retry(BaseModel):
    ids: list[str] = Field(min_length=1, max_length=500)


class Count(BaseModel):
    count: int


class Summary(BaseModel):
    summary: str
    counts: dict[str, int]


class Task(BaseModel):
    id: int
    partnership: str
    kind: str
    criterion: str
    title: str
    explanation: str
    status: str
    assignee: str | None
    flagged: bool
    due_on: str
    overdue: bool
    created_at: str
    closed_at: str | None


@router.get("/partnerships", response_model=PartnershipPage, responses=ERRORS)
def list_partnerships(actor: Actor = Depends(api_actor), program: str | None = Query(None, max_length=100),
                      phase: PHASES | None = None, state: STATES | None = None,
                      blocker: str | None = Query(None, max_length=100, pattern=engine.CRITERION_ID), owner: str | None = Query(None, max_length=320),
                      text: str | None = Query(None, max_length=200),
                      sort: SORTS = "key",
                      descending: bool = False, page: int = Query(1, ge=1, le=100_000),
                      per_page: int = Query(50, ge=1, le=200)) -> dict:
    program_office(actor)
    with engine.transaction() as session:
        return engine.partnership_rows(session, program=program or None, phase=phase, state=state,
                                       blocker=blocker or None, owner=owner or None, text=text or None, sort=sort, descending=descending, page=page,
                                       per_page=per_page)


@router.get("/partnerships/{key}", response_model=dict[str, Any], responses=ERRORS)
def read_partnership(key: str, actor: Actor = Depends(api_actor),
                     as_of: date | None = Query(None, ge=FIRST_DAY, le=LAST_DAY)) -> dict:
    with engine.transaction() as session:
        view = engine.partnership_view(session, policy(), key[:100], viewer=actor, as_of=as_of or engine.today())
    return {**view["status"], "practices": [{"practice": p.practice.key, "status": p.status, "missing": list(p.missing)}
                                            for p in view["practices"]], "open_tasks": view["tasks"]}


class Review(BaseModel):
    id: int
    gate: str
    phase: str
    policy_version: str
    as_of: str
    passed: bool
    blockers: list[str]
    results: list[dict[str, Any]]
    created_at: str
    checked_at: str
    checked_as_of: str


class ReviewPage(BaseModel):
    reviews: list[Review]
    next_before: int | None = Field(description="pass as `before` for the next (older) page; null on the last")


@router.get("/partnerships/{key}/reviews", response_model=ReviewPage, responses=ERRORS)
def list_reviews(key: str, actor: Actor = Depends(api_actor),
                 before: int | None = Query(None, ge=1, le=2**31 - 1),  # a review id: a database integer
                 limit: int = Query(20, ge=1, le=100)) -> dict:
    """The partnership's gate reviews, newest first, with each criterion's result and explanation."""
    with engine.transaction() as session:
        return engine.review_listing(session, key[:100], viewer=actor, before=before, limit=limit)


@router.put("/partnerships/{key}/evidence/{section}", response_model=Summary, responses=ERRORS)
def put_evidence(key: str, section: SECTIONS, body: Any = Body(...), actor: Actor = Depends(api_actor)) -> dict:
    """Replace one evidence section, validated exactly as an import (the same shapes and errors)."""
    return _supply(key, {section: body}, actor)


@router.delete("/partnerships/{key}/evidence/{section}", response_model=Summary, responses=ERRORS)
def delete_evidence(key: str, section: LIST_SECTIONS, actor: Actor = Depends(api_actor)) -> dict:
    """Remove every entry of a list section (the business case and the communication plan are replaced with PUT)."""
    return _supply(key, {section: []}, actor)


def _supply(key: str, sections: dict, actor: Actor) -> dict:
    with engine.transaction() as session:
        summary = engine.supply_evidence(session, key[:100], json.dumps(sections, default=str), by=actor.email, now=engine.now(),
                                         source="request")
    if any(summary):
        events.evidence_changed(key[:100])
    return {"summary": str(summary), "counts": summary._asdict()}


@router.post("/partnerships/{key}/review", response_model=dict[str, Any], responses=ERRORS)
def review_now(key: str, actor: Actor = Depends(api_actor)) -> dict:
    """Review one partnership now (e.g. after its evidence changed), as the nightly review would."""
    with engine.transaction() as session:
        engine.readable(session, actor, key[:100])
    settings, moment = engine.get_settings(), engine.now()
    report = engine.review_all(engine.ready_engine(), policy(), moment.date(), batch_size=settings.review_batch_size,
                               keys=[key[:100]], now=moment, requested_by=actor.email)
    return {"reviewed": report.reviewed, "passed": report.passed, "advanced": report.advanced, "ready": report.ready,
            "tasks_opened": report.tasks_opened, "tasks_closed": report.tasks_closed}


@router.post("/partnerships/{key}/decisions", response_model=DecisionResult, responses=ERRORS)
def post_decision(key: str, decision: Decision, actor: Actor = Depends(api_actor)) -> dict:
    with engine.transaction() as session:
        outcome = engine.decide(session, policy(), key[:100], decision.verdict, by=actor.email,
                                reason=decision.reason, condition=decision.condition, now=engine.now())
    return outcome.__dict__


@router.get("/tasks", response_model=list[Task], responses=ERRORS)
def list_tasks(actor: Actor = Depends(api_actor), status: Literal["open", "done", "cancelled", "all"] = "open",
               overdue: bool = False) -> list[dict]:
    """The caller's tasks (the program office may add ?owner=… through the portfolio instead)."""
    with engine.transaction() as session:
        return engine.task_listing(session, owner=actor.email, status=status, overdue=overdue, as_of=engine.today())


@router.post("/tasks/{task_id}/complete", response_model=Task, responses=ERRORS)
def complete(task_id: TaskId, completion: Completion, actor: Actor = Depends(api_actor)) -> dict:
    with engine.transaction() as session:
        engine.complete_task(session, task_id, by=actor.email, note=completion.note, now=engine.now())
        return _task(session, task_id)


@router.post("/tasks/{task_id}/reassign", response_model=Task, responses=ERRORS)
def reassign(task_id: TaskId, reassignment: Reassignment, actor: Actor = Depends(api_actor)) -> dict:
    with engine.transaction() as session:
        engine.reassign_task(session, task_id, to=reassignment.to, by=actor.email, now=engine.now())
        return _task(session, task_id)


def _task(session, task_id: int) -> dict:
    return engine.task_listing(session, status="all", task=task_id, as_of=engine.today())[0]


@router.get("/notifications", response_model=list[dict[str, Any]], responses=ERRORS)
def list_notifications(actor: Actor = Depends(api_actor),
                       status: Literal["pending", "sending", "sent", "dead"] | None = None,
                       limit: int = Query(200, ge=1, le=1000)) -> list[dict]:
    program_office(actor)
    with engine.transaction() as session:
        return engine.notification_listing(session, status=status, limit=limit)


@router.post("/notifications/retry", response_model=Count, responses=ERRORS)
def retry(retry: Retry, actor: Actor = Depends(api_actor)) -> dict:
    program_office(actor)
    with engine.transaction() as session:
        return {"count": engine.retry_notifications(session, ids=[i[:40] for i in retry.ids], now=engine.now())}


@router.get("/policy", response_model=dict[str, Any], responses=ERRORS)
def read_policy(actor: Actor = Depends(api_actor)) -> dict:
    return policy().model_dump(mode="json", by_alias=True)


@router.post("/imports", response_model=Summary, responses=ERRORS,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/yaml": {"schema": {"type": "string"}}, "text/csv": {"schema": {"type": "string"}}}}})
async def post_import(request: Request, name: str = Query("import.yaml", max_length=200, pattern=r"^[\w.-]+\.(ya?ml|csv)$"),
                      actor: Actor = Depends(api_actor)) -> dict:
    """Import one document (YAML or CSV, as the CLI's `import`): all-or-nothing, errors with line and field."""
    if not (actor.internal and "program_manager" in actor.roles):
        raise engine.AccessRefused(f"{actor.email} may not import: the program office's program managers may")
    raw = await request.body()
    with engine.transaction() as session:
        summary = engine.import_documents(session, [(name, raw)], actor=actor.email, now=engine.now())
    return {"summary": str(summary), "counts": summary._asdict()}
