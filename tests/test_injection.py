"""What people type is shown as they typed it, in every output (issue 6, part 3).

One corpus of hostile text goes through every output: the terminal (`status`, `status KEY`,
`history KEY`, `tasks`, as text and as --json), email (the text part, the headers over SMTP, the
HTML part), Slack, Teams, the signed webhook and the review's markdown artifact. Each output's
check says what "as typed" means in its format, and that nothing typed became markup, a link,
a mention, a header, a terminal control sequence or a crash.

There is no CSV export (imports read CSV, nothing writes it), so the formula sample reaches no
spreadsheet; it is carried like any other text. PostgreSQL text cannot hold NUL (imports refuse
it), so the outputs read from the database leave that sample out there.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time
from html.parser import HTMLParser
from typing import Any

import pytest
from markdown_it import MarkdownIt
from sqlmodel import select

from partnerflow.engine.notifications.notices import task_context
from partnerflow.engine.policies import read_policy
from partnerflow.engine.phases.reports import review_summary
from partnerflow.engine.phases.review import ReviewReport, review_all
from partnerflow.engine.settings import DEFAULT_POLICY
from partnerflow.models import Partnership, Task, session_scope
from partnerflow.notify import render_message
from partnerflow.notify.channels import SmtpSettings, verify
from partnerflow.notify.message import Message, Target
from tests import factories
from tests.cli.commands import run
from tests.conftest import BACKENDS
from tests.factories import AS_OF
from tests.notify.builders import SECRET, deliver
from tests.notify.conftest import receiver, smtp_server  # noqa: F401  (fixtures)

CORPUS = {  # what was typed, by a label that is also the key of its partnership
    "rich-closing-tag": "Acme [/] Castings",
    "rich-bold": "[bold]Acme[/bold] Castings",
    "rich-link": "[link=https://evil.example]click me[/link]",
    "emoji-code": "Acme :warning: Castings",
    "slack-broadcast": "<!channel> Acme",
    "slack-link": "<https://evil.example|click me>",
    "markdown-link": "[link](https://evil.example)",
    "markdown-blocks": "1. first\n# heading\n- item\n> quote\n===",
    "teams-date-function": "{{DATE(2017-02-14T06:08:39Z, SHORT)}}",
    "html-script": "<script>alert(1)</script>",
    "html-image": "<img src=x onerror=alert(1)>",
    "html-entities": "Tom &amp; Jerry & Co &lt;b&gt;",
    "jinja-expression": "{{ 7*7 }}",
    "jinja-raw": "{% raw %}",
    "csv-formula": "=cmd|' /C calc'!A0",
    "nul": "Acme\x00Castings",
    "header-injection": "Acme\r\nBcc: victim@example.com",
    "terminal-escapes": "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\ \x1b[2J",
    "rtl-override": "Acme \u202egnp.exe",
    "long-word": "W" * 10_000,
    "quotes-and-backslashes": 'Acme "Castings" \'Ltd\' C:\\path\\ ends \\',
}
Samples = dict[str, str]  # label → what was typed
Shown = dict[str, list]  # label → each place an output shows that sample
NOW = datetime.combine(AS_OF, time(9), tzinfo=UTC)
ACTION_URL = "https://partnerflow.example/tasks/7?token=abc&kind=link"
SLACK_ENTITY = re.compile(r"&(amp|lt|gt);")
SLACK_CHARACTERS = {"amp": "&", "lt": "<", "gt": ">"}
SLACK_SECTION_LIMIT, SLACK_HEADER_LIMIT = 3000, 150
MARKDOWN = MarkdownIt("commonmark").enable("table")  # raw HTML allowed, as in Prefect's UI


def collapsed(text: str) -> str:
    """Whitespace runs as one space: how a subject line, HTML and Markdown show line breaks."""
    return " ".join(text.split())


def strings(data: Any) -> list[str]:
    """Every string in decoded JSON."""
    if isinstance(data, dict):
        return [s for value in data.values() for s in strings(value)]
    if isinstance(data, list):
        return [s for value in data for s in strings(value)]
    return [data] if isinstance(data, str) else []


def group(pairs: Iterator[tuple[str, Any]], samples: Samples) -> Shown:
    shown: Shown = {label: [] for label in samples}
    for label, value in pairs:
        shown[label].append(value)
    return shown


# ---------------------------------------------------------------------------------------------
# The terminal: commands run on a portfolio in which every sample is stored text


def storable(engine) -> Samples:
    return {label: typed for label, typed in CORPUS.items()
            if engine.dialect.name != "postgresql" or "\x00" not in typed}


@pytest.fixture
def hostile_portfolio(engine) -> Samples:
    """One partnership per sample, keyed by its label and ready for a gatekeeper: its name, a
    gatekeeper's reason and condition, and an open task's title and explanation are the sample."""
    samples = storable(engine)
    with session_scope(engine) as session:
        w = factories.world(session)
        for key in samples:
            factories.alignment_evidence(session, w, factories.partnership(session, w, key))
        owner_id = w.owner.id
    review_all(engine, read_policy(DEFAULT_POLICY), AS_OF, batch_size=100)
    with session_scope(engine) as session:
        for key, typed in samples.items():
            partnership = session.exec(select(Partnership).where(Partnership.key == key)).one()
            partnership.name = typed
            session.add(hostile_task(partnership, owner_id, typed))
    for key, typed in samples.items():
        code, _, err = run("decide", key, "go", "--by", "gina@northwind.example", "--reason", typed,
                           "--condition", typed, "--as-of", AS_OF)
        assert code == 0, err
    return samples


def hostile_task(partnership: Partnership, assignee_id: int, typed: str) -> Task:
    return Task(partnership_id=partnership.id, kind="monitor", criterion="no-contact-with-decision-makers",
                cycle=0, idempotency_key=f"injection:{partnership.key}", practice="relationship_management",
                title=typed, explanation=typed, owner_role="owner", assignee_id=assignee_id, due_on=AS_OF,
                created_at=NOW)


def command(*args: Any) -> str:
    code, out, err = run(*args)
    assert (code, err) == (0, ""), err
    return out


def once(*args: Any) -> Callable[[pytest.FixtureRequest, Samples], Shown]:
    """A command whose one output shows every sample."""
    def show(request, samples: Samples) -> Shown:
        out = command(*args)
        return {label: [out] for label in samples}
    return show


def per_key(*args: Any) -> Callable[[pytest.FixtureRequest, Samples], Shown]:
    """A command run for each sample's partnership (KEY in args)."""
    def show(request, samples: Samples) -> Shown:
        return {key: [command(*(key if a == "KEY" else a for a in args))] for key in samples}
    return show


