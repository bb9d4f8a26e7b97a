"""Scoring a mentee against mentors, with the reasons — the reference (plain Python) scorer.

A scheme lists criteria (:class:`~mentorhub.matching.criteria.Criterion`, one model for
scheme files and matching inputs); each has a ``name``, a ``kind``, the ``field`` it reads on
both people, a ``weight`` (default 1.0) and, per kind, ``min``/``max``/``order``/``hard``. A
pair's score is the sum of the criteria's points, added in the order the criteria are listed. A
*hard* criterion that is not met excludes the pair (it is never suggested nor assigned), and
the explanation names it; a soft one that is not met just gives 0 points.

Kinds (``hard`` default in brackets):

``overlap`` [soft] — list field (e.g. needs vs. expertise). Points: ``weight × k`` where ``k``
    is the number of *distinct* mentee items the mentor also has. If made hard, the pair
    needs ``k ≥ min`` (default 1).
``same`` [soft] — scalar field (e.g. region). Points: ``weight`` if equal, else 0 — "region
    where possible". If hard, unequal values exclude the pair.
``min_gap`` [hard] — number field (e.g. years of experience). Needs
    ``mentor − mentee ≥ min`` (Arts Marketing: ``min = 5``). The weight (default 1.0, as for
    every kind) is added when the gap is met; a rule meant only as a gate says ``weight = 0``.
``distance`` [hard] — field ``[lat, lon]`` in degrees. Great-circle (haversine, R = 6371 km)
    distance ``d`` must be ``≤ max`` km; points ``weight × (1 − d / max)``, so nearer is better.
    Soft: beyond ``max`` gives 0 points.
``career_stage`` [hard] — field holds a stage name from ``order`` (junior → senior). With
    ``gap`` = mentor's index − mentee's index, needs ``gap ≥ min`` (default 0: not junior to the
    mentee); points ``weight / (1 + gap − min)``, so the closest suitable stage scores most
    (Alberta matches by career stage; a mentor far ahead is acceptable but less apt).
``availability`` [hard] — list field (e.g. time slots, meeting modes). Needs at least ``min``
    (default 1) shared items; points ``weight × shared``.

Structural rules, always hard, checked before the criteria: the mentee's ``conflicts`` and
``declined`` mentor ids, and pairs the coordinator ``forbidden``. Capacity is a property of
the mentor rather than of a pair; suggestions skip full mentors and cohort assignment never
exceeds free places (see :mod:`mentorhub.matching.input`).

This module is the readable definition. :mod:`mentorhub.matching.vector` computes the same
numbers for whole blocks with NumPy; tests hold the two equal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from mentorhub.matching.criteria import Criterion
from mentorhub.matching.input import Instance, Person

EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True, slots=True)
class Contribution:
    """What one criterion gave a pair, in words a coordinator or mentee can read."""

    criterion: str
    kind: str
    points: float
    detail: str

    def to_dict(self) -> dict[str, object]:
        return {
            "criterion": self.criterion,
            "kind": self.kind,
            "points": self.points,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class PairScore:
    """A pair's score and its explanation; ``excluded_by`` is set when a hard rule fails."""

    mentee: str
    mentor: str
    score: float
    contributions: tuple[Contribution, ...]
    excluded_by: str | None

    @property
    def eligible(self) -> bool:
        return self.excluded_by is None


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two ``(lat, lon)`` points in degrees."""
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dp = p2 - p1
    dl = math.radians(b[1]) - math.radians(a[1])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))


def _fmt(x: float) -> str:
    return f"{x:g}"


def _criterion(
    crit: Criterion, mentee: Person, mentor: Person
) -> tuple[float, bool, str]:
    """Points, whether the criterion is met, and the detail text (one criterion, one pair)."""
    a = mentee.fields[crit.field]
    b = mentor.fields[crit.field]
    lo = crit.min if crit.min is not None else 0.0
    if crit.kind in ("overlap", "availability"):
        shared = a & b
        k = len(shared)
        ok = k >= lo
        items = ", ".join(sorted(map(str, shared)))
        detail = f"{k} shared" + (f": {items}" if items else "")
        if not ok:
            detail += f" (needs ≥ {_fmt(lo)})"
        return crit.weight * k, ok, detail
    if crit.kind == "same":
        ok = a == b
        detail = f"same: {b}" if ok else f"{a} vs {b}"
        return (crit.weight if ok else 0.0), ok, detail
    if crit.kind == "min_gap":
        gap = b - a
        ok = gap >= lo
        detail = f"gap {_fmt(gap)} (needs ≥ {_fmt(lo)})"
        return (crit.weight if ok else 0.0), ok, detail
    if crit.kind == "distance":
        top = crit.max if crit.max is not None else math.inf
        d = haversine_km(a, b)
        ok = d <= top
        detail = f"{d:.1f} km (max {_fmt(top)} km)"
        return (crit.weight * (1.0 - d / top) if ok else 0.0), ok, detail
    # career_stage
    gap = float(crit.stages().index(b) - crit.stages().index(a))
    ok = gap >= lo
    detail = f"{b} for {a} ({_fmt(gap)} stage(s) ahead, needs ≥ {_fmt(lo)})"
    return (crit.weight / (1.0 + (gap - lo)) if ok else 0.0), ok, detail


def structural_exclusion(instance: Instance, mentee: Person, mentor: Person) -> str | None:
    """The structural rule excluding a pair, if any (conflict, declined, forbidden)."""
    if mentor.id in mentee.conflicts:
        return "conflict of interest"
    if mentor.id in mentee.declined:
        return "mentor declined this mentee"
    if (mentee.id, mentor.id) in instance.forbidden:
        return "forbidden by the coordinator"
    return None


def score_people(instance: Instance, mentee: Person, mentor: Person) -> PairScore:
    """Score one pair with every criterion's contribution (the explanation shown to people)."""
    excluded = structural_exclusion(instance, mentee, mentor)
    total = 0.0
    parts: list[Contribution] = []
    for crit in instance.criteria:
        points, ok, detail = _criterion(crit, mentee, mentor)
        if not ok and crit.hard and excluded is None:
            excluded = f"excluded by {crit.title()}: {detail}"
        total += points
        parts.append(Contribution(crit.name, crit.kind, points, detail))
    return PairScore(mentee.id, mentor.id, total, tuple(parts), excluded)


