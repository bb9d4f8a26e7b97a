"""Cohort assignment: the most mentees matched, then the highest total score — exactly.

This is the coordinator's "match the cohort" button (Museums Association, Alberta). It is
an assignment problem with mentor capacities. Why not a greedy pass: a greedy choice can
strand a mentee whose only eligible mentor was taken by someone with other options.

Cardinality first: every eligible arc weighs ``M + s'`` (an ineligible one 0, the same as
leaving the mentee unmatched), with ``s' = s - min(s)`` ≥ 0. Shifting every matched score by
the same constant cannot change which of the maximum-cardinality assignments is best, and
``M = 1 + (k + 1) · max(s')`` (k = the most pairs possible) exceeds what any augmenting path
could gain in score, so a solution with fewer pairs can never weigh more.

Before solving, the problem is shrunk without changing its optimum: pinned mentees leave
(their mentors lose a place), mentors without a free place and mentees with no eligible
mentor leave, and a mentor's places are capped at the number of mentees that could use them.

Two exact solvers, same optimum (cardinality and total score; among equally good
assignments they may pick different ones):

- Dense: SciPy's ``linear_sum_assignment`` on a cost matrix with one row per free place.
  Used for small cohorts and when places are scarce (fewer than 0.75 per mentee), where
  SciPy's solver has so much slack that it is as fast or faster, and as the fallback.
- Flow (larger cohorts): successive shortest paths in the network super-source → mentor
  (capacity: free places) → mentee, where a dummy "unmatched" mentor (weight 0, a place for
  every mentee) makes every mentee's demand exactly 1. Node potentials keep every residual
  arc's reduced cost ≥ 0; each phase runs one Dijkstra (SciPy, C) from the super-source and
  augments a whole batch of vertex-disjoint shortest paths to unmatched mentees: adding
  ``min(distance, cap)`` to every potential, with ``cap`` the farthest mentee served, keeps
  all reduced costs ≥ 0 and makes those paths' arcs cost 0, so the flow stays optimal for
  its size (the tree paths, completed by a maximum flow over the cost-0 arcs when ties leave
  more). The search sees only arcs of small reduced cost: potentials rise by at most the cap
  per phase, so an arc left out still costs at least a known bound, and every distance below
  the bound (or below a frontier bound computed from the arcs left out) is exact.
  When no unmatched mentee is within that bound, the search widens from the bound itself,
  geometrically (at most twice in a row; then to the nearest mentee reached, which is what
  it did before). Widening to the nearest reach at once was wrong for ties: with scores of a
  few values (the Museums Association's needs overlap × 3 + same region) the next paths are
  a whole score step away, but the nearest reach over the active arcs is the dummy's — a
  whole pair's weight — so every eligible arc was taken in (issue 14). The frontier bound
  looks first at the reserve's left-out arcs and bounds the rest by the reserve's floor; it
  looks at every left-out arc only when that floor is what stops it (mentees that can only
  stay unmatched, whose paths are the dummy's).

Why the flow result is exact, whatever the pruning does: at the end it is checked on EVERY
eligible arc — the flow is feasible and no residual arc of the whole problem has a negative
reduced cost — which by LP duality (the network matrix is totally unimodular, so the LP
optimum is an assignment) proves that no assignment weighs more. The check allows rounding of
1e-13 of the largest weight per arc (the measured residuals are 0) and refuses to certify
when that, summed over the longest possible cycle, could reach half a pair: so the number of
pairs is exact, and the score can hide at most 2e-5 on the benchmark cohort (1e-9 of the
total). If the check fails, or the solver gives up because it progresses too slowly (see
_WORK_LIMIT), the dense solve runs.

Measured on this machine (medians of 7; ``benchmarks/matching.py``, 3,000 × 1,000, capacity
3, conflicts + min_gap; 2,853 pairs, 951 live mentors): the dense solve takes the whole call
to 0.86–1.05 s, of which ``linear_sum_assignment`` on the 2,853 × 3,000 matrix is about
0.75 s; with the flow solver the call takes 0.30–0.40 s: scoring 0.08 s, building the score
table 0.04 s, the flow solver 0.15–0.22 s (about 60 phases; Dijkstra 0.06 s of it). On other
shapes (mentees × mentors): 3,000 × 3,000 capacity 1: 0.9–1.2 → 0.7 s; 5,000 × 1,500:
1.7–2.0 → 0.8 s; every pair eligible, 3,000 × 1,000: 2.2 → 0.3 s. Inputs where every mentee
ranks the mentors alike are hard for both: on one (3,000 × 1,500, random scores) the dense
solve took 26 s and the flow 1.8 s; on another (3,000 × 3,000, capacity 1) the dense solve
1.5 s and the flow 17 s — there the work limit stops the flow after about 1 s and the dense
solve answers (2.5 s in all). A Museums-like cohort (3,000 × 1,000, capacity 3, every pair
eligible, 8 distinct scores; ``tests/matching/test_cohort_ties.py`` builds smaller ones) at
load average 4.5–5, medians of 5: the call 0.63 s before the tie fix (3.0 s as a process's
first call, when every arc was taken in) and 0.37 s after it (0.41 s first); the flow
solver about 3 phases, the certificate on 3 million arcs 0.2 s of it; the dense solve 3.1 s.

Measured and slower (benchmark cohort): column generation — solve on each mentee's top 10
eligible mentors, price every other eligible arc against dual potentials, add the violating
arcs, re-solve — needs three rounds (optimal matches rank up to 232nd among a mentee's
mentors, and 77th among a mentor's mentees), and each round's sparse solve costs 0.15–0.4 s
(``min_weight_full_bipartite_matching``; even the top 30 both ways miss the optimum) or
0.5–1.8 s (HiGHS LP). SciPy's sparse solver on every eligible arc: 1.6–1.9 s. A vectorised
auction (ε-scaling): 2.1–2.6 s, thousands of rounds of a few bidders each. The dense solve
warm-started with dual potentials (exact for any potentials once the matrix is made square):
0.06 s with the optimal duals but 0.34 s with duals off by 0.003, and slower than cold with
the potentials of a partial solve. The Bellman–Ford certificate of
``tests/matching/test_cohort_certificate.py`` checks the dense solve there and the flow
solver in ``tests/matching/test_cohort_flow.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra, maximum_flow

from mentorhub.matching.input import Instance
from mentorhub.matching.vector import F64, I64, Bool, ScoreTable

_BLOCK_ROWS = 32
_LIST_AT_MOST = 5

Solver = Literal["auto", "flow", "dense"]
_T = TypeVar("_T", bound=np.generic)

# When "auto" uses the flow solver: at least this many mentees and places, and at least this
# many places per mentee. Below either, the dense solve is as fast or faster (measured: with
# places ≤ 0.7 × mentees SciPy's solver has so much slack that it wins).
_FLOW_MIN_SIDE = 400
_FLOW_MIN_PLACE_RATIO = 0.75
# Pruning of the flow solver, in reduced-cost units (score points): the searches see the arcs
# below _ACTIVE_BELOW, picked from a reserve of the arcs up to _RESERVE_MARGIN higher, itself
# picked from all arcs; a phase serves mentees at most _STEP away, so that each pick lasts a
# few phases. Only speed depends on these (tuned on the benchmark cohort).
_ACTIVE_BELOW = 0.75
_RESERVE_MARGIN = 1.25
_STEP = 0.2
# The flow solver gives up (and the dense solve runs) when its work — arcs and nodes scanned,
# summed over its phases, in units of the dense cost matrix's size (places × mentees) plus the
# graph's — passes _WORK_CHECK and, extrapolated from the progress since the first phase,
# would end past _WORK_LIMIT. Measured cohorts need 0.2–3 units; inputs where every mentee
# ranks the mentors alike can need hundreds of phases over nearly all arcs (92 units on one),
# and SciPy's solver is then often, though not always, faster.
_WORK_CHECK = 2.0
_WORK_LIMIT = 12.0
# When no unmatched mentee is within reach of the active arcs, the search widens from the
# bound on what the arcs left out could offer, this many times in a row at most; then to the
# nearest reach (every arc that could help). Only speed depends on it.
_WIDEN_FROM_BOUND = 2


@dataclass(frozen=True, slots=True)
class Pair:
    mentee: str
    mentor: str
    score: float
    pinned: bool = False

    def to_dict(self) -> dict[str, object]:
        return {"mentee": self.mentee, "mentor": self.mentor, "score": self.score}


@dataclass(frozen=True, slots=True)
class Unmatched:
    mentee: str
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {"mentee": self.mentee, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class CohortResult:
    """Pairs in mentee input order; every mentee is either in ``pairs`` or in ``unmatched``."""

    pairs: tuple[Pair, ...]
    unmatched: tuple[Unmatched, ...]

    @property
    def total_score(self) -> float:
        return float(sum(p.score for p in self.pairs))

    def to_dict(self) -> dict[str, object]:
        return {
            "pairs": [p.to_dict() for p in self.pairs],
            "unmatched": [u.to_dict() for u in self.unmatched],
            "total_score": self.total_score,
        }


def _ids(ids: list[str]) -> str:
    shown = ", ".join(ids[:_LIST_AT_MOST])
    return shown + (f" and {len(ids) - _LIST_AT_MOST} more" if len(ids) > _LIST_AT_MOST else "")


def _no_eligible_reason(table: ScoreTable, row: int) -> str:
    n = table.n_mentors
    if n == 0:
        return "no eligible mentor: there are no mentors"
    reasons = table.first_failure(row)
    counts: dict[str, int] = {}
    for r in reasons:
        if r is not None:
            counts[r] = counts.get(r, 0) + 1
    if len(counts) == 1:
        (label,) = counts
        return f"no eligible mentor: {label} for all {n} mentor{'s' if n > 1 else ''}"
    parts = ", ".join(f"{label} ({k})" for label, k in sorted(counts.items(), key=lambda x: -x[1]))
    return f"no eligible mentor among {n}: {parts}"


def _score_all(table: ScoreTable, rows: I64) -> tuple[F64, Bool]:
    """Scores and eligibility of ``rows`` against every mentor, mentor-major (mentors × rows)."""
    scores = np.empty((table.n_mentors, len(rows)), dtype=np.float64)
    eligible = np.empty((table.n_mentors, len(rows)), dtype=np.bool_)
    for start in range(0, len(rows), _BLOCK_ROWS):
        part = rows[start : start + _BLOCK_ROWS]
        s, e = table.block(part)
        scores[:, start : start + len(part)] = s.T
        eligible[:, start : start + len(part)] = e.T
    return scores, eligible


def _flow_assignment(
    shape: tuple[int, int], flat: I64, weights: F64, places: I64, work_limit: float = _WORK_LIMIT
) -> I64 | None:
    """Optimal assignment by successive shortest paths; None if it cannot be certified.

    The eligible arcs are ``flat`` (ascending flat indices into the mentors × mentees
    ``shape``) with ``weights`` (> 0); every mentee and every mentor has one. ``places``:
    each mentor's free places. Returns each mentee's mentor row, or -1 for unmatched. See
    the module docstring for the method and why its result is exact.
    """
    m, n = shape
    dummy = m  # the "unmatched" source: weight 0 to every mentee, a place for each
    n_src = m + 1
    size = 1 + n_src + n  # node 0 is the super-source, then the sources, then the mentees
    first = 1 + n_src
    real_j, real_i = np.divmod(flat, n)
    n_real = len(flat)
    arc_j = np.concatenate([real_j, np.full(n, dummy)]).astype(np.int64)
    arc_i = np.concatenate([real_i, np.arange(n)]).astype(np.int64)
    arc_w = np.concatenate([weights, np.zeros(n)])
    arc_key = np.concatenate([flat, dummy * n + np.arange(n)])  # = arc_j * n + arc_i, sorted
    cap = np.append(places, n).astype(np.int64)
    pot = np.zeros(size)  # potentials; reduced cost of tail → head: cost + pot[tail] - pot[head]
    best = np.zeros(n)
    np.maximum.at(best, real_i, weights)
    pot[first:] = -best
    match = np.full(n, -1, dtype=np.int64)  # source of each mentee (the dummy: unmatched)
    match_w = np.zeros(n)
    load = np.zeros(n_src, dtype=np.int64)
    mentee_nodes = first + np.arange(n)
    # Pruning. The searches see only `act_*` arcs: every forward arc whose reduced cost was
    # ≤ `floor` when they were chosen, plus the dummy's. A phase raises any potential by at
    # most its distance cap, so an arc left out keeps a reduced cost ≥ floor - (caps since):
    # `floor` is lowered by each cap and stays a valid bound. The active arcs are chosen
    # from a larger `res_*` reserve (bound `res_floor`), itself chosen from all arcs.
    floor = res_floor = -np.inf
    want = _ACTIVE_BELOW  # threshold of the next choice; raised when a search must go further
    widened = False
    res_arc = np.zeros(0, dtype=np.int64)
    res_tail = res_head = res_key = res_arc
    res_w = np.zeros(0)
    active = act_tail = act_head = act_key = res_arc
    res_out = np.zeros(0, dtype=np.bool_)
    act_w = res_w
    indptr = indices = np.zeros(0, dtype=np.int32)
    data = np.zeros(0)
    blocked = np.zeros(0, dtype=np.bool_)  # active arcs in use (not residual forward)
    dummy_arcs = np.arange(n_real, n_real + n)
    entry_tail = np.zeros(0, dtype=np.int64)
    tight = 1e-13 * float(weights.max())  # "reduced cost 0", up to rounding

    def move(mi: I64, mj: I64) -> None:
        """Mentees ``mi`` now take sources ``mj`` (a batch of vertex-disjoint augmentations)."""
        before = match[mi]
        was = before >= 0
        # Matched arcs are always active (reduced cost ≤ 0), so these keys are all found.
        blocked[np.searchsorted(act_key, before[was] * n + mi[was])] = False
        blocked[np.searchsorted(act_key, mj * n + mi)] = True
        np.add.at(load, mj, 1)
        np.subtract.at(load, before[was], 1)
        match[mi] = mj
        real = mj < m
        match_w[mi] = 0.0
        match_w[mi[real]] = arc_w[np.searchsorted(arc_key, mj[real] * n + mi[real])]

    unit = float(places.sum()) * n + len(arc_j) + size
    work = 0
    widenings = 0  # in a row, without a path found
    free_at_start = -1  # unmatched after the first phase: the progress is measured from there
    while True:
        free = match < 0
        n_free = int(free.sum())
        if not n_free:
            break
        if free_at_start < 0:
            free_at_start = n_free if work else -1
        elif work > min(_WORK_CHECK, work_limit) * unit:
            done = max(free_at_start - n_free, 1)
            if work * free_at_start / done > work_limit * unit:
                return None
        if floor < 0.25 * _ACTIVE_BELOW or want > _ACTIVE_BELOW:
            if want > res_floor:
                res_floor = want + _RESERVE_MARGIN
                rc = pot[1:][real_j] - arc_w[:n_real]  # (views: no index temporaries)
                rc -= pot[first:][real_i]
                res_arc = np.flatnonzero(rc <= res_floor)
                res_tail, res_head = 1 + arc_j[res_arc], first + arc_i[res_arc]
                res_w, res_key = arc_w[res_arc], arc_key[res_arc]
                work += n_real
            keep = np.flatnonzero(pot[res_tail] - res_w - pot[res_head] <= want)
            res_out = np.ones(len(res_arc), dtype=np.bool_)  # reserve arcs left out
            res_out[keep] = False
            active = np.concatenate([res_arc[keep], dummy_arcs])
            act_tail = np.concatenate([res_tail[keep], np.full(n, 1 + dummy)])
            act_head = np.concatenate([res_head[keep], mentee_nodes])
            act_w = np.concatenate([res_w[keep], np.zeros(n)])
            act_key = np.concatenate([res_key[keep], arc_key[n_real:]])
            widened = want > _ACTIVE_BELOW
            floor, want = want, _ACTIVE_BELOW
            n_act = len(active)
            work += len(res_arc)
            indptr = np.concatenate(
                [
                    [0, n_src],
                    n_src + np.cumsum(np.bincount(act_tail - 1, minlength=n_src)),
                    n_src + n_act + 1 + np.arange(n),
                ]
            ).astype(np.int32)
            indices = np.concatenate([1 + np.arange(n_src), act_head, np.zeros(n)]).astype(np.int32)
            data = np.empty(n_src + n_act + n)
            entry_tail = np.concatenate([np.zeros(n_src, dtype=np.int64), act_tail, mentee_nodes])
            blocked = np.zeros(n_act, dtype=np.bool_)
            on = np.flatnonzero(~free)
            blocked[np.searchsorted(act_key, match[on] * n + on)] = True
        room = cap - load
        indices[n_src + len(active) :] = np.where(free, 0, 1 + match)
        _reduced_costs(data, pot, room, act_tail, act_w, act_head, blocked, match, match_w)
        graph = csr_array((data, indices, indptr), shape=(size, size))
        work += len(data) + size
        dist, pred = dijkstra(graph, indices=0, return_predecessors=True, limit=floor)
        targets = first + np.flatnonzero(free)
        reach = dist[targets]
        if (reach <= floor).any():
            step = min(floor, _STEP)
            take = reach <= (step if (reach <= step).any() else floor)
        else:
            # Nothing within `floor`: search the active arcs without a limit, and bound what
            # the arcs left out could offer (a path through one costs at least the distance
            # to its tail plus its reduced cost): distances below that bound are exact.
            dist, pred = dijkstra(graph, indices=0, return_predecessors=True)
            reach = dist[targets]
            if not np.isfinite(reach).any():
                return None  # cannot happen: the dummy reaches every unmatched mentee
            # First the reserve's left-out arcs one by one, and for the arcs outside the
            # reserve the bound `res_floor` (lowered by each cap, as `floor` is): cheap, and
            # enough when ties leave a whole score step to the next paths. If that bound
            # serves no one, every left-out arc is looked at (as when the mentees left can
            # only stay unmatched: their paths, the dummy's, are a whole pair's weight away).
            work += len(data) + len(res_arc)
            on = np.flatnonzero(~free)
            key = match[on] * n + on
            out = res_out.copy()
            pos = np.minimum(np.searchsorted(res_key, key), max(len(res_key) - 1, 0))
            if len(res_key):
                out[pos[res_key[pos] == key]] = False  # in use: no forward residual arc
            idx = np.flatnonzero(out)
            tails = res_tail[idx]
            rc = np.maximum(pot[tails] - res_w[idx] - pot[res_head[idx]], 0.0)
            in_reserve = float(np.min(dist[tails] + rc)) if len(idx) else np.inf
            beyond = (
                np.inf
                if len(res_arc) == n_real
                else float(dist[1 : first - 1].min()) + max(res_floor, 0.0)
            )
            exact_below = min(in_reserve, beyond)
            take = reach < exact_below
            if not take.any() and beyond < in_reserve:  # looking further may serve some
                work += len(arc_j)
                out = np.ones(len(arc_j), dtype=np.bool_)
                out[active] = False
                out[np.searchsorted(arc_key, key)] = False
                idx = np.flatnonzero(out)
                tails = 1 + arc_j[idx]
                rc = np.maximum(pot[tails] - arc_w[idx] - pot[first + arc_i[idx]], 0.0)
                exact_below = float(np.min(dist[tails] + rc)) if len(idx) else np.inf
                take = reach < exact_below
            if not take.any():
                # Widen from the bound, not from the nearest reach: that may be the dummy's
                # (a whole pair's weight away), and widening to it takes in every arc — with
                # ties (the bound a whole score step) far more than the next paths need. The
                # bound grows geometrically; only after _WIDEN_FROM_BOUND widenings without
                # a path does the search widen to the nearest reach, as when the mentees
                # left can only stay unmatched.
                widenings += 1
                nearest = float(reach[np.isfinite(reach)].min())
                base = exact_below if widenings <= _WIDEN_FROM_BOUND else nearest
                want = 2.0 * min(base, nearest) + _ACTIVE_BELOW
                continue
        if widenings <= _WIDEN_FROM_BOUND:
            widenings = 0  # else paths are as far as the nearest reach: widen to it again
        took = np.flatnonzero(take)
        order = targets[took][np.argsort(reach[took], kind="stable")]
        cap_d, moved_i, moved_j = _tree_paths(order, pred, dist, room)
        near = dist <= cap_d
        np.minimum(dist, cap_d, out=dist)
        pot += dist
        floor -= cap_d
        res_floor -= cap_d
        if widened:  # back to the usual thresholds
            floor = res_floor = -np.inf
        move(np.array(moved_i, dtype=np.int64) - first, np.array(moved_j, dtype=np.int64) - 1)
        # With ties, more shortest paths exist than the tree shows: complete the batch.
        free = match < 0
        sinks = n_src + len(active) + np.flatnonzero(free & near[first:])
        if len(sinks):
            room = cap - load
            indices[n_src + len(active) :] = np.where(free, 0, 1 + match)
            _reduced_costs(data, pot, room, act_tail, act_w, act_head, blocked, match, match_w)
            admissible = (data <= tight) & near[entry_tail]
            if int(admissible.sum()) >= int(near.sum()):  # more than a tree
                work += int(admissible.sum())
                move(*_more_paths(admissible, indices, entry_tail, sinks, room, size))
    if not _certified(arc_j, arc_i, arc_w, arc_key, pot, match, cap, first):
        return None
    return np.where(match == dummy, -1, match)


def _certified(
    arc_j: I64, arc_i: I64, arc_w: F64, arc_key: I64, pot: F64, match: I64, cap: I64, first: int
) -> bool:
    """The flow is feasible (every mentee on an eligible arc or the dummy's, no source over
    capacity) and no residual arc of the WHOLE problem has a negative reduced cost (up to
    rounding): by LP duality, no other assignment is better."""
    n = len(match)
    key = match * n + np.arange(n)
    pos = np.searchsorted(arc_key, key)
    if not bool((pos < len(arc_key)).all()) or not bool((arc_key[pos] == key).all()):
        return False
    load = np.bincount(match, minlength=len(cap))
    if bool((load > cap).any()):
        return False
    used = np.zeros(len(arc_j), dtype=np.bool_)
    used[pos] = True
    rc = pot[1 + arc_j] - arc_w - pot[first + arc_i]
    tol = 1e-13 * float(arc_w.max())  # rounding; measured residuals are 0
    if tol * 2 * len(pot) >= 0.5:  # a cycle's slack could hide one pair more: no proof
        return False
    to_source = pot[1:first] - pot[0]
    return (
        not bool(((rc < -tol) & ~used).any())  # forward arcs not in use
        and not bool(((rc > tol) & used).any())  # their reverses, for the arcs in use
        and bool((to_source[load < cap] <= tol).all())  # source → mentor, places left
        and bool((to_source[load > 0] >= -tol).all())  # mentor → source, places taken
    )


def _tree_paths(
    order: I64,
    pred: npt.NDArray[np.int32],
    dist: F64,
    room: I64,
) -> tuple[float, list[int], list[int]]:
    """Vertex-disjoint shortest-path-tree paths to ``order``'s mentees, nearest first."""
    parent = pred.tolist()
    seen = bytearray(len(parent))
    left = room.tolist()
    far = 0.0
    moved_i: list[int] = []
    moved_j: list[int] = []
    for t in order.tolist():
        path = [t]
        node = t
        while True:
            p = parent[node]
            if p == 0 or seen[p]:
                break
            path.append(p)
            node = p
        if parent[node] != 0 or left[node - 1] <= 0:
            for x in path:  # blocked: so is every later path through these nodes
                seen[x] = 1
            continue
        left[node - 1] -= 1
        for x in path[:-1]:  # the source stays open: it may serve more paths
            seen[x] = 1
        moved_i.extend(path[0::2])
        moved_j.extend(path[1::2])
        far = max(far, float(dist[t]))
    return far, moved_i, moved_j


