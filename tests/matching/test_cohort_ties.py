"""The cohort flow solver on scores with few distinct values (issue 14: the Museums
Association's criteria — needs overlap, weight 3, and same region, weight 1 — give every pair
one of a handful of scores).

With such ties, once the cost-0 arcs are used up the next shortest path is a whole score step
away. The solver used to widen its search to twice the nearest reach — the dummy's, a whole
pair's weight — and so took in every eligible arc (and on larger cohorts gave up on its work
limit for the slow dense solve). These tests check that the flow solver answers and is
certified, that it equals the dense optimum, and that no search takes in every arc.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_array

from mentorhub.matching import Instance, cohort, parse_instance
from mentorhub.matching.cohort import _assign, _dense_assignment, _flow_assignment

# The Museums Association scheme's lists and criteria (tenants/museums-association.toml).
NEEDS = [
    "Confidence",
    "Career direction and progression",
    "Applying for jobs (CV, applications, interviews)",
    "Knowledge of the sector and its roles",
    "Professional networks",
    "Communication and interpersonal skills",
    "Leadership and line management",
    "Budget and project management",
    "A specific challenge at work",
]
REGIONS = [
    "North East", "North West", "Yorkshire and the Humber", "East Midlands", "West Midlands",
    "East of England", "London", "South East", "South West", "Scotland", "Wales",
    "Northern Ireland",
]  # fmt: skip
CRITERIA: list[dict[str, Any]] = [
    {"name": "mentee_needs", "kind": "overlap", "field": "development_needs", "weight": 3.0},
    {"name": "same_region", "kind": "same", "field": "region", "weight": 1.0, "hard": False},
]


def museums_like(n_mentees: int, n_mentors: int, capacity: int, seed: int) -> Instance:
    """Answers drawn from the forms' options, as benchmarks/matching_flows.py does."""
    rng = random.Random(seed)
    mentees = [
        {
            "id": f"e{i:05d}",
            "development_needs": rng.sample(NEEDS, rng.randint(1, 3)),
            "region": rng.choice(REGIONS),
        }
        for i in range(n_mentees)
    ]
    mentors = [
        {
            "id": f"r{i:05d}",
            "development_needs": rng.sample(NEEDS, rng.randint(2, 4)),
            "region": rng.choice(REGIONS),
            "capacity": capacity,
        }
        for i in range(n_mentors)
    ]
    return parse_instance({"criteria": CRITERIA, "mentees": mentees, "mentors": mentors})


def _spy(monkeypatch: pytest.MonkeyPatch, name: str, keep: Callable[..., Any]) -> list[Any]:
    """Record ``keep(args, result)`` for every call of ``cohort.<name>``."""
    seen: list[Any] = []
    real: Callable[..., Any] = getattr(cohort, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        seen.append(keep(args, out))
        return out

    monkeypatch.setattr(cohort, name, wrapper)
    return seen


@pytest.mark.parametrize(("n_mentees", "n_mentors", "capacity", "seed"),
                         [(600, 200, 3, 1), (900, 300, 3, 2), (500, 500, 1, 3),
                          (700, 200, 4, 4)])  # fmt: skip
def test_museums_like_cohort_takes_the_certified_flow_path(
    n_mentees: int, n_mentors: int, capacity: int, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    inst = museums_like(n_mentees, n_mentors, capacity, seed)
    flows = _spy(monkeypatch, "_flow_assignment", lambda a, out: out)
    verdicts = _spy(monkeypatch, "_certified", lambda a, out: out)
    graphs = _spy(monkeypatch, "dijkstra", lambda a, out: a[0].nnz)
    result = cohort.assign_cohort(inst)  # "auto", with its work limit
    assert len(flows) == 1 and flows[0] is not None  # not the dense fallback
    assert verdicts == [True]
    n_arcs = n_mentees * n_mentors  # every pair is eligible (no hard criterion)
    assert max(graphs) < 0.5 * n_arcs  # the search never took in every arc
    dense = _assign(inst, None, "dense")
    assert len(result.pairs) == len(dense.pairs)
    assert result.total_score == pytest.approx(dense.total_score, abs=1e-9)
    assert cohort.assign_cohort(inst).to_dict() == result.to_dict()  # deterministic


@st.composite
def tied_arrays(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mentors × mentees eligibility, scores from a few values, places per mentor."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    m, n = draw(st.integers(1, 40)), draw(st.integers(1, 120))
    values = np.array(
        draw(
            st.lists(
                st.sampled_from([0.0, 1.0, 3.0, 4.0, 6.0, 7.0, 10.0]),
                min_size=1,
                max_size=4,
                unique=True,
            )
        )
    )
    ok = rng.random((m, n)) < draw(st.sampled_from([0.1, 0.3, 0.7, 1.0]))
    scores = values[rng.integers(0, len(values), (m, n))]
    rows = np.flatnonzero(ok.any(axis=0))
    cols = np.flatnonzero(ok[:, rows].any(axis=1))
    ok, scores = ok[np.ix_(cols, rows)], scores[np.ix_(cols, rows)]
    places = np.minimum(rng.integers(1, draw(st.integers(2, 5)), len(cols)), ok.sum(axis=1))
    return ok, scores, places


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tied_arrays())
def test_flow_with_heavy_ties_is_certified_and_equals_the_dense_optimum(
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    ok, scores, places = arrays
    if not ok.size:
        return
    flat = np.flatnonzero(ok)
    values = scores.ravel()[flat]
    s_min = float(values.min())
    k = min(ok.shape[1], int(places.sum()))
    big = 1.0 + (k + 1) * (float(values.max()) - s_min)
    # No work limit: it is a speed guard sized for cohorts (on a few dozen mentees a phase's
    # fixed cost is a large part of a unit), and "auto" uses the flow solver only from 400
    # mentees up — the Museums-like cohorts above check it under the limit.
    flow = _flow_assignment(ok.shape, flat, values + (big - s_min), places, work_limit=np.inf)
    assert flow is not None  # certified on every eligible arc
    dense = _dense_assignment(ok, scores, places, s_min, big)
    got, want = np.flatnonzero(flow >= 0), np.flatnonzero(dense >= 0)
    assert ok[flow[got], got].all()
    assert (np.bincount(flow[got], minlength=len(places)) <= places).all()
    assert len(got) == len(want)
    assert float(scores[flow[got], got].sum()) == pytest.approx(
        float(scores[dense[want], want].sum()), abs=1e-9
    )


def test_a_wrong_search_with_ties_is_still_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The widened search is still checked on every arc: distorted path lengths on a tied
    cohort are refused by the certificate and the dense solve answers."""
    real = cohort.dijkstra
    rng = np.random.default_rng(7)

    def distorted(graph: csr_array, **kwargs: Any) -> Any:
        noisy = graph.data * rng.uniform(1.0, 3.0, len(graph.data)) + rng.uniform(
            0.0, 2.0, len(graph.data)
        )
        return real(csr_array((noisy, graph.indices, graph.indptr), shape=graph.shape),
                    **kwargs)  # fmt: skip

    inst = museums_like(600, 200, 3, 5)
    dense = _assign(inst, None, "dense")
    monkeypatch.setattr(cohort, "dijkstra", distorted)
    verdicts = _spy(monkeypatch, "_certified", lambda a, out: out)
    result = _assign(inst, None, "flow")
    assert verdicts == [False]
    assert len(result.pairs) == len(dense.pairs)
    assert result.total_score == pytest.approx(dense.total_score, abs=1e-9)
