"""The web application: pages for people, /api/v1 for other systems. `partnerflow serve` runs it."""

from importlib.resources import files

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from partnerflow import __version__, engine
from partnerflow.web import api, gates, pages, signin, tasks
from partnerflow.web.errors import HANDLED, handle
from partnerflow.web.security import Guard


def create_app() -> FastAPI:
    app = FastAPI(title="Partnerflow", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url="/api/v1/openapi.json",
                  description="Phase-gated business partnerships: the portfolio, gates, tasks and evidence.")
    app.state.overviews = engine.OverviewCache()  # the portfolio's overview, until the portfolio changes
    for kind in HANDLED:
        app.add_exception_handler(kind, handle)
    app.mount("/static", StaticFiles(directory=str(files("partnerflow.web") / "static")), name="static")
    for module in (signin, tasks, pages, gates):
        app.include_router(module.router, include_in_schema=False)
    app.include_router(api.router, prefix="/api/v1")
    app.add_middleware(Guard)
    return app