def _more_paths(
    admissible: Bool, heads: npt.NDArray[np.int32], tails: I64, sinks: I64, room: I64, size: int
) -> tuple[I64, I64]:
    """A maximum set of further augmenting paths over the tight (``admissible``) entries.

    A maximum flow from the super-source to a new sink fed by the unmatched mentees within
    the cap (``sinks``: their entries). An arc and its reverse both cost 0 once tight, so
    augmenting along any of these paths keeps every reduced cost ≥ 0. Returns the mentees
    that move and their new sources (graph nodes become indices).
    """
    n_src = len(room)
    first = 1 + n_src
    to = heads.copy()
    to[sinks] = size
    use = admissible.copy()
    use[sinks] = True
    chosen = np.flatnonzero(use)
    capacity = np.ones(len(chosen), dtype=np.int32)
    from_root = chosen[chosen < n_src]
    capacity[: len(from_root)] = room[from_root]  # entries are in row order: the root's first
    indptr = np.concatenate([[0], np.cumsum(np.bincount(tails[chosen], minlength=size + 1))])
    net = csr_array((capacity, to[chosen], indptr.astype(np.int32)), shape=(size + 1, size + 1))
    flow = maximum_flow(net, 0, size).flow
    positive = flow.data > 0
    f_tail = np.repeat(np.arange(size + 1), np.diff(flow.indptr))[positive]
    f_head = flow.indices[positive].astype(np.int64)
    joins = (f_tail >= 1) & (f_tail < first) & (f_head >= first) & (f_head < size)
    return f_head[joins] - first, f_tail[joins] - 1


