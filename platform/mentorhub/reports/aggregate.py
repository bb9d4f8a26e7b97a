"""The evaluation report's arithmetic — pure (no database, no web): counts and percentages,
the suppression of small groups, and the change from a baseline answer to a final one.

Decisions where the issue is silent:

* A group is suppressed as a whole: a table whose respondents are fewer than the minimum
  group size keeps no counts, no percentages and no respondent count — only the words
  "fewer than 5 — not shown" (`suppressed_words`). Within a table of enough respondents a
  small cell is shown (it is a share of a group large enough not to point at anyone).
* Percentages are of the table's respondents, rounded to one decimal place; for a question
  where people may choose several answers they need not add up to 100.
* A change is computed only from the people who answered the question both times; its
  before and after distributions are of those people too, so they compare like with like.
  "Rose" means a higher place on the scale (a later option of a Likert scale, a higher
  rating or number, yes after no).
* Means: a rating or a number on its own values; a Likert scale on the options' places,
  1 for the first option (said as "on a 1–5 scale").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "MIN_GROUP",
    "Change",
    "Figure",
    "Share",
    "Table",
    "change",
    "count_figure",
    "mean_of",
    "percent",
    "suppressed_words",
    "table",
]

#: The minimum group size. No scheme rule says one (the scheme's rules have no place for
#: it), so the platform's default, the issue's 5, holds for every tenant.
MIN_GROUP = 5


def suppressed_words(min_group: int = MIN_GROUP) -> str:
    return f"fewer than {min_group} — not shown"


def percent(part: int, whole: int) -> float:
    """`part` of `whole` in per cent, one decimal place (0 of nothing is 0)."""
    if whole <= 0:
        return 0.0
    return round(100.0 * part / whole, 1)


@dataclass(frozen=True)
class Share:
    """One answer (or status, or outcome) and how many gave it."""

    label: str
    count: int
    percent: float


@dataclass(frozen=True)
class Table:
    """A question's (or a group's) answers. Suppressed: nothing but the title survives."""

    title: str
    respondents: int
    rows: tuple[Share, ...]
    suppressed: bool = False
    #: The mean where the answers are on a scale (None otherwise), and what it is on.
    mean: float | None = None
    mean_words: str = ""
    #: People could choose several answers (the percentages need not add up to 100).
    several: bool = False
    #: A heading the table belongs under (a Likert grid's question, a role).
    group: str = ""
    #: One statement of a Likert grid (the page shows the grid as one table).
    grid: bool = False

    @property
    def total(self) -> int:
        return sum(r.count for r in self.rows)


@dataclass(frozen=True)
class Figure:
    """A headline number in words ("86", "4.5", "96 %"); `suppressed` when its group was
    too small, then `value` is the suppression's words."""

    label: str
    value: str
    suppressed: bool = False


def count_figure(label: str, value: str, group: int, min_group: int = MIN_GROUP) -> Figure:
    if group < min_group:
        return Figure(label, suppressed_words(min_group), suppressed=True)
    return Figure(label, value)


def _score(value: Any, scale: Sequence[Any]) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return float(scale.index(value) + 1)


def mean_of(counts: Mapping[Any, int], scale: Sequence[Any]) -> float | None:
    """The mean of the answers on `scale` (see the module), None without answers."""
    n = sum(c for v, c in counts.items() if v in scale)
    if n == 0:
        return None
    return round(sum(_score(v, scale) * c for v, c in counts.items() if v in scale) / n, 2)


def table(
    title: str,
    labels: Sequence[tuple[Any, str]],
    counts: Mapping[Any, int],
    respondents: int,
    *,
    min_group: int = MIN_GROUP,
    mean_scale: Sequence[Any] | None = None,
    mean_words: str = "",
    several: bool = False,
    group: str = "",
    keep_empty: bool = True,
    grid: bool = False,
) -> Table:
    """The table of `counts` (value → how many) in the order of `labels` ((value, words));
    values not in `labels` are left out. Suppressed below `min_group` respondents."""
    if respondents < min_group:
        return Table(title, 0, (), suppressed=True, several=several, group=group, grid=grid)
    rows = tuple(
        Share(words, counts.get(value, 0), percent(counts.get(value, 0), respondents))
        for value, words in labels
        if keep_empty or counts.get(value, 0)
    )
    mean = mean_of(counts, mean_scale) if mean_scale is not None else None
    return Table(
        title,
        respondents,
        rows,
        mean=mean,
        mean_words=mean_words if mean is not None else "",
        several=several,
        group=group,
        grid=grid,
    )


@dataclass(frozen=True)
class Change:
    """How the answers to a question asked twice moved, among the people who answered both
    times (`people`). Suppressed: only the title survives."""

    title: str
    before_title: str
    after_title: str
    people: int
    before: tuple[Share, ...] = ()
    after: tuple[Share, ...] = ()
    mean_before: float | None = None
    mean_after: float | None = None
    rose: int = 0
    same: int = 0
    fell: int = 0
    suppressed: bool = False
    group: str = ""
    mean_words: str = ""

    @property
    def mean_change(self) -> float | None:
        if self.mean_before is None or self.mean_after is None:
            return None
        return round(self.mean_after - self.mean_before, 2)

    @property
    def rose_percent(self) -> float:
        return percent(self.rose, self.people)

    @property
    def same_percent(self) -> float:
        return percent(self.same, self.people)

    @property
    def fell_percent(self) -> float:
        return percent(self.fell, self.people)


def change(
    title: str,
    labels: Sequence[tuple[Any, str]],
    transitions: Mapping[tuple[Any, Any], int],
    *,
    before_title: str,
    after_title: str,
    min_group: int = MIN_GROUP,
    group: str = "",
    mean_words: str = "",
) -> Change:
    """The change from `transitions` ((before, after) → how many people): only pairs whose
    both answers are on the scale (`labels`' values, in order) count."""
    scale = [v for v, _ in labels]
    both = {(b, a): n for (b, a), n in transitions.items() if b in scale and a in scale and n > 0}
    people = sum(both.values())
    if people < min_group:
        return Change(title, before_title, after_title, 0, suppressed=True, group=group)
    before: dict[Any, int] = {}
    after: dict[Any, int] = {}
    rose = same = fell = 0
    for (b, a), n in both.items():
        before[b] = before.get(b, 0) + n
        after[a] = after.get(a, 0) + n
        sb, sa = _score(b, scale), _score(a, scale)
        if sa > sb:
            rose += n
        elif sa < sb:
            fell += n
        else:
            same += n
    return Change(
        title,
        before_title,
        after_title,
        people,
        before=tuple(
            Share(w, before.get(v, 0), percent(before.get(v, 0), people)) for v, w in labels
        ),
        after=tuple(Share(w, after.get(v, 0), percent(after.get(v, 0), people)) for v, w in labels),
        mean_before=mean_of(before, scale),
        mean_after=mean_of(after, scale),
        rose=rose,
        same=same,
        fell=fell,
        group=group,
        mean_words=mean_words,
    )
