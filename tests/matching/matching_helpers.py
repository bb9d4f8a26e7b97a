"""Shared helpers for the matching tests: random small instances and a brute-force solver."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import strategies as st

from mentorhub.matching import Instance, parse_instance
from mentorhub.matching.scoring import score_people

STAGES = ["early", "mid", "late"]
TOPICS = ["a", "b", "c", "d"]
DAYS = ["mon", "tue", "wed"]


@st.composite
def instances(draw: st.DrawFn, max_mentees: int = 5, max_mentors: int = 4) -> dict[str, Any]:
    """A small random input (as JSON-like data) using every criterion kind."""
    n_e = draw(st.integers(0, max_mentees))
    n_r = draw(st.integers(0, max_mentors))
    crit_pool: list[dict[str, Any]] = [
        {"name": "needs", "kind": "overlap", "field": "topics",
         "weight": draw(st.sampled_from([0.5, 1.0, 2.0]))},
        {"name": "region", "kind": "same", "field": "region",
         "weight": draw(st.sampled_from([0.25, 1.0])), "hard": draw(st.booleans())},
        {"name": "exp", "kind": "min_gap", "field": "years", "min": draw(st.integers(-2, 4)),
         "weight": draw(st.sampled_from([0.0, 0.7]))},
        {"name": "travel", "kind": "distance", "field": "loc", "max": 300.0,
         "weight": draw(st.sampled_from([1.0, 1.3])), "hard": draw(st.booleans())},
        {"name": "stage", "kind": "career_stage", "field": "stage", "order": STAGES,
         "min": draw(st.integers(-1, 1)), "weight": 1.1},
        {"name": "slots", "kind": "availability", "field": "slots", "weight": 0.3},
    ]
    keep = draw(st.lists(st.booleans(), min_size=6, max_size=6))
    criteria = [c for c, k in zip(crit_pool, keep, strict=True) if k]
    mentor_ids = [f"r{i}" for i in range(n_r)]

    def fields() -> dict[str, Any]:
        return {
            "topics": draw(st.lists(st.sampled_from(TOPICS), max_size=3)),
            "region": draw(st.sampled_from(["n", "s", 1])),
            "years": draw(st.integers(0, 8)),
            "loc": [draw(st.sampled_from([51.5, 52.0, 53.4])),
                    draw(st.sampled_from([-0.1, -1.5, -2.2]))],
            "stage": draw(st.sampled_from(STAGES)),
            "slots": draw(st.lists(st.sampled_from(DAYS), max_size=2)),
        }

    ids = st.lists(st.sampled_from(mentor_ids), max_size=2, unique=True) if mentor_ids else (
        st.just([]))
    mentees = [
        {"id": f"e{i}", **fields(), "conflicts": draw(ids), "declined": draw(ids)}
        for i in range(n_e)
    ]
    mentors = [
        {"id": m, **fields(), "capacity": draw(st.integers(0, 2)),
         "assigned": draw(st.integers(0, 1))}
        for m in mentor_ids
    ]
    data: dict[str, Any] = {"criteria": criteria, "mentees": mentees, "mentors": mentors}
    if n_e and n_r:
        pairs = st.fixed_dictionaries(
            {"mentee": st.sampled_from([m["id"] for m in mentees]),
             "mentor": st.sampled_from(mentor_ids)})
        data["forbidden"] = draw(st.lists(pairs, max_size=2))
        data["pinned"] = draw(st.lists(pairs, max_size=1))
    return data


def brute_force(inst: Instance) -> tuple[int, float]:
    """(most pairs, best total score) over every capacity-respecting assignment."""
    free = {m.id: m.free for m in inst.mentors}
    pinned = dict(inst.pinned)
    base = 0.0
    for e, r in pinned.items():
        free[r] -= 1
        base += score_people(inst, inst.mentees[inst.mentee_index(e)],
                             inst.mentors[inst.mentor_index(r)]).score
    options: list[list[tuple[str | None, float]]] = []
    for mentee in inst.mentees:
        if mentee.id in pinned:
            continue
        opts: list[tuple[str | None, float]] = [(None, 0.0)]
        for mentor in inst.mentors:
            p = score_people(inst, mentee, mentor)
            if p.eligible and free[mentor.id] > 0:
                opts.append((mentor.id, p.score))
        options.append(opts)
    best = (-1, float("-inf"))
    for combo in itertools.product(*options):
        used: dict[str, int] = {}
        for mentor_id, _ in combo:
            if mentor_id is not None:
                used[mentor_id] = used.get(mentor_id, 0) + 1
        if any(n > free[m] for m, n in used.items()):
            continue
        key = (sum(1 for m, _ in combo if m is not None), sum(s for _, s in combo))
        if key[0] > best[0] or (key[0] == best[0] and key[1] > best[1]):
            best = key
    return best[0] + len(pinned), best[1] + base


def try_parse(data: dict[str, Any]) -> Instance | None:
    """Parse, or None when the random pins happen to be inadmissible."""
    from mentorhub.matching import InputError

    try:
        return parse_instance(data)
    except InputError as exc:
        assert all(p.startswith("pinned") for p in exc.problems), exc.problems
        return None
