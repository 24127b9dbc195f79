"""The pyramid and the metric chart: geometry, meaning beyond color, escaping, no inline style or script."""

import math
import re
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from partnerflow.gates import PRACTICES
from partnerflow.gates.pyramid import LABELS, PracticeStatus
from partnerflow.web.figures import metric_chart, pyramid_figure

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
ENV = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)
SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert(1)</script>"
STATUSES = ("met", "partly_met", "missing", "not_yet_due")
FULL = {"business": "#1f5fa8", "accelerator": "#5b4a8a", "relationship": "#b3261e"}


def status(practice, kind, missing=()) -> PracticeStatus:
    total = 0 if kind == "not_yet_due" else 2
    passed = {"met": 2, "partly_met": 1}.get(kind, 0)
    return PracticeStatus(practice, kind, LABELS[kind], tuple(missing), (passed, total))


def mixed() -> list[PracticeStatus]:
    kinds = ["met", "partly_met", "missing", "met", "partly_met", "missing", "not_yet_due", "not_yet_due", "met"]
    return [status(p, k, () if k in ("met", "not_yet_due") else (f"{p.key} lacks evidence", "and one more"))
            for p, k in zip(PRACTICES, kinds)]


def render(template: str, macro: str, figure: dict) -> str:
    return ENV.from_string(f'{{% from "{template}" import {macro} %}}{{{{ {macro}(figure) }}}}').render(figure=figure)


def pyramid_html(statuses, **options) -> str:
    return render("web/_pyramid.html.j2", "pyramid", pyramid_figure(statuses, **options))


def chart_html(*args, **options) -> str:
    return render("web/_metric_chart.html.j2", "metric_chart", metric_chart(*args, **options))


def local(element) -> str:
    return element.tag.removeprefix(SVG)


def blocks(html: str) -> dict[str, ET.Element]:
    return {g.get("data-practice"): g for g in ET.fromstring(html).iter(f"{SVG}g") if g.get("data-practice")}


def corners(block: ET.Element) -> list[tuple[float, float]]:
    polygon = block.find(f"{SVG}polygon")
    return [tuple(map(float, pair.split(","))) for pair in polygon.get("points").split()]


def centre(block: ET.Element) -> tuple[float, float]:
    points = corners(block)
    return sum(x for x, _ in points) / len(points), sum(y for _, y in points) / len(points)


# --- the pyramid -------------------------------------------------------------------------

def test_nine_blocks_in_three_rows_business_left_accelerator_middle_relationship_right():
    found = blocks(pyramid_html(mixed()))
    assert len(found) == 9
    rows = {}
    for practice in PRACTICES:
        rows.setdefault(practice.phase, {})[practice.column] = found[practice.key]
    assert list(rows) == ["alignment", "execution", "shared_vision"]
    for row in rows.values():
        xs = [centre(row[column])[0] for column in ("business", "accelerator", "relationship")]
        assert xs == sorted(xs)
    ys = [[y for block in row.values() for _, y in corners(block)] for row in rows.values()]
    alignment, execution, shared_vision = [(min(row), max(row)) for row in ys]
    assert shared_vision[1] <= execution[0] and execution[1] <= alignment[0]  # the alignment row is lowest


def test_the_blocks_make_a_triangle():
    points = [p for block in blocks(pyramid_html(mixed())).values() for p in corners(block)]
    apex = min(points, key=lambda p: p[1])
    left, right = min(x for x, _ in points), max(x for x, _ in points)
    assert abs(apex[0] - (left + right) / 2) < 5
    assert sum(1 for _, y in points if y == max(y for _, y in points)) == 6  # three blocks stand on the base


