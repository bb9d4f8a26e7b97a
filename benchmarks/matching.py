"""Matching engine figures: suggest, top 3 for a whole cohort, exact cohort assignment.

Run: ``uv run python benchmarks/matching.py [--quick]``. Data is synthetic and seeded (same
figures' inputs on every run): six criteria — needs (overlap), region (same), experience
(min_gap ≥ 5), travel (distance ≤ 250 km), career stage, availability — over a UK-sized
map. Each figure is a median over repeated runs, printed against its goal; peak memory is
the tracemalloc peak of one extra run (NumPy reports its buffers to tracemalloc).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from mentorhub.matching import Instance, parse_instance
from mentorhub.matching.cohort import _assign, assign_cohort
from mentorhub.matching.scoring import reference_scores
from mentorhub.matching.suggest import suggest, suggest_all
from mentorhub.matching.vector import ScoreTable, keep_freed_memory

TOPICS = [f"topic-{i}" for i in range(40)]
REGIONS = [f"region-{i}" for i in range(12)]
STAGES = ["early", "mid", "late-mid", "established"]
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

CRITERIA: list[dict[str, Any]] = [
    {"name": "needs", "kind": "overlap", "field": "topics", "weight": 2.0},
    {"name": "region", "kind": "same", "field": "region", "weight": 1.0},
    {"name": "experience", "kind": "min_gap", "field": "years", "min": 5},
    {"name": "travel", "kind": "distance", "field": "location", "max": 250, "weight": 1.5},
    {"name": "stage", "kind": "career_stage", "field": "stage", "order": STAGES, "weight": 1.0},
    {"name": "slots", "kind": "availability", "field": "slots", "weight": 0.5},
]


def make_input(
    n_mentees: int, n_mentors: int, capacity: int, seed: int, conflicts: int = 0
) -> Instance:
    """Seeded synthetic cohort; mentors are more senior on average, as in real schemes."""
    rng = random.Random(seed)

    def person(prefix: str, i: int, senior: bool) -> dict[str, Any]:
        return {
            "id": f"{prefix}{i:05d}",
            "topics": rng.sample(TOPICS, rng.randint(2, 6) if senior else rng.randint(1, 3)),
            "region": rng.choice(REGIONS),
            "years": rng.randint(3, 40) if senior else rng.randint(0, 20),
            "location": [round(rng.uniform(50.0, 56.0), 4), round(rng.uniform(-5.0, 1.0), 4)],
            "stage": rng.choice(STAGES[1:] if senior else STAGES[:3]),
            "slots": rng.sample(DAYS, rng.randint(2, 5) if senior else rng.randint(1, 3)),
        }

    mentors = [person("r", i, True) | {"capacity": capacity} for i in range(n_mentors)]
    mentees = []
    for i in range(n_mentees):
        p = person("e", i, False)
        if conflicts:
            p["conflicts"] = [mentors[j]["id"] for j in rng.sample(range(n_mentors), conflicts)]
        mentees.append(p)
    return parse_instance({"criteria": CRITERIA, "mentees": mentees, "mentors": mentors})


def median_time(fn: Callable[[], object], repeat: int, collect: bool = True) -> float:
    """Median wall time; ``collect=False`` for sub-millisecond calls (a warm server)."""
    times = []
    for _ in range(repeat):
        if collect:
            gc.collect()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def peak_mib(fn: Callable[[], object]) -> float:
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def verdict(label: str, value: float, goal: float, unit: str, extra: str = "") -> None:
    ok = "OK" if value <= goal else "MISSED"
    print(f"{label}: median {value:.3g} {unit} (goal ≤ {goal:g} {unit}) {ok}{extra}")


def plain_top(instance: Instance, row: int, top: int) -> list[str]:
    """The plain-Python path: score every mentor in a loop, then sort."""
    scores = reference_scores(instance, row)
    ranked = sorted(
        (
            (-s, m.id)
            for s, m in zip(scores, instance.mentors, strict=True)
            if s is not None and m.free > 0
        )
    )
    return [mid for _, mid in ranked[:top]]


def bench_suggest(quick: bool) -> None:
    inst = make_input(400, 10_000, 3, seed=1)
    t0 = time.perf_counter()
    table = ScoreTable(inst)
    build = time.perf_counter() - t0
    ids = [m.id for m in inst.mentees]
    k = iter(range(10**9))
    fast = median_time(lambda: suggest(inst, ids[next(k) % len(ids)], 3, table),
                       50 if quick else 300, collect=False)
    j = iter(range(10**9))
    plain = median_time(lambda: plain_top(inst, next(j) % len(ids), 3), 5 if quick else 15)
    verdict(
        "suggest, 1 mentee × 10,000 mentors, 6 criteria", fast * 1e3, 1.0, "ms",
        f"  [plain Python {plain * 1e3:.1f} ms, ×{plain / fast:.0f}; "
        f"table built once in {build * 1e3:.0f} ms]",
    )
    assert [s.mentor for s in suggest(inst, ids[0], 3, table)] == plain_top(inst, 0, 3)


def bench_top3_all(quick: bool) -> None:
    n = 3_000 if quick else 10_000
    inst = make_input(n, n, 3, seed=2)
    table = ScoreTable(inst)
    workers = os.cpu_count() or 1
    fast = median_time(lambda: suggest_all(table, 3, workers=workers), 3)
    one = median_time(lambda: suggest_all(table, 3, workers=1), 1 if quick else 3)
    peak = peak_mib(lambda: suggest_all(table, 3, workers=workers))
    rows = 20
    t = time.perf_counter()
    for r in range(rows):
        plain_top(inst, r, 3)
    plain = (time.perf_counter() - t) / rows * n
    verdict(
        f"top 3 for every mentee, {n:,} × {n:,}, {workers} threads", fast, 2.0, "s",
        f"  [1 thread {one:.2f} s; plain Python ≈ {plain:.0f} s (extrapolated from "
        f"{rows} mentees), ×{plain / fast:.0f}]",
    )
    verdict(f"top 3 for every mentee, {n:,} × {n:,}, peak memory", peak, 1024, "MiB")
    cols, _ = suggest_all(table, 3, workers=workers)
    for r in range(3):
        assert [inst.mentors[c].id for c in cols[r] if c >= 0] == plain_top(inst, r, 3)


def plain_cohort_scores(inst: Instance) -> np.ndarray:
    return np.array(
        [[np.nan if s is None else s for s in reference_scores(inst, i)]
         for i in range(len(inst.mentees))]
    )


def bench_cohort(quick: bool) -> None:
    inst = make_input(3_000, 1_000, 3, seed=3, conflicts=3)
    fast = median_time(lambda: assign_cohort(inst), 3 if quick else 7)
    peak = peak_mib(lambda: assign_cohort(inst))
    result = assign_cohort(inst)
    verdict(
        "exact cohort, 3,000 mentees × 1,000 mentors (capacity 3), conflicts + min_gap",
        fast, 1.0, "s",
        f"  [{len(result.pairs)} pairs, {len(result.unmatched)} unmatched, "
        f"total {result.total_score:.2f}]",
    )
    verdict("exact cohort, peak memory", peak, 1024, "MiB")
    # The dense solve alone (what runs for small cohorts, and the fallback): same optimum.
    dense = median_time(lambda: _assign(inst, None, "dense"), 1 if quick else 3)
    check = _assign(inst, None, "dense")
    same = len(check.pairs) == len(result.pairs) and abs(
        check.total_score - result.total_score) <= 1e-9 * max(1.0, abs(check.total_score))
    print(f"exact cohort, same input, dense solve only: median {dense:.3g} s  "
          f"[{len(check.pairs)} pairs, total {check.total_score:.2f}: "
          f"{'the same optimum' if same else 'DIFFERENT'}]")
    assert same
    small = make_input(300, 100, 3, seed=4, conflicts=3)
    table = ScoreTable(small)
    rows = np.arange(len(small.mentees))
    vec = median_time(lambda: table.block(rows), 5)
    plain = median_time(lambda: plain_cohort_scores(small), 3)
    print(
        f"cohort scoring, 300 × 100, plain Python {plain * 1e3:.0f} ms vs vectorised "
        f"{vec * 1e3:.2f} ms: ×{plain / vec:.0f} (plain at 3,000 × 1,000 ≈ {plain * 100:.0f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller cohort")
    args = parser.parse_args()
    keep_freed_memory()
    print(f"NumPy {np.__version__}, {os.cpu_count()} CPU(s)")
    bench_suggest(args.quick)
    bench_cohort(args.quick)
    bench_top3_all(args.quick)
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS (whole run, incl. synthetic data): {rss:.0f} MiB")


if __name__ == "__main__":
    main()