def terminal_form(typed: str) -> str:
    """Control characters print as their escapes; everything else as typed."""
    return typed.translate({0: "\\x00", 0x1b: "\\x1b", ord("\r"): "\\r", ord("\n"): "\\n"})


def check_terminal(out: str, typed: str) -> None:
    ends = [found.end() for found in re.finditer(re.escape(terminal_form(typed)), out)]
    assert ends, "not shown as typed"
    assert not [end for end in ends if out.startswith("\\", end)], "a backslash was added"
    assert not [c for c in out if unicodedata.category(c) == "Cc" and c != "\n"], "a control character got through"


def check_command_json(out: str, typed: str) -> None:
    assert typed in strings(json.loads(out))


# ---------------------------------------------------------------------------------------------
# Messages: every notification, the sample in every text of its context


def contexts(typed: str) -> dict[str, dict]:
    partnership = {"key": "acme-supply", "name": typed}
    task = task_context(partnership, {"id": 7, "title": typed, "explanation": typed, "practice": "business_objective",
                                      "kind": "gate", "criterion": "business-case-approved", "due_on": "2026-12-04"})
    digest_task = {"id": 7, "partnership": typed, "title": typed, "explanation": typed, "due_on": "2026-12-04",
                   "overdue": True, "action_url": ACTION_URL}
    return {
        "task.opened": task,
        "task.reminder": task,
        "task.link": {**task, "days": 30},
        "task.escalated": {**task, "level": 1, "assignee": typed},
        "task.unassigned": {**task, "role": typed},
        "gate.ready": {"partnership": partnership, "gate": "alignment-to-execution"},
        "phase.changed": {"partnership": partnership, "phase": "execution", "from_phase": "alignment",
                          "gate": "alignment-to-execution"},
        "digest": {"tasks": [digest_task], "date": AS_OF.isoformat()},
    }  # `sign_in` is left out: it shows nothing anyone typed (a fixed sentence and its link)


def messages(samples: Samples) -> list[tuple[str, Message]]:
    """(label, message) for every sample and event."""
    return [(label, render_message(f"{label}.{event}", event, context, recipient={"name": typed, "email": "o@x.example"},
                                   action_url=ACTION_URL if event.startswith("task.") else None))
            for label, typed in samples.items() for event, context in contexts(typed).items()]