@pytest.mark.parametrize("kind", STATUSES)
def test_fills_and_a_second_carrier_follow_the_status(kind):
    html = pyramid_html([status(p, kind, ("x",) if kind in ("partly_met", "missing") else ()) for p in PRACTICES])
    root = ET.fromstring(html)
    patterns = {p.get("id") for p in root.iter(f"{SVG}pattern")}
    for practice in PRACTICES:
        block = blocks(html)[practice.key]
        base, *overlay = block.findall(f"{SVG}polygon")
        full = FULL[practice.column]
        words = [t.text for t in block.findall(f"{SVG}text")]
        assert words[1] == LABELS[kind] and block.get("data-status") == kind
        if kind == "met":
            assert (base.get("fill"), overlay) == (full, [])
        elif kind == "partly_met":
            assert base.get("fill") not in (full, "#ffffff") and base.get("stroke") == full
            assert [o.get("fill") for o in overlay] == [f"url(#pyramid-hatch-{practice.column})"]
            assert f"pyramid-hatch-{practice.column}" in patterns
        elif kind == "missing":
            assert (base.get("fill"), base.get("stroke"), float(base.get("stroke-width"))) == ("#ffffff", full, 3)
        else:
            assert base.get("fill") == "#e3e3e3" and base.get("stroke-dasharray") and overlay == []


def test_partly_met_has_a_lighter_tint_of_its_hue():
    html = pyramid_html([status(p, "partly_met", ("x",)) for p in PRACTICES])
    for practice in PRACTICES:
        tint = blocks(html)[practice.key].find(f"{SVG}polygon").get("fill")
        assert lightness(tint) > lightness(FULL[practice.column]) + 0.3
        assert dominant(tint) == dominant(FULL[practice.column])


def lightness(color: str) -> float:
    return sum(int(color[i:i + 2], 16) for i in (1, 3, 5)) / (3 * 255)


def dominant(color: str) -> int:
    channels = [int(color[i:i + 2], 16) for i in (1, 3, 5)]
    return channels.index(max(channels))


def test_each_block_has_a_title_naming_what_is_missing():
    statuses = mixed()
    found = blocks(pyramid_html(statuses))
    for entry in statuses:
        title = found[entry.practice.key].find(f"{SVG}title").text
        assert title.startswith(f"{entry.practice.name}: {entry.label}")
        assert all(explanation in title for explanation in entry.missing)
    assert found["operational_alignment"].find(f"{SVG}title").text == (
        "Operational Alignment: partly met (1 of 2 checks pass). Missing: operational_alignment lacks evidence; "
        "and one more")


def test_the_hidden_caption_lists_every_practice_and_what_is_missing():
    root = ET.fromstring(pyramid_html(mixed()))
    caption = root.find("figcaption")
    assert caption.get("class") == "visually-hidden"
    items = caption.find("ul").findall("li")
    assert [li.get("data-practice") for li in items] == [p.key for p in PRACTICES]
    first = "".join(items[1].itertext())
    assert first.startswith("2. Operational Alignment (Alignment): partly met, 1 of 2 checks pass. Missing:")
    assert [li.text for li in items[1].find("ul")] == ["operational_alignment lacks evidence", "and one more"]


def test_the_svg_is_an_image_labelled_by_its_title_and_description():
    root = ET.fromstring(pyramid_html(mixed(), figure_id="acme-pyramid"))
    svg = root.find(f"{SVG}svg")
    ids = {e.get("id") for e in svg.iter() if e.get("id")}
    assert svg.get("role") == "img" and set(svg.get("aria-labelledby").split()) <= ids
    assert svg.find(f"{SVG}desc").text == "Practices: 3 met, 2 partly met, 2 missing, 2 not yet due."
    assert {"acme-pyramid-title", "acme-pyramid-hatch-business"} <= ids


def test_hostile_names_and_explanations_come_out_escaped():
    practice = PRACTICES[0]._replace(name=f"{HOSTILE} Objective")
    statuses = [status(practice, "missing", (HOSTILE, 'a "quoted" & <b>bold</b> gap'))] + mixed()[1:]
    html = pyramid_html(statuses, title=HOSTILE)
    assert "<script" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    title = blocks(html)["business_objective"].find(f"{SVG}title").text
    assert title == (f"{HOSTILE} Objective: missing (0 of 2 checks pass). "
                     f'Missing: {HOSTILE}; a "quoted" & <b>bold</b> gap')


