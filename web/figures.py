"""Geometry of the pages' two inline SVG figures, as plain data a Jinja template draws.

Pure: no web framework, no database. `pyramid_figure` reads practice statuses by their
attributes (`gates.pyramid.PracticeStatus`); `metric_chart` reads (period, value) pairs.
Every number is rounded to one decimal; every text stays plain (the templates escape it).
Color never carries meaning alone: a pattern, a dashed stroke, a marker's shape and the
status word say it too.
"""

import math
import re
from datetime import date

# --- the pyramid -------------------------------------------------------------------------

PYRAMID_WIDTH, PYRAMID_HEIGHT = 720, 440
APEX_X, APEX_Y, DEPTH, HALF_BASE = 400.0, 12.0, 380.0, 308.0
ROW_DEPTHS = ((280.0, 380.0), (170.0, 280.0), (0.0, 170.0))  # bottom row first: the first phase
GAP = 4.0
SPANS = {"business": (-1.0, -1 / 3), "accelerator": (-1 / 3, 1 / 3), "relationship": (1 / 3, 1.0)}  # left to right
HUES = {  # full color, tint
    "business": ("#1f5fa8", "#c8d9ef"),
    "accelerator": ("#5b4a8a", "#dcd5ea"),
    "relationship": ("#b3261e", "#f2cbc8"),
}
GREY, GREY_STROKE, INK, WHITE = "#e3e3e3", "#6e6e6e", "#1a1a1a", "#ffffff"
SHORT_NAMES = {
    "business_objective": "Objective", "operational_alignment": "Operations",
    "relationship_management": "Relationships", "trust_credibility": "Trust", "performance_metrics": "Metrics",
    "communication_structure": "Communication", "knowledge_exchange": "Knowledge",
    "organizational_alignment": "Organization", "long_term_relationship": "Long term",
}
LEGEND = (("met", "met"), ("partly_met", "partly met"), ("missing", "missing"), ("not_yet_due", "not yet due"))


def pyramid_figure(statuses, *, figure_id: str = "pyramid", title: str = "The nine practices") -> dict:
    """The pyramid: one block per status, rows bottom-up in the order the statuses' phases come.

    Keys: id, width, height, view_box, title, description, patterns, rows, blocks, legend."""
    phases = list(dict.fromkeys(s.practice.phase for s in statuses))
    blocks = [_block(s, phases.index(s.practice.phase), figure_id) for s in statuses]
    return {
        "id": figure_id, "width": PYRAMID_WIDTH, "height": PYRAMID_HEIGHT,
        "view_box": f"0 0 {PYRAMID_WIDTH} {PYRAMID_HEIGHT}", "title": title,
        "description": _tally(statuses),
        "patterns": [{"id": f"{figure_id}-hatch-{column}", "color": full} for column, (full, _) in HUES.items()],
        "rows": [_row_label(phase, row) for row, phase in enumerate(phases)],
        "blocks": blocks,
        "legend": [_legend_item(status, label, i, figure_id) for i, (status, label) in enumerate(LEGEND)],
    }


def _tally(statuses) -> str:
    counts = {label: sum(s.status == status for s in statuses) for status, label in LEGEND}
    return "Practices: " + ", ".join(f"{n} {label}" for label, n in counts.items() if n) + "."


def _half_width(depth: float) -> float:
    return HALF_BASE * depth / DEPTH


def _edges(column: str):
    """The block's left and right edge as functions of depth, drawn GAP apart from their neighbors."""
    left, right = SPANS[column]
    inset_left, inset_right = (GAP / 2 if left > -1 else 0.0), (GAP / 2 if right < 1 else 0.0)
    return (lambda d: APEX_X + left * _half_width(d) + inset_left,
            lambda d: APEX_X + right * _half_width(d) - inset_right)


def _outline(column: str, row: int) -> tuple[list[tuple[float, float]], float, float]:
    """The block's corners (depth, x), and its top and bottom depth."""
    top, bottom = ROW_DEPTHS[row]
    top, bottom = top + (GAP / 2 if top > 0 else 0), bottom - (GAP / 2 if bottom < DEPTH else 0)
    left, right = _edges(column)
    closing = (right(0) - left(0)) / ((right(0) - left(0)) - (right(DEPTH) - left(DEPTH))) * DEPTH
    top = max(top, closing)  # where the edges meet, the block is a triangle
    corners = [(top, left(top)), (top, right(top)), (bottom, right(bottom)), (bottom, left(bottom))]
    if right(top) - left(top) < 0.05:
        corners = corners[1:]
    return corners, top, bottom


def _points(corners) -> str:
    return " ".join(f"{_r(x)},{_r(APEX_Y + d)}" for d, x in corners)


def _r(value: float) -> float:
    return round(value, 1)


