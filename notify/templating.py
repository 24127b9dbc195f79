"""The one Jinja2 environment: StrictUndefined, autoescape for HTML, templates/ at the top.

An operator's template folder, when given, is searched first: a file there with the same
name overrides the shipped one.

What people typed is shown as typed in every format: HTML is autoescaped; the filters
`slack` and `markdown` (notify.escaping) escape text for Slack's mrkdwn and for Markdown
(Teams' TextBlocks, the review artifact), and Jinja's `tojson` encodes every JSON value.
"""

from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from partnerflow.notify import escaping

TEMPLATES = Path(str(files("partnerflow.templates")))


@lru_cache(maxsize=4)
def environment(overrides: str | None = None) -> Environment:
    loaders = [FileSystemLoader(overrides)] if overrides else []
    env = Environment(
        loader=ChoiceLoader([*loaders, FileSystemLoader(TEMPLATES)]),
        autoescape=select_autoescape(["html", "htm", "xml", "html.j2"], default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(slack=escaping.slack, markdown=escaping.markdown)
    return env


def render(name: str, *, overrides: str | None = None, **context) -> str:
    return environment(overrides).get_template(name).render(**context)
