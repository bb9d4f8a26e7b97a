"""The cohort optimum on medium instances, proved by an LP dual certificate.

Brute force stops at a handful of mentees, so on seeded 300 × 100 instances the result of
:func:`assign_cohort` is checked two independent ways:

- an optimality certificate: the assignment is a circulation in the network
  source → mentee → mentor → sink → source (arc ``mentee → mentor`` costs ``-w``, with
  ``w = M + s - min(s)`` the cohort solver's cardinality-first weight; mentor → sink has the
  mentor's free places). A circulation is optimal exactly when its residual graph has no
  negative cycle, i.e. when node potentials exist that make every residual arc's reduced
  cost non-negative (LP duality; the network matrix is totally unimodular). The potentials
  come from Bellman–Ford over the residual graph of EVERY eligible arc, and every reduced
  cost is then checked; a suboptimal assignment is shown to be caught;
- SciPy's sparse LAPJVsp solver (``min_weight_full_bipartite_matching``, a different
  algorithm from the dense ``linear_sum_assignment`` the solver uses) on the same problem
  gives the same number of pairs and the same total score.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from mentorhub.matching import Instance, parse_instance
from mentorhub.matching.cohort import CohortResult, assign_cohort
from mentorhub.matching.vector import ScoreTable

REGIONS = [f"g{i}" for i in range(5)]
TOPICS = [f"t{i}" for i in range(12)]

CRITERIA: list[dict[str, Any]] = [
    {"name": "needs", "kind": "overlap", "field": "topics", "weight": 2.0},
    {"name": "region", "kind": "same", "field": "region", "weight": 1.0},
    {"name": "experience", "kind": "min_gap", "field": "years", "min": 3},
    {"name": "travel", "kind": "distance", "field": "loc", "max": 300, "weight": 1.5},
]


def medium(seed: int, n_mentees: int = 300, n_mentors: int = 100, crowded: bool = False,
           ) -> Instance:
    """Seeded instance; ``crowded``: capacity 1 and everyone prefers the same few mentors,
    so each mentee's favourites are mostly taken and second choices decide the optimum."""
    rng = random.Random(seed)

    def person(i: int, mentor: bool) -> dict[str, Any]:
        return {
            "id": f"{'r' if mentor else 'e'}{i}",
            "topics": rng.sample(TOPICS, rng.randint(1, 5 if mentor else 3)),
            "region": rng.choice(REGIONS),
            "years": rng.randint(5, 30) if mentor else rng.randint(0, 15),
            "loc": [round(rng.uniform(50.0, 56.0), 3), round(rng.uniform(-5.0, 1.0), 3)],
        }

    mentors = []
    for j in range(n_mentors):
        m = person(j, True) | {"capacity": 1 if crowded else rng.randint(0, 3),
                               "assigned": 0 if crowded else rng.randint(0, 1)}
        if crowded and j < 10:
            m["topics"] = list(TOPICS)  # the favourites: everyone's needs, same region
            m["region"] = REGIONS[0]
        mentors.append(m)
    mentees = []
    for i in range(n_mentees):
        p = person(i, False)
        if crowded:
            p["region"] = REGIONS[0]
        p["conflicts"] = [f"r{j}" for j in rng.sample(range(n_mentors), 3)]
        mentees.append(p)
    return parse_instance({"criteria": CRITERIA, "mentees": mentees, "mentors": mentors})


def _problem(inst: Instance, result: CohortResult) -> tuple[np.ndarray, ...]:
    """Scores, eligibility, free places (after pins) and the assignment of unpinned rows."""
    table = ScoreTable(inst)
    pinned = {inst.mentee_index(e) for e, _ in inst.pinned}
    free = table.free.copy()
    for _, r in inst.pinned:
        free[inst.mentor_index(r)] -= 1
    rows = np.array([i for i in range(len(inst.mentees)) if i not in pinned], dtype=np.int64)
    scores, eligible = table.block(rows)
    eligible &= (free > 0)[None, :]
    position = {int(r): k for k, r in enumerate(rows.tolist())}
    match = np.full(len(rows), -1, dtype=np.int64)
    for p in result.pairs:
        if not p.pinned:
            match[position[inst.mentee_index(p.mentee)]] = inst.mentor_index(p.mentor)
    return scores, eligible, free, match


def _weights(scores: np.ndarray, eligible: np.ndarray, free: np.ndarray) -> np.ndarray:
    ok = scores[eligible]
    s_min = float(ok.min())
    k = int(min(len(scores), free.sum()))
    big = 1.0 + (k + 1) * (float(ok.max()) - s_min)
    return np.where(eligible, big + scores - s_min, -np.inf)


