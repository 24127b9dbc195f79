"""The program office's portfolio, one partnership (its pyramid and gate report), and the policy."""

from datetime import date

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from partnerflow import engine
from partnerflow.web.auth import check_csrf, csrf_token, signed_in
from partnerflow.web.figures import metric_chart, pyramid_figure
from partnerflow.web.templating import render

router = APIRouter()
MAX_POLICY_BYTES = 2 * 1024 * 1024


def policy() -> engine.Policy:
    return engine.policy_in_force(engine.get_settings().policy_path)


@router.get("/")
def portfolio(request: Request, program: str | None = Query(None, max_length=100),
              phase: str | None = Query(None, max_length=40), state: str | None = Query(None, max_length=40),
              blocker: str | None = Query(None, max_length=100), owner: str | None = Query(None, max_length=320),
              text: str | None = Query(None, max_length=200), sort: str = Query("key", max_length=20),
              descending: bool = False, page: int = Query(1, ge=1, le=100_000)) -> Response:
    visitor = signed_in(request)
    if not visitor.actor.internal:  # people of outside parties see their own partnerships' gates and tasks
        return RedirectResponse("/me/tasks", status_code=303)
    filters = {k: v or None for k, v in dict(program=program, phase=phase, state=state, blocker=blocker, owner=owner,
                                             text=text).items()}
    with engine.transaction() as session:
        overview = request.app.state.overviews.overview(session, policy(), as_of=engine.today())
        try:
            table = engine.partnership_rows(session, **filters, sort=sort, descending=descending, page=page)
            problem = None
        except ValueError as invalid:
            table, problem = {"rows": [], "total": 0, "page": 1, "per_page": 50, "pages": 1}, str(invalid)
    return HTMLResponse(render("portfolio.html.j2", overview=overview, table=table, filters=filters, sort=sort,
                               descending=descending, problem=problem, phases=engine.PHASES, states=engine.STATES,
                               sorts=engine.PARTNERSHIP_SORTS, visitor=visitor, csrf=csrf_token(visitor.nonce)))


@router.get("/partnerships/{key}")
def partnership(request: Request, key: str,
                as_of: date | None = Query(None, ge=engine.FIRST_DAY, le=engine.LAST_DAY)) -> Response:
    visitor = signed_in(request)
    with engine.transaction() as session:
        view = engine.partnership_view(session, policy(), key[:100], viewer=visitor.actor,
                                       as_of=as_of or engine.today())
    figure = pyramid_figure(view["practices"], figure_id="pyramid", title=f"The nine practices of {view['status']['name']}")
    charts = [metric_chart(m["name"], m["target"], m["direction"], m["unit"], m["measurements"],
                           chart_id=f"chart-{n}") for n, m in enumerate(view["metrics"])]
    return HTMLResponse(render("partnership.html.j2", view=view, status=view["status"], pyramid_fig=figure,
                               charts=charts, visitor=visitor, csrf=csrf_token(visitor.nonce)))


@router.get("/policy")
def policy_page(request: Request) -> Response:
    visitor = signed_in(request)
    return HTMLResponse(render("policy.html.j2", policy=policy(), flips=None, problem=None, visitor=visitor,
                               csrf=csrf_token(visitor.nonce)))


@router.post("/policy/what-if")
def what_if(request: Request, proposed: UploadFile = File(...), csrf_token_: str = Form("", alias="csrf_token",
                                                                                           max_length=200)) -> Response:
    visitor = signed_in(request)
    check_csrf(csrf_token_, visitor.nonce)
    if not visitor.actor.internal:
        raise engine.AccessRefused("the what-if runs over the whole portfolio: the program office's to try")
    raw = proposed.file.read(MAX_POLICY_BYTES + 1)
    name = (proposed.filename or "proposed.yaml")[:200]
    try:
        flips = engine.what_if(engine.ready_engine(), policy(), engine.policy_document(name, raw), engine.today())
        problem = None
    except engine.InvalidDocument as invalid:
        flips, problem = None, invalid
    return HTMLResponse(render("policy.html.j2", policy=policy(), flips=flips, problem=problem, visitor=visitor,
                               csrf=csrf_token(visitor.nonce)), status_code=422 if problem else 200)
