"""The flow solver of the cohort assignment against the dense solve, brute force and an LP
certificate, and its fallback to the dense solve.

:func:`assign_cohort` picks the flow solver for large cohorts only, so the tests force it
(``_assign(..., "flow")``, or :func:`_flow_assignment` on arrays) on small inputs too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from scipy.sparse import csr_array

from benchmarks.matching import make_input
from mentorhub.matching import cohort
from mentorhub.matching.cohort import _assign, _dense_assignment, _flow_assignment
from mentorhub.matching.scoring import score_people
from tests.matching.matching_helpers import brute_force, instances, try_parse
from tests.matching.test_cohort_certificate import _problem, certificate_violation, medium

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _spy(monkeypatch: pytest.MonkeyPatch, name: str) -> list[Any]:
    """Record what ``cohort.<name>`` returns."""
    seen: list[Any] = []
    real: Callable[..., Any] = getattr(cohort, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        seen.append(out)
        return out

    monkeypatch.setattr(cohort, name, wrapper)
    return seen


def _solve_both(ok: np.ndarray, scores: np.ndarray, places: np.ndarray, **kw: Any,
                ) -> tuple[np.ndarray | None, np.ndarray]:
    """Flow and dense solutions of mentors × mentees arrays, weighted as ``_assign`` does."""
    flat = np.flatnonzero(ok)
    values = scores.ravel()[flat]
    s_min = float(values.min())
    k = min(ok.shape[1], int(places.sum()))
    big = 1.0 + (k + 1) * (float(values.max()) - s_min)
    flow = _flow_assignment(ok.shape, flat, values + (big - s_min), places, **kw)
    return flow, _dense_assignment(ok, scores, places, s_min, big)


def _value(match: np.ndarray, ok: np.ndarray, scores: np.ndarray, places: np.ndarray,
           ) -> tuple[int, float]:
    """(pairs, total score) of an assignment, checked to break no rule."""
    on = np.flatnonzero(match >= 0)
    assert ok[match[on], on].all()
    assert (np.bincount(match[on], minlength=len(places)) <= places).all()
    return len(on), float(scores[match[on], on].sum())


def _random_arrays(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    m, n = int(rng.integers(1, 30)), int(rng.integers(1, 90))
    ok = rng.random((m, n)) < rng.choice([0.05, 0.15, 0.4, 1.0])
    kind = int(rng.integers(0, 4))
    if kind == 0:  # continuous, as with distances
        scores = rng.random((m, n)) * 10
    elif kind == 1:  # few distinct values: many ties
        scores = rng.integers(0, 4, (m, n)).astype(np.float64)
    elif kind == 2:  # every mentee ranks the mentors alike
        scores = rng.random(m)[:, None] * 8 + rng.random((m, n))
    else:  # negative, and far apart: paths longer than the pruning thresholds
        scores = (rng.random((m, n)) - 0.5) * 400
    rows = np.flatnonzero(ok.any(axis=0))
    cols = np.flatnonzero(ok[:, rows].any(axis=1))
    ok, scores = ok[np.ix_(cols, rows)], scores[np.ix_(cols, rows)]
    places = np.minimum(rng.integers(1, 5, len(cols)), ok.sum(axis=1))
    return ok, scores, places


def test_flow_equals_dense_on_random_arrays() -> None:
    rng = np.random.default_rng(2024)
    solved = 0
    for _ in range(400):
        ok, scores, places = _random_arrays(rng)
        if not ok.size:
            continue
        flow, dense = _solve_both(ok, scores, places, work_limit=np.inf)
        assert flow is not None  # certified
        pairs, total = _value(flow, ok, scores, places)
        want_pairs, want_total = _value(dense, ok, scores, places)
        assert pairs == want_pairs
        assert total == pytest.approx(want_total, rel=1e-12, abs=1e-9)
        solved += 1
    assert solved > 300


@SETTINGS
@given(instances())
def test_flow_cohort_is_the_brute_force_optimum(data: dict[str, Any]) -> None:
    inst = try_parse(data)
    if inst is None:
        return
    result = _assign(inst, None, "flow")
    count, total = brute_force(inst)
    assert len(result.pairs) == count
    assert result.total_score == pytest.approx(total, abs=1e-9)
    order = {m.id: i for i, m in enumerate(inst.mentees)}
    for group in ([p.mentee for p in result.pairs], [u.mentee for u in result.unmatched]):
        assert [order[e] for e in group] == sorted(order[e] for e in group)  # input order
    seen = [p.mentee for p in result.pairs] + [u.mentee for u in result.unmatched]
    assert sorted(seen) == sorted(order)
    for p in result.pairs:
        pair = score_people(inst, inst.mentees[inst.mentee_index(p.mentee)],
                            inst.mentors[inst.mentor_index(p.mentor)])
        assert pair.eligible
    assert set(inst.pinned) <= {(p.mentee, p.mentor) for p in result.pairs}


CASES = [(seed, n, crowded) for seed, n, crowded in
         ((0, 300, False), (1, 300, False), (4, 120, True), (6, 300, True), (8, 200, True))]


@pytest.mark.parametrize(("seed", "n_mentees", "crowded"), CASES)
def test_flow_and_dense_agree_with_a_certificate(seed: int, n_mentees: int, crowded: bool,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    inst = medium(seed, n_mentees, crowded=crowded)
    flows = _spy(monkeypatch, "_flow_assignment")
    result = _assign(inst, None, "flow")
    assert flows and flows[0] is not None  # the flow solver's answer, not the fallback's
    dense = _assign(inst, None, "dense")
    assert len(result.pairs) == len(dense.pairs)
    assert result.total_score == pytest.approx(dense.total_score, abs=1e-9)
    scores, eligible, free, match = _problem(inst, result)
    assert certificate_violation(scores, eligible, free, match) >= -1e-6


def test_large_cohorts_use_the_flow_solver(monkeypatch: pytest.MonkeyPatch) -> None:
    inst = make_input(600, 200, 3, seed=5, conflicts=3)
    flows = _spy(monkeypatch, "_flow_assignment")
    result = cohort.assign_cohort(inst)
    assert len(flows) == 1 and flows[0] is not None
    dense = _assign(inst, None, "dense")
    assert len(result.pairs) == len(dense.pairs)
    assert result.total_score == pytest.approx(dense.total_score, rel=1e-12)
    assert cohort.assign_cohort(inst).to_dict() == result.to_dict()  # deterministic


def test_small_or_place_poor_cohorts_use_the_dense_solve() -> None:
    assert not cohort._use_flow(300, 300, "auto")
    assert not cohort._use_flow(3000, 1000, "auto")  # a place for one mentee in three
    assert cohort._use_flow(3000, 2853, "auto")
    assert cohort._use_flow(10, 5, "flow") and not cohort._use_flow(3000, 3000, "dense")


def test_work_limit_falls_back_to_the_dense_solve(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    ok = rng.random((40, 120)) < 0.3
    scores = rng.random(40)[:, None] * 8 + rng.random((40, 120))  # one ranking for all
    places = np.minimum(3, ok.sum(axis=1))
    flow, _ = _solve_both(ok, scores, places, work_limit=0.0)
    assert flow is None
    inst = make_input(600, 200, 3, seed=5, conflicts=3)
    monkeypatch.setattr(cohort, "_WORK_LIMIT", 0.0)
    flows = _spy(monkeypatch, "_flow_assignment")
    result = cohort.assign_cohort(inst)
    assert flows == [None]
    dense = _assign(inst, None, "dense")
    assert len(result.pairs) == len(dense.pairs)
    assert result.total_score == pytest.approx(dense.total_score, rel=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_a_wrong_search_is_caught_by_the_certificate(seed: int,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Shortest paths computed on distorted lengths give a suboptimal flow (or potentials
    that prove nothing): the certificate refuses it and the dense solve answers."""
    real = cohort.dijkstra
    rng = np.random.default_rng(seed)

    def distorted(graph: csr_array, **kwargs: Any) -> Any:
        noisy = graph.data * rng.uniform(1.0, 3.0, len(graph.data))
        return real(csr_array((noisy, graph.indices, graph.indptr), shape=graph.shape),
                    **kwargs)

    inst = medium(5, 300, crowded=True)
    dense = _assign(inst, None, "dense")
    monkeypatch.setattr(cohort, "dijkstra", distorted)
    verdicts = _spy(monkeypatch, "_certified")
    flows = _spy(monkeypatch, "_flow_assignment")
    result = _assign(inst, None, "flow")
    assert verdicts == [False] and flows == [None]
    assert len(result.pairs) == len(dense.pairs)
    assert result.total_score == pytest.approx(dense.total_score, abs=1e-9)


