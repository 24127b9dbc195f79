"""Escaping per format: the exact forms Slack and Markdown get, and the payloads built with them.

tests/test_injection.py runs the whole corpus through every output; these pin the forms.
"""

from __future__ import annotations

import json

import pytest

from partnerflow.notify import render
from partnerflow.notify.escaping import markdown, slack


@pytest.mark.parametrize(("typed", "escaped"), [
    ("<!channel> Acme", "&lt;!channel&gt; Acme"),
    ("<https://evil.example|click me>", "&lt;https://evil.example|click me&gt;"),
    ("Tom &amp; Jerry & Co", "Tom &amp;amp; Jerry &amp; Co"),
    ("*bold* _it_ `code`", "*bold* _it_ `code`"),  # formatting, not control sequences: Slack has no escape for it
])
def test_slack_escapes_its_three_control_characters(typed, escaped):
    assert slack(typed) == escaped


def test_slack_cuts_to_a_limit_but_never_inside_an_entity():
    assert slack("ab&cd", limit=5) == "ab…"  # "ab&amp;cd" cut after "ab&a" would leave a broken entity
    assert slack("ab&cd", limit=9) == "ab&amp;cd"
    cut = slack("<" * 1000, limit=3000)
    assert len(cut) <= 3000 and cut.endswith("&lt;…")


@pytest.mark.parametrize(("typed", "escaped"), [
    ("[link](https://evil.example)", r"\[link\]\(https://evil.example\)"),
    ("**bold** _it_ `code` ~s~", r"\*\*bold\*\* \_it\_ \`code\` \~s\~"),
    ("# heading\n- item\n+ item\n> quote\n===\n---", "\\# heading\n\\- item\n\\+ item\n\\> quote\n\\===\n\\---"),
    ("1. first\n  12. twelfth\n3) third\nversion 1.5", "1\\. first\n  12\\. twelfth\n3\\) third\nversion 1.5"),
    ("<b>&amp;</b> \\ | ![x]", r"\<b\>\&amp;\</b\> \\ \| \!\[x\]"),
    ("{{DATE(2017-02-14T06:08:39Z, SHORT)}}", r"\{\{DATE\(2017-02-14T06:08:39Z, SHORT\)\}\}"),
    ("acme-supply on 2026-12-04: C# a+b=c #1", "acme-supply on 2026-12-04: C# a+b=c #1"),  # no syntax mid-line
])
def test_markdown_backslash_escapes_what_could_be_syntax(typed, escaped):
    assert markdown(typed) == escaped


def test_inline_markdown_keeps_to_one_line():
    assert markdown("1. a |\r\nb\n\n- c", inline=True) == r"1\. a \| b - c"  # "- c" starts no line now


def payload(kind: str, subject: str, text: str) -> dict:
    return json.loads(render(f"notifications/_{kind}.json.j2", subject=subject, text=text, action_url=None))


def test_the_slack_payload_escapes_every_text_slack_reads_as_markup():
    sent = payload("slack", "<!channel> is ready", "Partnership: <https://evil.example|click me>\n")
    assert sent["text"] == "&lt;!channel&gt; is ready"
    assert sent["blocks"][1]["text"] == {"type": "mrkdwn", "verbatim": True,  # no auto-links or @-mentions either
                                         "text": "Partnership: &lt;https://evil.example|click me&gt;\n"}
    assert sent["blocks"][0]["text"]["text"] == "<!channel> is ready"  # plain_text: Slack shows it as it is


def test_the_slack_header_keeps_to_slacks_150_characters():
    assert len(payload("slack", "x" * 153, "")["blocks"][0]["text"]["text"]) <= 150


def test_the_teams_card_escapes_markdown_in_every_text_block():
    card = payload("teams", "[link](https://evil.example)", "1. [link](https://evil.example)\n")
    subject, text = card["attachments"][0]["content"]["body"]
    assert subject["text"] == r"\[link\]\(https://evil.example\)"
    assert text["text"] == "1\\. \\[link\\]\\(https://evil.example\\)\n"