def hostile_chart() -> str:
    return chart_html(HOSTILE, 1.0, "higher", HOSTILE, [(date(2026, 1, 31), 2.0), (date(2026, 2, 28), 0.5)])


OUTPUTS = {
    "pyramid": lambda: pyramid_html(mixed()),
    "pyramid of hostile explanations": lambda: pyramid_html([status(p, "partly_met", (HOSTILE,)) for p in PRACTICES]),
    "chart": hostile_chart,
    "empty chart": lambda: chart_html("Cost", None, "higher", "", []),
}


@pytest.mark.parametrize("output", OUTPUTS.values(), ids=OUTPUTS.keys())
def test_no_inline_style_script_or_handlers(output):
    html = output()
    assert not re.search(r"\sstyle\s*=|<style|<script|javascript:", html, re.IGNORECASE)
    for element in ET.fromstring(html).iter():
        assert not [name for name in element.attrib if name == "style" or name.lower().startswith("on")]


# --- the metric chart --------------------------------------------------------------------

MONTHS = [date(2026, m, 28) for m in range(1, 13)]


def series(*values) -> list[tuple[date, float]]:
    return list(zip(MONTHS, values))


EDGE_CASES = {
    "no measurements": ("Cost", 12.5, "lower", "EUR", []),
    "one measurement": ("Cost", 12.5, "lower", "EUR", series(12.0)),
    "no target": ("Cost", None, "lower", "EUR", series(12.0, 13.0, 11.0)),
    "all equal": ("Cost", 12.0, "lower", "EUR", series(12.0, 12.0, 12.0)),
    "all equal at zero, no target": ("Cost", None, "higher", "", series(0.0, 0.0)),
    "negative values": ("Margin", -1.0, "higher", "%", series(-5.0, -0.5, -2.25, 3.0)),
    "not a number left out": ("Cost", math.inf, "lower", "EUR", series(1.0, math.nan, math.inf, 2.0)),
    "large values": ("Volume", 2e6, "higher", "units", series(1.5e6, 2.5e6, 3e9)),
    "whole numbers": ("Tickets", 12, "lower", "", series(10, 14)),
    "more than twelve": ("Cost", 5.0, "lower", "EUR", series(*range(12)) + [(date(2027, 1, 31), 4.0)]),
}