def rendered(part: str) -> Callable[[pytest.FixtureRequest, Samples], Shown]:
    def show(request, samples: Samples) -> Shown:
        return group(((label, getattr(message, part)) for label, message in messages(samples)), samples)
    return show


def posted(channel: str) -> Callable[[pytest.FixtureRequest, Samples], Shown]:
    """Every message delivered to a real local receiver: (message, what the receiver got)."""
    def show(request, samples: Samples) -> Shown:
        server = request.getfixturevalue("receiver")
        sent = [(label, message, Target(channel, server.url(f"/{n}"), SECRET))
                for n, (label, message) in enumerate(messages(samples))]
        deliveries = deliver([(message, target) for _, message, target in sent], concurrency=4)  # backlog is 5
        assert all(d.ok for d in deliveries), {d.error for d in deliveries}
        received = {server.url(r.path): r for r in server.requests}
        return group(((label, (message, received[target.address])) for label, message, target in sent), samples)
    return show


def mailed(request, samples: Samples) -> Shown:
    """Every message as an email through a real local SMTP server: (message, the email received)."""
    mailbox, port = request.getfixturevalue("smtp_server")
    smtp = SmtpSettings(host="127.0.0.1", port=port, security="none", sender="Partnerflow <pf@example.org>")
    sent = [(label, message, Target("email", f"owner{n}@example.com"))
            for n, (label, message) in enumerate(messages(samples))]
    assert all(d.ok for d in deliver([(message, target) for _, message, target in sent], smtp=smtp))
    mails = {mail.recipients[0]: mail.email for mail in mailbox.mails}
    return group(((label, (message, mails[target.address])) for label, message, target in sent), samples)


def check_text(text: str, typed: str) -> None:
    assert typed in text


HEADERS = {"Subject", "From", "To", "Date", "Message-ID", "X-Partnerflow-Notification", "Auto-Submitted",
           "MIME-Version", "Content-Type"}


def check_email(sent: tuple[Message, Any], typed: str) -> None:
    message, email = sent
    assert set(email.keys()) == HEADERS, "a header was injected"
    # Python's folding may start a long subject on the line after "Subject:": that space is no part of it
    assert email["Subject"].lstrip() == message.subject == collapsed(message.subject)
    if message.event != "digest":  # the digest's subject is a count
        assert collapsed(typed) in email["Subject"]
    assert email.get_body(("plain",)).get_content() == message.text.replace("\r\n", "\n")


class Page(HTMLParser):
    """The elements, attributes, text content and table rows (cells per row) of an HTML document."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.rows: list[int] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes += attrs
        if tag == "tr":
            self.rows.append(0)
        elif tag in ("td", "th"):
            self.rows[-1] += 1

    def handle_data(self, data):
        self.text.append(data)

    def shows(self, typed: str) -> bool:
        """Whether the page's text shows `typed` (as a browser does: NUL as U+FFFD, whitespace collapsed)."""
        return collapsed(typed.replace("\x00", "\ufffd")) in collapsed("".join(self.text).replace("\x00", "\ufffd"))


EMAIL_ELEMENTS = {"html", "head", "meta", "title", "body", "p", "h1", "strong", "a", "code", "ul", "li", "br"}


def check_html(html: str, typed: str) -> None:
    page = Page(html)
    assert page.tags <= EMAIL_ELEMENTS
    assert {name for name, _ in page.attributes} <= {"lang", "charset", "style", "href"}
    assert {value for name, value in page.attributes if name == "href"} <= {ACTION_URL}
    assert page.shows(typed)


def slack_unescaped(text: str) -> str:
    return SLACK_ENTITY.sub(lambda entity: SLACK_CHARACTERS[entity[1]], text)


def check_mrkdwn(text: str) -> None:
    """Nothing Slack reads as a control sequence: no < or >, & only in Slack's three entities."""
    assert "<" not in text and ">" not in text
    assert not re.search(r"&(?!(amp|lt|gt);)", text)