def certificate_violation(scores: np.ndarray, eligible: np.ndarray, free: np.ndarray,
                          match: np.ndarray) -> float:
    """The most negative reduced cost over all residual arcs (≥ -tol proves optimality),
    or ``-inf`` when Bellman–Ford finds a negative cycle (the assignment can improve)."""
    n, m = eligible.shape
    w = _weights(scores, eligible, free)
    rows, cols = np.nonzero(eligible)
    used = match[rows] == cols
    load = np.bincount(match[match >= 0], minlength=m)
    assert np.all(load <= free)
    src, snk = n + m, n + m + 1
    unmatched = np.flatnonzero(match < 0)
    matched = np.flatnonzero(match >= 0)
    room = np.flatnonzero(load < free)
    busy = np.flatnonzero(load > 0)
    tail = np.concatenate([rows[~used], n + cols[used], np.full(len(unmatched), src), matched,
                           n + room, np.full(len(busy), snk), [snk, src]])
    head = np.concatenate([n + cols[~used], rows[used], unmatched, np.full(len(matched), src),
                           np.full(len(room), snk), n + busy, [src, snk]])
    cost = np.concatenate([-w[rows[~used], cols[~used]], w[rows[used], cols[used]],
                           np.zeros(len(tail) - len(rows))])
    # Bellman–Ford from a virtual root joined to every node at cost 0 (all start at 0).
    pot = np.zeros(n + m + 2)
    for _ in range(n + m + 3):
        relaxed = pot[tail] + cost
        better = relaxed < pot[head] - 1e-9
        if not better.any():
            break
        np.minimum.at(pot, head[better], relaxed[better])
    else:
        return float("-inf")
    return float((cost + pot[tail] - pot[head]).min())


def sparse_optimum(scores: np.ndarray, eligible: np.ndarray, free: np.ndarray,
                   ) -> tuple[int, float]:
    """(pairs, total score) from LAPJVsp: mentor places as columns, one dummy per mentee."""
    n, _ = eligible.shape
    if not eligible.any():
        return 0, 0.0
    w = _weights(scores, eligible, free)
    rows, cols = np.nonzero(eligible)
    start = np.concatenate([[0], np.cumsum(free)])
    reps = free[cols]
    slot = np.repeat(start[cols], reps) + (
        np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps))
    top = 2 * float(w[eligible].max()) + 1.0  # every weight positive, dummies cost `top`
    graph = csr_matrix(
        (np.concatenate([top - np.repeat(w[rows, cols], reps), np.full(n, top)]),
         (np.concatenate([np.repeat(rows, reps), np.arange(n)]),
          np.concatenate([slot, start[-1] + np.arange(n)]))),
        shape=(n, int(start[-1]) + n))
    r, c = min_weight_full_bipartite_matching(graph)
    owner = np.repeat(np.arange(len(free)), free)
    real = c < start[-1]
    return int(real.sum()), float(scores[r[real], owner[c[real]]].sum())


CASES = [(seed, 300, False) for seed in range(4)] + [
    (seed, n, True) for seed, n in ((4, 120), (5, 120), (6, 300))]


@pytest.mark.parametrize(("seed", "n_mentees", "crowded"), CASES)
def test_cohort_optimum_has_a_dual_certificate(seed: int, n_mentees: int, crowded: bool,
                                               ) -> None:
    inst = medium(seed, n_mentees, crowded=crowded)
    result = assign_cohort(inst)
    scores, eligible, free, match = _problem(inst, result)
    assert certificate_violation(scores, eligible, free, match) >= -1e-6
    pairs, total = sparse_optimum(scores, eligible, free)
    assert len(result.pairs) == pairs
    assert result.total_score == pytest.approx(total, abs=1e-6)


def test_certificate_catches_a_worse_assignment() -> None:
    inst = medium(7, 120, crowded=True)
    scores, eligible, free, match = _problem(inst, assign_cohort(inst))
    worse = match.copy()
    worse[np.flatnonzero(worse >= 0)[0]] = -1  # one pair fewer
    assert certificate_violation(scores, eligible, free, worse) < -1.0
    # Same pairs count, lower score: give a matched mentee a worse free mentor.
    inst = medium(7, 60)  # places to spare
    scores, eligible, free, match = _problem(inst, assign_cohort(inst))
    load = np.bincount(match[match >= 0], minlength=len(free))
    for i in np.flatnonzero(match >= 0):
        options = np.flatnonzero(eligible[i] & (load < free)
                                 & (scores[i] < scores[i, match[i]] - 1e-3))
        if len(options):
            swapped = match.copy()
            swapped[i] = options[0]
            assert certificate_violation(scores, eligible, free, swapped) < -1e-3
            break
    else:
        pytest.fail("no worse single move found")


def test_crowded_instances_are_not_decided_by_first_choices() -> None:
    # The point of the crowded cases: most matched mentees cannot have a favourite mentor.
    inst = medium(4, 120, crowded=True)
    result = assign_cohort(inst)
    scores, eligible, _, match = _problem(inst, result)
    best = np.where(eligible, scores, -np.inf).max(axis=1)
    on = np.flatnonzero(match >= 0)
    assert len(on) > 60
    assert np.mean(scores[on, match[on]] < best[on] - 1e-9) > 0.5
