"""How long one pair's timeline takes, per tenant, and 1,000,000 pairs on one core.

Run: `uv run python benchmarks/timeline.py [--pairs N]` (default 1,000,000, measured in full;
nothing is extrapolated unless --pairs is smaller, and the output says so).

Pairs get varied matching dates (2020–2034, so several holiday years are in play) and, for
about half of them, meetings already held; holiday calendars are warmed first, as they are
in a running process (one build per jurisdiction and year, then cached).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

from mentorhub.schemes import PairFacts, TenantFile, load_tenant_file, timeline

TENANTS = Path(__file__).resolve().parents[1] / "tenants"
SLUGS = ("arts-marketing", "museums-association", "advice-skills-academy", "ahep",
         "alberta-museums")


def make_facts(rng: random.Random, tf: TenantFile, n: int) -> list[PairFacts]:
    out = []
    for _ in range(n):
        matched = date(2020, 1, 1) + timedelta(days=rng.randrange(15 * 365))
        held: tuple[date, ...] = ()
        if rng.random() < 0.5:
            held = tuple(sorted(matched + timedelta(days=rng.randrange(1, 150))
                                for _ in range(rng.randrange(1, 4))))
        out.append(PairFacts(matched_on=matched, meetings_held=held))
    return out


def per_pair_medians(tf: TenantFile, facts: list[PairFacts], repeats: int) -> float:
    """Median over `repeats` runs of (time for the batch / pairs), in microseconds."""
    scheme, j = tf.scheme, tf.tenant.jurisdiction
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for f in facts:
            timeline(scheme, f, jurisdiction=j)
        samples.append((time.perf_counter() - t0) / len(facts) * 1e6)
    return statistics.median(samples)


def single_pair_median(tf: TenantFile, facts: list[PairFacts]) -> float:
    """Median of individually timed calls, in microseconds."""
    scheme, j = tf.scheme, tf.tenant.jurisdiction
    samples = []
    clock = time.perf_counter_ns
    for f in facts:
        t0 = clock()
        timeline(scheme, f, jurisdiction=j)
        samples.append(clock() - t0)
    return statistics.median(samples) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=1_000_000)
    args = parser.parse_args()
    rng = random.Random(4)
    tenants = {slug: load_tenant_file(TENANTS / f"{slug}.toml") for slug in SLUGS}
    batches = {slug: make_facts(rng, tf, 2_000) for slug, tf in tenants.items()}
    for slug, tf in tenants.items():  # warm the holiday calendars (2020–2036)
        for f in batches[slug]:
            timeline(tf.scheme, f, jurisdiction=tf.tenant.jurisdiction)

    print("median time per pair's timeline (µs)")
    print(f"{'tenant':24} {'events':>7} {'per call':>9} {'batch':>9}")
    for slug, tf in tenants.items():
        facts = batches[slug]
        events = statistics.mean(
            len(timeline(tf.scheme, f, jurisdiction=tf.tenant.jurisdiction)) for f in facts
        )
        single = single_pair_median(tf, facts * 5)
        batch = per_pair_medians(tf, facts, repeats=15)
        print(f"{slug:24} {events:7.1f} {single:9.1f} {batch:9.1f}")

    n = args.pairs
    work = [(tenants[SLUGS[i % 5]], batches[SLUGS[i % 5]][i % 2000]) for i in range(10_000)]
    t0 = time.perf_counter()
    done = 0
    while done < n:
        for tf, f in work[: min(len(work), n - done)]:
            timeline(tf.scheme, f, jurisdiction=tf.tenant.jurisdiction)
        done += min(len(work), n - done)
    elapsed = time.perf_counter() - t0
    print()
    print(f"{n:,} pairs (tenants mixed evenly), one core: {elapsed:.1f} s measured "
          f"({elapsed / n * 1e6:.1f} µs per pair)")
    if n < 1_000_000:
        print(f"1,000,000 pairs extrapolated from this run: {elapsed / n * 1_000_000:.1f} s")
    print("goal: ≤ 50 µs median per pair, 1,000,000 pairs ≤ 60 s")


if __name__ == "__main__":
    main()