def _block(status, row: int, figure_id: str) -> dict:
    practice = status.practice
    corners, top, bottom = _outline(practice.column, row)
    middle = top + (0.72 if len(corners) == 3 else 0.5) * (bottom - top)  # a triangle is wide near its base
    left, right = _edges(practice.column)
    short = SHORT_NAMES.get(practice.key, practice.name.split()[0])
    size = _font_size(max(len(short), len(status.label)), right(middle) - left(middle))
    return {
        "key": practice.key, "number": practice.number, "name": practice.name, "phase": practice.phase,
        "phase_name": _phase_name(practice.phase), "column": practice.column,
        "status": status.status, "label": status.label,
        "missing": tuple(status.missing), "counts": tuple(status.counts), "points": _points(corners),
        **_paint(status.status, practice.column, figure_id),
        "x": _r((left(middle) + right(middle)) / 2), "font_size": size,
        "lines": [{"text": short, "y": _r(APEX_Y + middle - 2)},
                  {"text": status.label, "y": _r(APEX_Y + middle + size)}],
        "title": _block_title(practice.name, status),
    }


def _font_size(characters: int, width: float) -> int:
    return next((size for size in (12, 11, 10) if characters * size * 0.6 <= width - 6), 9)


def _paint(status: str, column: str, figure_id: str) -> dict:
    """fill, stroke, stroke_width, dash, pattern (an id or ""), text_fill, halo (a color or "none")."""
    full, tint = HUES[column]
    if status == "met":
        return _paint_of(full, full, 1, "", "", WHITE, "none")
    if status == "partly_met":
        return _paint_of(tint, full, 1.5, "", f"{figure_id}-hatch-{column}", INK, WHITE)
    if status == "missing":
        return _paint_of(WHITE, full, 3, "", "", INK, WHITE)
    return _paint_of(GREY, GREY_STROKE, 1.5, "6 4", "", INK, GREY)


def _paint_of(fill, stroke, stroke_width, dash, pattern, text_fill, halo) -> dict:
    return {"fill": fill, "stroke": stroke, "stroke_width": stroke_width, "dash": dash, "pattern": pattern,
            "text_fill": text_fill, "halo": halo}


def _block_title(name: str, status) -> str:
    passed, total = status.counts
    words = f"{name}: {status.label}" + (f" ({passed} of {total} checks pass)" if total else "")
    return words + (". Missing: " + "; ".join(status.missing) if status.missing else "")


def _phase_name(phase: str) -> str:
    return phase.replace("_", " ").capitalize()


def _row_label(phase: str, row: int) -> dict:
    top, bottom = ROW_DEPTHS[row]
    middle = (top + bottom) / 2 + (25 if top == 0 else 0)
    return {"phase": phase, "name": _phase_name(phase),
            "x": _r(APEX_X - _half_width(middle) - 10), "y": _r(APEX_Y + middle + 4)}


def _legend_item(status: str, label: str, index: int, figure_id: str) -> dict:
    x, y = 100 + index * 150, PYRAMID_HEIGHT - 30
    return {"status": status, "label": label, "x": x, "y": y, "width": 22, "height": 14,
            "text_x": x + 30, "text_y": y + 11, **_paint(status, "accelerator", figure_id)}


# --- a metric's line chart ---------------------------------------------------------------

CHART_WIDTH, CHART_HEIGHT = 320, 120
LEFT, RIGHT, TOP, BOTTOM = 48.0, 310.0, 12.0, 96.0  # the plot area inside the margins
INSET = 8.0  # markers keep clear of the axes
ON_TARGET, OFF_TARGET, NEUTRAL = "#1b7f3b", "#b3261e", "#4d4d4d"
SIGNS = {"higher": "≥", "lower": "≤"}


def metric_chart(metric_name: str, target: float | None, direction: str, unit: str,
                 measurements, *, chart_id: str | None = None, periods: int = 12) -> dict:
    """A small line chart of the last `periods` measurements, given as (period end, value) pairs.

    Keys: id, width, height, view_box, title, summary, empty, message, plot, polyline, points,
    target, labels, table. Non-finite values are left out; a target that is None draws no target line."""
    if direction not in SIGNS:
        raise ValueError(f"direction must be one of {', '.join(SIGNS)}, not {direction!r}")
    target = float(target) if target is not None and math.isfinite(target) else None
    series = sorted((period, float(value)) for period, value in measurements if math.isfinite(value))[-periods:]
    scale = _scale([v for _, v in series] + ([target] if target is not None else []))
    points = [_marker(i, len(series), period, value, target, direction, unit, scale)
              for i, (period, value) in enumerate(series)]
    return {
        "id": chart_id or "chart-" + (re.sub(r"[^a-z0-9]+", "-", metric_name.lower()).strip("-") or "metric"),
        "width": CHART_WIDTH, "height": CHART_HEIGHT, "view_box": f"0 0 {CHART_WIDTH} {CHART_HEIGHT}",
        "title": metric_name, "summary": _summary(metric_name, target, direction, unit, points),
        "empty": not points, "message": None if points else _message(),
        "plot": {"left": LEFT, "right": RIGHT, "top": TOP, "bottom": BOTTOM},
        "polyline": " ".join(f"{p['x']},{p['y']}" for p in points),
        "points": points, "target": _target_line(target, direction, unit, scale),
        "labels": _axis_labels(points, scale, unit),
        "table": [{"period": p["period"], "value": p["value"], "verdict": p["verdict"]} for p in points],
    }


