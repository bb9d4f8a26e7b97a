"""The report's charts as server-rendered SVG — pure (no database, no web): horizontal bars,
one per answer, each with its label above it and its percentage after it, so the chart
reads without JavaScript and scales to a phone's width (a viewBox, width 100 %).

For screen readers a chart is one image (`role="img"`) named by its `<title>` and an
`aria-label` that says every bar in words; the page puts the same numbers in a table beside
it (the table is the accessible equivalent, the chart a picture of it). Colours are
presentation attributes, not styles, so the page's Content-Security-Policy has nothing to
allow. A suppressed table has no chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from mentorhub.reports.aggregate import Change, Share, Table

__all__ = ["AFTER", "BAR", "bar_chart", "change_chart"]

WIDTH = 640
LABEL = 15
ROW = 46
BAR_H = 16
#: Dark enough against white for text and bars alike (WCAG AA on white).
BAR = "#1d4ed8"
AFTER = "#0f766e"
INK = "#1f2937"
TRACK = "#e5e7eb"


def _words(rows: Sequence[Share]) -> str:
    return "; ".join(f"{r.label}: {r.count} ({r.percent:g} %)" for r in rows)


def _bars(rows: Sequence[Share], top: int, color: str, tag: str = "") -> list[str]:
    out: list[str] = []
    span = WIDTH - 90
    for n, r in enumerate(rows):
        y = top + n * ROW
        width = max(0.0, min(100.0, r.percent)) / 100 * span
        out.append(
            f'<text x="0" y="{y + LABEL}" font-size="{LABEL}" fill="{INK}">'
            f"{escape(tag + r.label)}</text>"
        )
        out.append(
            f'<rect x="0" y="{y + 22}" width="{span}" height="{BAR_H}" fill="{TRACK}" rx="3"/>'
        )
        if width > 0:
            out.append(
                f'<rect x="0" y="{y + 22}" width="{width:.1f}" height="{BAR_H}" '
                f'fill="{color}" rx="3"/>'
            )
        out.append(
            f'<text x="{span + 8}" y="{y + 35}" font-size="{LABEL}" fill="{INK}">'
            f"{r.percent:g} %</text>"
        )
    return out


def _svg(title: str, label: str, height: int, parts: list[str]) -> str:
    return (
        f'<svg class="report-chart" role="img" aria-label="{escape(label)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        + "".join(parts)
        + "</svg>"
    )


def bar_chart(t: Table, color: str = BAR) -> str:
    """The table's answers as bars ("" for a suppressed or empty table)."""
    if t.suppressed or not t.rows:
        return ""
    height = len(t.rows) * ROW + 4
    label = f"{t.title}. {_words(t.rows)}. Of {t.respondents} respondents."
    return _svg(t.title, label, height, _bars(t.rows, 0, color))


def change_chart(c: Change) -> str:
    """Before and after, each answer's two bars one under the other ("" when suppressed)."""
    if c.suppressed or not c.before:
        return ""
    parts: list[str] = []
    y = 0
    for b, a in zip(c.before, c.after, strict=True):
        parts += _bars([b], y, BAR, "Before: ")
        parts += _bars([a], y + ROW, AFTER, "After: ")
        y += 2 * ROW + 8
    label = (
        f"{c.title}. Before ({c.before_title}): {_words(c.before)}. After ({c.after_title}): "
        f"{_words(c.after)}. {c.rose_percent:g} % of {c.people} people rose."
    )
    return _svg(c.title, label, y, parts)
