"""Text shown as it was typed in formats that would otherwise read it as markup.

One function per format, registered as a filter of the one Jinja environment
(`notify.templating`): `slack` for Slack's mrkdwn, `markdown` for Markdown (Teams' TextBlocks,
the review artifact). HTML is autoescaped by the environment and JSON values go through
Jinja's `tojson`; the terminal escapes Rich markup in `cli.render`.
"""

import re

SLACK = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
CUT_ENTITY = re.compile(r"&[a-z]*$")
# Characters that Markdown (CommonMark, and Adaptive Cards' subset of it) may read as syntax
# anywhere in a line, with `{` `}` for Adaptive Cards' {{DATE(...)}}; a backslash before ASCII
# punctuation makes it the character itself.
MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()<>&|~!"})
# Syntax only at the start of a line: a heading, list item, rule or underline ("# ", "- ",
# "+ ", "---", "==="), an ordered item ("1. "); keys and dates keep their hyphens.
LINE_MARKER = re.compile(r"^([ \t]*)([-+=#])", re.MULTILINE)
ORDERED_ITEM = re.compile(r"^([ \t]*\d+)\.", re.MULTILINE)


def slack(value, limit: int | None = None) -> str:
    """`&`, `<` and `>` as Slack's entities, so nothing typed becomes a link, mention or @channel.

    With `limit`, the escaped text is cut to that many characters (never inside an entity).
    https://api.slack.com/reference/surfaces/formatting#escaping
    """
    escaped = str(value).translate(SLACK)
    if limit is None or len(escaped) <= limit:
        return escaped
    return CUT_ENTITY.sub("", escaped[:limit - 1]) + "…"


def markdown(value, *, inline: bool = False) -> str:
    """Every character Markdown could read as syntax backslash-escaped, so the text shows as typed.

    `inline`: line breaks become spaces, for text inside one line (a table cell, a list of keys).
    """
    text = (" ".join(str(value).split()) if inline else str(value)).translate(MARKDOWN)
    return ORDERED_ITEM.sub(r"\1\\.", LINE_MARKER.sub(r"\1\\\2", text))
