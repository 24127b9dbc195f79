"""The pages' Jinja2 environment: templates/web/, autoescaped, StrictUndefined (as notify's)."""

from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(str(files("partnerflow.templates")))


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html", "html.j2", "svg.j2"], default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["words"] = lambda value: str(value).replace("_", " ")
    return env


def render(name: str, **context) -> str:
    return environment().get_template(f"web/{name}").render(**context)