def numbers(element: ET.Element) -> list[tuple[str, float]]:
    found = []
    for name in ("x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "width", "height"):
        if element.get(name) is not None:
            found.append((name, float(element.get(name))))
    for pair in (element.get("points") or "").split():
        x, y = pair.split(",")
        found += [("x", float(x)), ("y", float(y))]
    return found


@pytest.mark.parametrize("case", EDGE_CASES.values(), ids=EDGE_CASES.keys())
def test_every_coordinate_is_finite_and_inside_the_view_box(case):
    svg = ET.fromstring(chart_html(*case)).find(f"{SVG}svg")
    assert svg.get("viewBox") == "0 0 320 120"
    coordinates = [(name, value) for element in svg.iter() for name, value in numbers(element)]
    assert coordinates
    for name, value in coordinates:
        assert math.isfinite(value)
        assert 0 <= value <= (120 if name in ("y", "y1", "y2", "cy", "height") else 320), (name, value)


def markers(html: str) -> list[tuple[str, str, str]]:
    return [(g.get("class").split()[-1], local(g[1]), g[1].get("fill"))
            for g in ET.fromstring(html).iter(f"{SVG}g") if "pf-point" in (g.get("class") or "")]


def test_points_on_and_off_target_differ_in_shape_and_color():
    html = chart_html("Cost per unit", 12.5, "lower", "EUR", series(12.0, 13.1, 11.9, 12.5, 10.0))
    assert markers(html) == [("pf-on-target", "circle", "#1b7f3b"), ("pf-off-target", "rect", "#ffffff"),
                             ("pf-on-target", "circle", "#1b7f3b"), ("pf-on-target", "circle", "#1b7f3b"),
                             ("pf-on-target", "circle", "#1b7f3b")]


def test_the_chart_draws_the_line_the_dashed_target_and_the_axis_labels():
    chart = metric_chart("Cost per unit", 12.5, "lower", "EUR", series(12.0, 13.1, 11.9))
    svg = ET.fromstring(chart_html("Cost per unit", 12.5, "lower", "EUR", series(12.0, 13.1, 11.9)))[0]
    line = svg.find(f"{SVG}polyline")
    assert line.get("points") == chart["polyline"] and len(line.get("points").split()) == 3
    target = next(e for e in svg.iter(f"{SVG}line") if e.get("class") == "pf-target")
    assert target.get("stroke-dasharray") and target.get("y1") == target.get("y2") == str(chart["target"]["y"])
    labels = [t.text for t in svg.iter(f"{SVG}text")]
    assert labels == ["target ≤ 12.5 EUR", "13.1 EUR", "11.9 EUR", "2026-01-28", "2026-03-28"]
    ys = [p["y"] for p in chart["points"]]
    assert ys[1] < chart["target"]["y"] < ys[0] < ys[2]  # higher values are drawn higher
    xs = [p["x"] for p in chart["points"]]
    assert xs == sorted(xs) and len(set(xs)) == 3


@pytest.mark.parametrize(("measurements", "target", "summary"), [
    (series(12.0, 13.1, 11.9, 12.4, 12.2), 12.5,
     "Cost per unit: 4 of the last 5 periods on target (target ≤ 12.5 EUR)"),
    ([], 12.5, "Cost per unit: no measurements yet (target ≤ 12.5 EUR)"),
    ([], None, "Cost per unit: no measurements yet"),
    (series(13.0), 12.5, "Cost per unit: the one period measured is off target (target ≤ 12.5 EUR)"),
    (series(12.0, 11.0), None, "Cost per unit: 2 period(s) measured, the latest 11 EUR; no target set"),
    (list(reversed(series(12.0, 13.0))), 12.5,
     "Cost per unit: 1 of the last 2 periods on target (target ≤ 12.5 EUR)"),
])
def test_the_summary_sentence(measurements, target, summary):
    html = chart_html("Cost per unit", target, "lower", "EUR", measurements)
    svg = ET.fromstring(html).find(f"{SVG}svg")
    assert svg.find(f"{SVG}desc").text == summary
    assert metric_chart("Cost per unit", target, "lower", "EUR", measurements)["summary"] == summary
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "chart-cost-per-unit-title chart-cost-per-unit-desc"


def test_no_measurements_draws_a_message_and_no_line():
    svg = ET.fromstring(chart_html("Cost", 12.5, "lower", "EUR", [])).find(f"{SVG}svg")
    assert [t.text for t in svg.iter(f"{SVG}text")] == ["no measurements yet"]
    assert svg.find(f"{SVG}polyline") is None and markers(chart_html("Cost", 12.5, "lower", "EUR", [])) == []


def test_numbers_read_plainly():
    chart = metric_chart("Volume", 2000000, "higher", "units", series(1.5e6, 12345.0, -0.25))
    assert chart["target"]["text"] == "target ≥ 2,000,000 units"
    assert [p["value"] for p in chart["points"]] == ["1,500,000 units", "12,345 units", "-0.25 units"]
    assert [label["text"] for label in chart["labels"][:2]] == ["2M", "-0.25"]


def test_a_hidden_table_gives_every_period():
    root = ET.fromstring(chart_html("Cost", 12.5, "lower", "EUR", series(12.0, 13.1)))
    rows = [[td.text for td in tr] for tr in root.find("figcaption").find("table").find("tbody")]
    assert rows == [["2026-01-28", "12 EUR", "on target"], ["2026-02-28", "13.1 EUR", "off target"]]


def test_the_chart_escapes_its_texts():
    html = hostile_chart()
    assert "<script" not in html and "&lt;script&gt;" in html
    assert ET.fromstring(html).find(f"{SVG}svg").find(f"{SVG}title").text == HOSTILE


def test_an_unknown_direction_is_refused():
    with pytest.raises(ValueError, match="direction"):
        metric_chart("Cost", 1.0, "sideways", "", [])