def score_pair(instance: Instance, mentee_id: str, mentor_id: str) -> PairScore:
    """Score one pair by ids — what the web layer calls to show "why this mentor"."""
    return score_people(
        instance,
        instance.mentees[instance.mentee_index(mentee_id)],
        instance.mentors[instance.mentor_index(mentor_id)],
    )


def reference_scores(instance: Instance, mentee_index: int) -> list[float | None]:
    """Plain-Python scores of one mentee against every mentor (None = excluded by a rule).

    Capacity is not applied here: it belongs to the mentor, not to the pair. This is the
    slow, obviously-correct path the vectorised scorer is tested and benchmarked against.
    """
    mentee = instance.mentees[mentee_index]
    criteria: Sequence[Criterion] = instance.criteria
    out: list[float | None] = []
    for mentor in instance.mentors:
        if structural_exclusion(instance, mentee, mentor) is not None:
            out.append(None)
            continue
        total = 0.0
        excluded = False
        for crit in criteria:
            points, ok, _ = _criterion_fast(crit, mentee, mentor)
            if not ok and crit.hard:
                excluded = True
                break
            total += points
        out.append(None if excluded else total)
    return out


def _criterion_fast(crit: Criterion, mentee: Person, mentor: Person) -> tuple[float, bool, None]:
    """:func:`_criterion` without building the text (the same arithmetic, in the same order)."""
    a = mentee.fields[crit.field]
    b = mentor.fields[crit.field]
    lo = crit.min if crit.min is not None else 0.0
    kind = crit.kind
    if kind == "overlap" or kind == "availability":
        k = len(a & b)
        return crit.weight * k, k >= lo, None
    if kind == "same":
        ok = a == b
        return (crit.weight if ok else 0.0), ok, None
    if kind == "min_gap":
        ok = b - a >= lo
        return (crit.weight if ok else 0.0), ok, None
    if kind == "distance":
        top = crit.max if crit.max is not None else math.inf
        d = haversine_km(a, b)
        ok = d <= top
        return (crit.weight * (1.0 - d / top) if ok else 0.0), ok, None
    gap = float(crit.stages().index(b) - crit.stages().index(a))
    ok = gap >= lo
    return (crit.weight / (1.0 + (gap - lo)) if ok else 0.0), ok, None