def _reduced_costs(
    data: F64,
    pot: F64,
    room: I64,
    act_tail: I64,
    act_w: F64,
    act_head: I64,
    blocked: Bool,
    match: I64,
    match_w: F64,
) -> None:
    """Fill ``data`` (the search graph's entries) with reduced costs; inf where no residual arc.

    Entries: super-source → each source, then the active arcs, then one per mentee (back to
    its source; none for an unmatched mentee).
    """
    n_src, n_act = len(room), len(act_tail)
    first = 1 + n_src
    head = data[:n_src]
    np.subtract(pot[0], pot[1:first], out=head)
    head[room <= 0] = np.inf
    body = data[n_src : n_src + n_act]
    np.subtract(pot[act_tail], act_w, out=body)
    body -= pot[act_head]
    body[blocked] = np.inf
    back = data[n_src + n_act :]
    np.add(match_w, pot[first:], out=back)
    back -= pot[1 + np.maximum(match, 0)]
    back[match < 0] = np.inf
    np.maximum(data, 0.0, out=data)  # rounding only: reduced costs are ≥ 0


def _dense_assignment(ok: Bool, scores: F64, places: I64, s_min: float, big: float) -> I64:
    """Each mentee's mentor row (or -1): SciPy's dense solver, one cost row per free place.

    ``ok``/``scores`` are mentors × mentees. Eligible arcs cost ``-(big + s - s_min)``,
    ineligible ones 0 (the same as leaving the place empty). Places as rows, mentees as
    columns: SciPy's solver runs several times faster this way round on cohort-shaped
    inputs (measured).
    """
    cost = np.where(ok, (s_min - big) - scores, 0.0)
    slot_row = np.repeat(np.arange(ok.shape[0]), places)
    p_idx, i_idx = linear_sum_assignment(np.repeat(cost, places, axis=0))
    row = slot_row[p_idx]
    match = np.full(ok.shape[1], -1, dtype=np.int64)
    real = ok[row, i_idx]
    match[i_idx[real]] = row[real]
    return match


