"""The report's charts as server-rendered SVG — pure (no database, no web): horizontal bars,
one per answer, each with its label above it and its percentage after it, so the chart
reads without JavaScript and scales down to a phone's width (a viewBox; the stylesheet's max-width).

For screen readers a chart is one image (`role="img"`) named by its `<title>` and an
`aria-label` that says every bar in words; the page puts the same numbers in a table beside
it (the table is the accessible equivalent, the chart a picture of it). Colours are
presentation attributes, not styles, so the page's Content-Security-Policy has nothing to
allow. A suppressed table has no chart.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Literal

from mentorhub.reports.aggregate import Change, Share, Table, percent

__all__ = [
    "AFTER",
    "BAR",
    "Block",
    "bar_chart",
    "blocks",
    "change_chart",
    "grid_chart",
    "rise_chart",
    "top_count",
    "top_share",
    "top_words",
]

WIDTH = 480
LABEL = 19
LINE = 23
BAR_H = 18
#: Characters of a label per line (DejaVu/Helvetica at LABEL on WIDTH).
WRAP = 42
#: Dark enough against white for text and bars alike (WCAG AA on white).
BAR = "#1d4ed8"
AFTER = "#0f766e"
INK = "#1f2937"
TRACK = "#e5e7eb"


def _words(rows: Sequence[Share]) -> str:
    return "; ".join(f"{r.label}: {r.count} ({r.percent:g} %)" for r in rows)


def _bars(rows: Sequence[Share], top: int, color: str, tag: str = "") -> tuple[list[str], int]:
    """The rows' labels (wrapped) and bars from `top`; the parts and the height used."""
    out: list[str] = []
    span = WIDTH - 96
    y = top
    for r in rows:
        lines = textwrap.wrap(tag + r.label, WRAP) or [""]
        for line in lines:
            y += LINE
            out.append(
                f'<text x="0" y="{y - 5}" font-size="{LABEL}" fill="{INK}">{escape(line)}</text>'
            )
        width = max(0.0, min(100.0, r.percent)) / 100 * span
        out.append(
            f'<rect x="0" y="{y + 2}" width="{span}" height="{BAR_H}" fill="{TRACK}" rx="3"/>'
        )
        if width > 0:
            out.append(
                f'<rect x="0" y="{y + 2}" width="{width:.1f}" height="{BAR_H}" '
                f'fill="{color}" rx="3"/>'
            )
        out.append(
            f'<text x="{span + 8}" y="{y + 18}" font-size="{LABEL}" fill="{INK}">'
            f"{r.percent:g} %</text>"
        )
        y += BAR_H + 14
    return out, y - top


def _svg(title: str, label: str, height: int, parts: list[str]) -> str:
    """Drawn `WIDTH` wide; the page's stylesheet (`svg { max-width: 100%; height: auto }`)
    shrinks it to a phone's width, keeping its proportions."""
    return (
        f'<svg class="report-chart" role="img" aria-label="{escape(label)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        + "".join(parts)
        + "</svg>"
    )


def bar_chart(t: Table, color: str = BAR) -> str:
    """The table's answers as bars ("" for a suppressed or empty table)."""
    if t.suppressed or not t.rows:
        return ""
    parts, height = _bars(t.rows, 0, color)
    label = f"{t.title}. {_words(t.rows)}. Of {t.respondents} respondents."
    return _svg(t.title, label, height + 4, parts)


def change_chart(c: Change) -> str:
    """Before and after, each answer's two bars one under the other ("" when suppressed)."""
    if c.suppressed or not c.before:
        return ""
    parts: list[str] = []
    y = 0
    for b, a in zip(c.before, c.after, strict=True):
        more, used = _bars([b], y, BAR, "Before: ")
        parts += more
        y += used
        more, used = _bars([a], y, AFTER, "After: ")
        parts += more
        y += used + 8
    label = (
        f"{c.title}. Before ({c.before_title}): {_words(c.before)}. After ({c.after_title}): "
        f"{_words(c.after)}. {c.rose_percent:g} % of {c.people} people rose."
    )
    return _svg(c.title, label, y, parts)


# --- grids and changes: one chart for many statements ---------------------------------------


@dataclass(frozen=True)
class Block:
    """What the page (and the PDF) shows as one unit: a table on its own, a Likert grid's
    statements (one table, one chart), or a run of changes of one question."""

    kind: Literal["table", "grid", "changes"]
    group: str = ""
    tables: tuple[Table, ...] = ()
    changes: tuple[Change, ...] = ()


def blocks(tables: Sequence[Table], changes: Sequence[Change]) -> list[Block]:
    """`tables` and `changes` in their order, a grid's statements and one question's
    changes each gathered into one block."""
    out: list[Block] = []
    for t in tables:
        last = out[-1] if out else None
        if t.grid and last is not None and last.kind == "grid" and last.group == t.group:
            out[-1] = Block("grid", t.group, (*last.tables, t))
        elif t.grid:
            out.append(Block("grid", t.group, (t,)))
        else:
            out.append(Block("table", t.group, (t,)))
    for c in changes:
        last = out[-1] if out else None
        if last is not None and last.kind == "changes" and last.group == c.group:
            out[-1] = Block("changes", c.group, changes=(*last.changes, c))
        else:
            out.append(Block("changes", c.group, changes=(c,)))
    return out


def _top(rows: Sequence[Share]) -> Sequence[Share]:
    """The scale's top answers: the last two of four or more options, else the last."""
    return rows[-2:] if len(rows) >= 4 else rows[-1:]


def top_words(t: Table) -> str:
    """ "Agree or Strongly agree" (the answers `top_share` counts)."""
    return " or ".join(r.label for r in _top(t.rows))


def top_count(t: Table) -> int:
    """How many respondents gave one of the scale's top answers."""
    return sum(r.count for r in _top(t.rows))


def top_share(t: Table) -> float:
    """The share of respondents in the scale's top answers (per cent)."""
    return percent(sum(r.count for r in _top(t.rows)), t.respondents)


def grid_chart(b: Block, color: str = BAR) -> str:
    """A grid's statements as bars: each the share in the top answers ("" if none shown)."""
    shown = [t for t in b.tables if not t.suppressed and t.rows]
    if not shown:
        return ""
    words = top_words(shown[0])
    rows = [Share(t.title, sum(r.count for r in _top(t.rows)), top_share(t)) for t in shown]
    label = f"{b.group}: share answering {words}. {_words(rows)}."
    parts, height = _bars(rows, 0, color)
    return _svg(f"{b.group}: {words}", label, height + 4, parts)


def rise_chart(b: Block, color: str = AFTER) -> str:
    """One question's changes as bars: each the share of people whose answer rose."""
    shown = [c for c in b.changes if not c.suppressed]
    if not shown:
        return ""
    rows = [Share(c.title, c.rose, c.rose_percent) for c in shown]
    title = f"{b.group or 'Answers'}: gave a higher answer the second time"
    label = f"{title}. {_words(rows)}."
    parts, height = _bars(rows, 0, color)
    return _svg(title, label, height + 4, parts)
