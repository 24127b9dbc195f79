"""The one Jinja2 environment: StrictUndefined, autoescape for HTML, templates/ at the top.

An operator's template folder, when given, is searched first: a file there with the same
name overrides the shipped one.
"""

from functools import lru_cache
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@lru_cache(maxsize=4)
def environment(overrides: str | None = None) -> Environment:
    loaders = [FileSystemLoader(overrides)] if overrides else []
    return Environment(
        loader=ChoiceLoader([*loaders, FileSystemLoader(TEMPLATES)]),
        autoescape=select_autoescape(["html", "htm", "xml", "html.j2"], default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(name: str, *, overrides: str | None = None, **context) -> str:
    return environment(overrides).get_template(name).render(**context)