def _submatrix(a: npt.NDArray[_T], rows: I64, cols: I64) -> npt.NDArray[_T]:
    """``a[np.ix_(rows, cols)]``, without copying what is whole (whole rows copy fast)."""
    if len(cols) < a.shape[1]:
        a = a[:, cols]
    return a[rows] if len(rows) < a.shape[0] else a


def _use_flow(n_rows: int, n_places: int, solver: Solver) -> bool:
    if solver != "auto":
        return solver == "flow"
    return min(n_rows, n_places) >= _FLOW_MIN_SIDE and n_places >= _FLOW_MIN_PLACE_RATIO * n_rows


def assign_cohort(instance: Instance, table: ScoreTable | None = None) -> CohortResult:
    """The exact optimum: most mentees matched, then highest total score; pins honoured.

    Every mentee appears once: in ``pairs`` (pinned or assigned) or in ``unmatched`` with
    the reason a coordinator can pass on ("no eligible mentor: …", "… all at capacity").
    """
    return _assign(instance, table, "auto")


def _assign(instance: Instance, table: ScoreTable | None, solver: Solver) -> CohortResult:
    """:func:`assign_cohort` with the solver chosen (tests compare the two)."""
    table = table or ScoreTable(instance)
    mentees, mentors = instance.mentees, instance.mentors
    free = table.free.copy()
    pinned_to: dict[int, int] = {}
    for mentee_id, mentor_id in instance.pinned:
        col = instance.mentor_index(mentor_id)
        pinned_to[instance.mentee_index(mentee_id)] = col
        free[col] -= 1  # validated: never below zero

    rows = np.array([i for i in range(len(mentees)) if i not in pinned_to], dtype=np.int64)
    # Mentor-major (mentors × unpinned mentees), the layout both solvers use.
    scores, eligible = _score_all(table, rows)
    any_eligible = np.asarray(eligible.any(axis=0), dtype=np.bool_)
    with_place: Bool = eligible & (free > 0)[:, None]

    live_rows = np.flatnonzero(with_place.any(axis=0))
    live_cols = (
        np.flatnonzero(with_place[:, live_rows].any(axis=1)) if len(live_rows) else live_rows
    )
    assigned: dict[int, tuple[int, float]] = {}
    if len(live_rows) and len(live_cols):
        sub_ok = _submatrix(with_place, live_cols, live_rows)
        sub_s = _submatrix(scores, live_cols, live_rows)
        flat = np.flatnonzero(sub_ok)  # far faster than boolean-mask indexing (measured)
        values = sub_s.ravel()[flat]
        places = np.minimum(
            free[live_cols], np.bincount(flat // len(live_rows), minlength=len(live_cols))
        )
        s_min, s_max = float(values.min()), float(values.max())
        k = int(min(len(live_rows), places.sum()))
        big = 1.0 + (k + 1) * (s_max - s_min)
        match: I64 | None = None
        if _use_flow(len(live_rows), int(places.sum()), solver):
            # Forced ("flow", for tests): no work limit, only the certificate can refuse.
            limit = _WORK_LIMIT if solver == "auto" else np.inf
            match = _flow_assignment(
                sub_ok.shape, flat, values + (big - s_min), places, work_limit=limit
            )
        if match is None:
            match = _dense_assignment(sub_ok, sub_s, places, s_min, big)
        on = np.flatnonzero(match >= 0)
        for r, col, score in zip(
            on.tolist(), match[on].tolist(), sub_s[match[on], on].tolist(), strict=True
        ):
            assigned[int(rows[live_rows[r]])] = (int(live_cols[col]), float(score))

    pinned_scores: dict[int, float] = {}
    if pinned_to:
        p_rows = np.array(sorted(pinned_to), dtype=np.int64)
        s, _ = table.block(p_rows)
        for i, row in enumerate(p_rows.tolist()):
            pinned_scores[row] = float(s[i, pinned_to[row]])

    position = {int(r): i for i, r in enumerate(rows.tolist())}
    pairs: list[Pair] = []
    unmatched: list[Unmatched] = []
    for i, mentee in enumerate(mentees):
        if i in pinned_to:
            pairs.append(Pair(mentee.id, mentors[pinned_to[i]].id, pinned_scores[i], True))
            continue
        if i in assigned:
            col, score = assigned[i]
            pairs.append(Pair(mentee.id, mentors[col].id, score))
            continue
        p = position[i]
        if not any_eligible[p]:
            reason = _no_eligible_reason(table, i)
        else:
            ids = sorted(mentors[c].id for c in np.flatnonzero(eligible[:, p]).tolist())
            if not with_place[:, p].any():
                reason = f"eligible mentors all at capacity before matching: {_ids(ids)}"
            else:
                reason = (
                    "eligible mentors all at capacity: their places went to other mentees "
                    f"so that the most mentees are matched ({_ids(ids)})"
                )
        unmatched.append(Unmatched(mentee.id, reason))
    return CohortResult(tuple(pairs), tuple(unmatched))