def _message() -> dict:
    return {"text": "no measurements yet", "x": _r((LEFT + RIGHT) / 2), "y": _r((TOP + BOTTOM) / 2 + 4)}


def _scale(values: list[float]) -> tuple[float, float, float, float]:
    """(lowest, highest) of the values, and the padded range the plot spans."""
    if not values:
        return 0.0, 1.0, 0.0, 1.0
    low, high = min(values), max(values)
    pad = (high - low) * 0.12 if high > low else max(abs(high) * 0.1, 1.0)
    return low, high, low - pad, high + pad


def _y(value: float, scale) -> float:
    _, _, bottom, top = scale
    return _r(BOTTOM - (value - bottom) / (top - bottom) * (BOTTOM - TOP))


def _x(index: int, count: int) -> float:
    if count == 1:
        return _r((LEFT + RIGHT) / 2)
    return _r(LEFT + INSET + index * (RIGHT - LEFT - 2 * INSET) / (count - 1))


def _number(value: float, unit: str = "") -> str:
    """12.5, 2,000,000, 0.000123: whole numbers in full, others to six significant digits."""
    shown = f"{int(value):,}" if value.is_integer() and abs(value) < 1e15 else f"{value:.6g}"
    return f"{shown} {unit}".strip()


def _on_target(value: float, target: float | None, direction: str) -> bool | None:
    if target is None:
        return None
    return value >= target if direction == "higher" else value <= target


def _marker(index, count, period: date, value, target, direction, unit, scale) -> dict:
    """A filled circle on target, a hollow square off target, a small grey dot without a target."""
    x, y, hit = _x(index, count), _y(value, scale), _on_target(value, target, direction)
    verdict = {True: "on target", False: "off target", None: "no target"}[hit]
    look = {True: ("circle", ON_TARGET, ON_TARGET, 4.0), False: ("square", WHITE, OFF_TARGET, 4.0),
            None: ("circle", NEUTRAL, NEUTRAL, 3.0)}[hit]
    return {"x": x, "y": y, "period": period.isoformat(), "value": _number(value, unit), "on_target": hit,
            "verdict": verdict, "shape": look[0], "fill": look[1], "stroke": look[2], "size": look[3],
            "corner_x": _r(x - look[3]), "corner_y": _r(y - look[3]), "side": 2 * look[3],
            "title": f"{period.isoformat()}: {_number(value, unit)} ({verdict})"}


def _target_text(target: float, direction: str, unit: str) -> str:
    return f"target {SIGNS[direction]} {_number(target, unit)}"


def _target_line(target, direction, unit, scale) -> dict | None:
    if target is None:
        return None
    y = _y(target, scale)
    return {"x1": LEFT, "x2": RIGHT, "y": y, "text": _target_text(target, direction, unit),
            "text_x": RIGHT, "text_y": _r(y - 3 if y - 3 > TOP + 6 else y + 10)}


def _axis_labels(points: list[dict], scale, unit: str) -> list[dict]:
    if not points:
        return []
    low, high = scale[0], scale[1]
    values = [{"text": _tick(v, unit), "x": LEFT - 4, "y": _r(_y(v, scale) + 3), "anchor": "end"}
              for v in dict.fromkeys((high, low))]
    ends = [points[0]] if len(points) == 1 else [points[0], points[-1]]
    anchors = ["middle"] if len(points) == 1 else ["start", "end"]
    periods = [{"text": p["period"], "x": p["x"] if a == "middle" else (LEFT if a == "start" else RIGHT),
                "y": CHART_HEIGHT - 8, "anchor": a} for p, a in zip(ends, anchors)]
    return values + periods


def _tick(value: float, unit: str) -> str:
    """A value short enough for the left margin: 1.2M, 45k, 12.5; a unit only if it is short too."""
    for least, size, suffix in ((1e9, 1e9, "G"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if abs(value) >= least:
            return _number(float(f"{value / size:.3g}"), "") + suffix
    return _number(float(f"{value:.4g}"), unit if len(unit) <= 3 else "")


def _summary(name: str, target, direction: str, unit: str, points: list[dict]) -> str:
    goal = f" ({_target_text(target, direction, unit)})" if target is not None else ""
    if not points:
        return f"{name}: no measurements yet{goal}"
    if target is None:
        return f"{name}: {len(points)} period(s) measured, the latest {points[-1]['value']}; no target set"
    if len(points) == 1:
        return f"{name}: the one period measured is {points[0]['verdict']}{goal}"
    hits = sum(p["on_target"] for p in points)
    return f"{name}: {hits} of the last {len(points)} periods on target{goal}"