def check_slack(sent: tuple[Message, Any], typed: str) -> None:
    message, received = sent
    payload = json.loads(received.body)
    header, section = payload["blocks"][0]["text"]["text"], payload["blocks"][1]["text"]["text"]
    check_mrkdwn(payload["text"])
    check_mrkdwn(section)
    assert len(header) <= SLACK_HEADER_LIMIT and len(section) <= SLACK_SECTION_LIMIT
    assert slack_unescaped(payload["text"]) == message.subject
    if message.event != "digest":
        assert collapsed(typed) in slack_unescaped(payload["text"])
    if len(section) < SLACK_SECTION_LIMIT:
        assert slack_unescaped(section) == message.text
    else:  # cut to Slack's limit: what it carries is the start of the text
        assert message.text.startswith(slack_unescaped(section).removesuffix("…"))


def check_teams(sent: tuple[Message, Any], typed: str) -> None:
    message, received = sent
    blocks = [block["text"] for block in json.loads(received.body)["attachments"][0]["content"]["body"]]
    assert not [text for text in blocks if "{{" in text], "Adaptive Cards would read {{DATE(…)}}"
    subject, text = (Page(MARKDOWN.render(block)) for block in blocks)
    assert subject.tags | text.tags <= {"p"}, "markdown became a link, list, heading, table or emphasis"
    assert text.shows(typed)
    if message.event != "digest":
        assert subject.shows(typed)


def check_webhook(sent: tuple[Message, Any], typed: str) -> None:
    message, received = sent
    body = verify(SECRET, received.headers, received.body, now=int(received.headers["webhook-timestamp"]))
    assert body["data"] == message.data and body["id"] == message.id
    assert typed in strings(body["data"])


# ---------------------------------------------------------------------------------------------
# The review's markdown artifact


def artifact(typed: str) -> str:
    """The summary of a review that advanced and readied partnerships keyed `typed`, blocked by criterion `typed`."""
    report = ReviewReport(reviewed=1, advanced=[typed], ready=[typed], blockers=Counter({typed: 3}))
    return review_summary(report, as_of=AS_OF, policy_version=typed)


def artifacts(request, samples: Samples) -> Shown:
    return {label: [artifact(typed)] for label, typed in samples.items()}


def check_artifact(markdown: str, typed: str) -> None:
    page, plain = Page(MARKDOWN.render(markdown)), Page(MARKDOWN.render(artifact("acme-supply")))
    assert (page.tags, page.rows) == (plain.tags, plain.rows), "the text changed the document's elements or tables"
    assert page.shows(typed)


# ---------------------------------------------------------------------------------------------
# The table: every output, how it shows each sample, and the check of each showing


@dataclass(frozen=True)
class Output:
    name: str
    show: Callable[[pytest.FixtureRequest, Samples], Shown]
    check: Callable[[Any, str], None]
    stored: bool = False  # shows text read back from the database


OUTPUTS = [
    Output("status", once("status"), check_terminal, stored=True),
    Output("status --json", once("status", "--json"), check_command_json, stored=True),
    Output("status KEY", per_key("status", "KEY", "--as-of", AS_OF), check_terminal, stored=True),
    Output("status KEY --json", per_key("status", "KEY", "--json", "--as-of", AS_OF), check_command_json,
           stored=True),
    Output("history KEY", per_key("history", "KEY"), check_terminal, stored=True),
    Output("history KEY --json", per_key("history", "KEY", "--json"), check_command_json, stored=True),
    Output("tasks", once("tasks", "--as-of", AS_OF), check_terminal, stored=True),
    Output("tasks --json", once("tasks", "--json", "--as-of", AS_OF), check_command_json, stored=True),
    Output("email text", rendered("text"), check_text),
    Output("email over SMTP", mailed, check_email),
    Output("email HTML", rendered("html"), check_html),
    Output("Slack", posted("slack"), check_slack),
    Output("Teams", posted("teams"), check_teams),
    Output("webhook", posted("webhook"), check_webhook),
    Output("review artifact", artifacts, check_artifact),
]


def cases():
    """Outputs read from the database run on every backend; the others, which touch none, once."""
    for output in OUTPUTS:
        for backend in BACKENDS if output.stored else BACKENDS[:1]:
            yield pytest.param(output, backend, id=f"{output.name}-{backend}" if output.stored else output.name)


@pytest.mark.parametrize(("output", "database_url"), cases(), indirect=["database_url"])
def test_what_people_type_is_shown_as_typed(output: Output, database_url, request):
    samples = request.getfixturevalue("hostile_portfolio") if output.stored else CORPUS
    failures = {}
    for label, showings in output.show(request, samples).items():
        for showing in showings:
            try:
                output.check(showing, samples[label])
            except AssertionError as failure:
                failures.setdefault(label, str(failure).splitlines()[0][:300])
    assert failures == {}