def test_certificate_refuses_a_worse_assignment() -> None:
    # Two mentors with one place each, two mentees; the optimum is the anti-diagonal.
    ok = np.ones((2, 2), dtype=np.bool_)
    w = np.array([[1.0, 5.0], [5.0, 1.0]])
    arc_j, arc_i = np.divmod(np.arange(4), 2)
    arc_j = np.concatenate([arc_j, [2, 2]])
    arc_i = np.concatenate([arc_i, [0, 1]])
    arc_w = np.concatenate([w[ok], [0.0, 0.0]])
    arc_key = arc_j * 2 + arc_i
    cap = np.array([1, 1, 2])
    first = 4  # super-source, two mentors and the dummy, then the mentees
    worse = np.array([0, 1])  # the diagonal: total 2 instead of 10
    for pot in (np.zeros(6), np.array([0.0, 0.0, 0.0, 0.0, -5.0, -5.0])):
        assert not cohort._certified(arc_j, arc_i, arc_w, arc_key, pot, worse, cap, first)
    best = np.array([1, 0])
    pot = np.array([0.0, 0.0, 0.0, 0.0, -5.0, -5.0])  # reduced costs all ≥ 0
    assert cohort._certified(arc_j, arc_i, arc_w, arc_key, pot, best, cap, first)
    over = np.array([0, 0])  # mentor 0 over capacity
    assert not cohort._certified(arc_j, arc_i, arc_w, arc_key, pot, over, cap, first)
