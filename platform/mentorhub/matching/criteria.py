"""One matching criterion: its shape, as a scheme file and the matching input both write it,
and the one check of what it means.

A scheme's ``[[scheme.matching.criteria]]`` and the ``criteria`` of a matching input are the
same thing, so they are one model (:class:`Criterion`) checked by one function
(:func:`check_criteria`): a criterion valid in a tenant's file is valid for the engine, with
the same defaults. What each kind scores is described in :mod:`mentorhub.matching.scoring`.

A criterion keeps what was written (``hard`` and ``min`` may be left out, meaning the kind's
default) because stored scheme versions are compared as written; :meth:`Criterion.resolved`
spells every default out, and that is what the engine reads. Pure: msgspec only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Literal

import msgspec
import msgspec.inspect as mi
from msgspec import Meta

from mentorhub.core.problems import Problem, from_lines
from mentorhub.core.shape import Found, walk

__all__ = [
    "DEFAULT_HARD",
    "KINDS",
    "RESERVED_FIELDS",
    "Criterion",
    "InputError",
    "Kind",
    "check_criteria",
    "parse_criteria",
]

Kind = Literal["overlap", "same", "min_gap", "distance", "career_stage", "availability"]
KINDS: tuple[Kind, ...] = ("overlap", "same", "min_gap", "distance", "career_stage", "availability")

#: Whether a criterion excludes pairs unless it says otherwise.
DEFAULT_HARD: dict[str, bool] = {
    "overlap": False,
    "same": False,
    "min_gap": True,
    "distance": True,
    "career_stage": True,
    "availability": True,
}

#: Keys of a person record that are not fields a criterion may read.
RESERVED_FIELDS = frozenset({"id", "conflicts", "declined", "capacity", "assigned"})

# kind → (parameters it needs, parameters it reads)
_PARAMS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "overlap": (frozenset(), frozenset({"min"})),
    "same": (frozenset(), frozenset()),
    "min_gap": (frozenset({"min"}), frozenset({"min"})),
    "distance": (frozenset({"max"}), frozenset({"max"})),
    "career_stage": (frozenset({"order"}), frozenset({"order", "min"})),
    "availability": (frozenset(), frozenset({"min"})),
}

Text = Annotated[str, Meta(min_length=1)]
NonNegFloat = Annotated[float, Meta(ge=0)]


class InputError(ValueError):
    """Raised with the complete list of problems found in a matching input, as
    "path: message" lines; `found` gives them as the one problem type."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: list[str] = list(problems)
        super().__init__("; ".join(self.problems))

    @property
    def found(self) -> list[Problem]:
        return from_lines(self.problems)


class Criterion(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One scoring rule. ``weight`` defaults to 1.0 for every kind (a ``min_gap`` meant only
    as a gate says ``weight = 0``); ``hard`` and ``min`` default per kind (see
    :meth:`resolved`); ``description`` and ``label`` are words for people."""

    name: Text
    kind: Kind
    field: Text
    weight: NonNegFloat = 1.0
    min: float | None = None
    max: float | None = None
    order: tuple[Text, ...] | None = None
    hard: bool | None = None
    description: str | None = None
    label: str | None = None

    @property
    def is_hard(self) -> bool:
        """Whether failing it excludes the pair: as written, else the kind's default."""
        return self.hard if self.hard is not None else DEFAULT_HARD[self.kind]

    def title(self) -> str:
        """How the criterion is named in explanations, e.g. ``min_gap 'experience'``."""
        return f"{self.kind} '{self.name}'"

    def stages(self) -> tuple[str, ...]:
        """A career_stage criterion's stages, junior first (empty for other kinds)."""
        return self.order or ()

    def resolved(self) -> Criterion:
        """The same criterion with every default spelled out, as the engine reads it:
        ``hard`` is set, and ``min`` is the least shared items (overlap: 1 when hard, else 0;
        availability: 1) or the least stage gap (career_stage: 0)."""
        least = self.min
        if least is None and self.kind in ("overlap", "availability"):
            least = 1.0 if (self.is_hard or self.kind == "availability") else 0.0
        elif least is None and self.kind == "career_stage":
            least = 0.0
        return msgspec.structs.replace(
            self, hard=self.is_hard, min=None if least is None else float(least)
        )


_INFO = mi.type_info(Criterion)


def _check_one(c: Criterion) -> Found:
    """What is wrong with one well-shaped criterion, as (key, message) pairs."""
    found: Found = []
    if c.field in RESERVED_FIELDS:
        found.append(("field", f"{c.field!r} is reserved for the person record"))
    required, allowed = _PARAMS[c.kind]
    given = {k for k in ("min", "max", "order") if getattr(c, k) is not None}
    for k in sorted(required - given):
        found.append((k, f"required for kind {c.kind!r}"))
    for k in sorted(given - allowed):
        found.append((k, f"not used by kind {c.kind!r}"))
    for k in ("min", "max"):
        v = getattr(c, k)
        if v is not None and not math.isfinite(v):
            found.append((k, "must be a finite number"))
    if c.kind == "distance" and c.max is not None and c.max <= 0:
        found.append(("max", "must be > 0 (kilometres)"))
    if c.min is not None and math.isfinite(c.min):
        if c.kind in ("overlap", "availability", "career_stage") and c.min != int(c.min):
            found.append(("min", "must be a whole number"))
        elif c.kind == "overlap" and c.min < 0:
            found.append(("min", "must be ≥ 0"))
        elif c.kind == "availability" and c.min < 1:
            found.append(("min", "must be ≥ 1 shared item"))
    if c.order is not None:
        if not c.order:
            found.append(("order", "must list at least one stage"))
        if len(set(c.order)) != len(c.order):
            found.append(("order", "lists a stage twice"))
        if c.min is not None and c.min >= len(c.order):
            found.append(
                ("min", f"a gap of {c.min:g} stages is impossible with {len(c.order)} stages")
            )
    if c.weight == 0 and not c.is_hard:
        found.append(("weight", "a soft criterion with weight 0 has no effect"))
    return found


def check_criteria(criteria: Iterable[tuple[int, Criterion]], path: str) -> Found:
    """The one check of what criteria mean, for the (index, criterion) pairs whose shape is
    sound; each problem's path is ``<path>[<index>].<key>``."""
    found: Found = []
    seen: dict[str, int] = {}
    for i, c in criteria:
        where = f"{path}[{i}]"
        if c.name in seen:
            found.append(
                (f"{where}.name", f"{c.name!r} is already used by criteria[{seen[c.name]}]")
            )
        seen.setdefault(c.name, i)
        found.extend((f"{where}.{key}", message) for key, message in _check_one(c))
    return found


def _still_checkable(item: Mapping[str, Any], i: int) -> Criterion | None:
    """An invalid criterion that still names a kind and a field (and, for career_stage, its
    stages): people's fields are checked against it too, so one run lists every problem."""
    kind, fld, order = item.get("kind"), item.get("field"), item.get("order")
    if kind not in KINDS or not isinstance(fld, str) or not fld:
        return None
    stages: tuple[str, ...] | None = None
    if kind == "career_stage":
        if not isinstance(order, list) or not order or not all(isinstance(s, str) for s in order):
            return None
        stages = tuple(order)
    name = item.get("name")
    return Criterion(
        name=name if isinstance(name, str) and name else f"#{i}", kind=kind, field=fld,
        order=stages,
    )


def parse_criteria(
    raw: object,
    problems: list[str] | None = None,
    checkable: list[Criterion] | None = None,
) -> tuple[Criterion, ...]:
    """Validate a criteria list (a matching input's, or a scheme's as builtins) and return the
    criteria resolved for the engine.

    Without ``problems`` it raises :class:`InputError`; with it, problems are appended so a
    caller can report criteria and people together. ``checkable`` receives the criteria that
    are invalid but still name a kind and a field, so people's fields can be checked too.
    """
    found: Found = []
    if not isinstance(raw, list | tuple):
        found.append(("criteria", "must be a list"))
        raw = []
    sound: list[tuple[int, Criterion]] = []
    for i, item in enumerate(raw):
        shape: Found = []
        walk(item, _INFO, f"criteria[{i}]", shape)
        if shape:
            found.extend(shape)
            crit = _still_checkable(item, i) if isinstance(item, Mapping) else None
            if checkable is not None and crit is not None:
                checkable.append(crit)
            continue
        sound.append((i, msgspec.convert(item, Criterion)))
    meaning = check_criteria(sound, "criteria")
    found.extend(meaning)
    bad = {path.split("]", 1)[0] + "]" for path, _ in meaning}
    out: list[Criterion] = []
    for i, c in sound:
        if f"criteria[{i}]" in bad:
            if checkable is not None and (c.kind != "career_stage" or c.order):
                checkable.append(c)
        else:
            out.append(c.resolved())
    messages = [f"{path}: {message}" for path, message in found]
    if problems is None:
        if messages:
            raise InputError(messages)
    else:
        problems.extend(messages)
    return tuple(out)
