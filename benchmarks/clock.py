"""The clock's figures (issue 16), with 1,000 tenants and 300,000 active pairs and their
checkpoint items in the database:

* **(a) a pass that finds nothing new** — `checkpoints.clock.run_pass` over every tenant when
  no item, no quiet pair and no stale pair is due — goal ≤ 2 s (the clock must not rescan
  every pair's timeline each minute: it reads the indexed next due time);
* **(b) a pass that opens 10,000 items and queues their mails** — the same pass after 10,000
  waiting items spread over every tenant with pairs were made due — goal ≤ 10 s;
* **(c) mails per second** from the outbox to an SMTP sink (aiosmtpd, in a process of its
  own) through the real relay (in this process, polling every 20 ms) and one `dramatiq
  workers` process (`--threads`, 8 by default), as `benchmarks/messages.py` measures it: the
  clock starts when the relay starts on the mails pass (b) queued and stops when the sink
  has accepted the last of them.

Each figure is the median of `--rounds` rounds (3 by default; each round of (b) and (c)
takes 10,000 other items). Every round prints the load average before → after: this
machine is shared (2 cores), and on a busy one the figures measure the queue for the CPU.

The database (embedded PostgreSQL and Redis in a temporary folder, `benchmarks._services`)
is loaded with set-based SQL as the owner (`INSERT … SELECT … FROM generate_series`), not
through the actions: the five reference tenants as the product loads them and the other
tenants with AHEP's scheme (as `benchmarks/pairs.py`), one cohort per tenant started 90 days
ago, the pairs spread evenly over the tenants (all active, their items up to date:
`items_stale` false, the quiet-pair check a month or two ahead), and every pair's items
built directly from its scheme's participant checkpoints (one per person where the
checkpoint is for each): the first already submitted, the others waiting, opening 10 to 160
days from now. (b) moves 10,000 waiting items' window to one that opened on a business day
two or more days ago (due three weeks after it), with `next_at` a minute ago: the clock
opens each and mails its audience (`checkpoint_open`, one per person). After loading,
VACUUM ANALYZE.

    uv run python -m benchmarks.clock                            # the full figures
    uv run python -m benchmarks.clock --tenants 20 --pairs 2000 --due 1000   # a quick run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from benchmarks._services import bench_services  # noqa: E402
from benchmarks.applications import (  # noqa: E402
    MEMBERS_SQL,
    _owner_sql,
    _timed,
    _vacuum,
    add_bench_tenants,
)
from benchmarks.messages import (  # noqa: E402
    SinkProcess,
    services_cpu,
    start_outbox_worker,
    stop_outbox_worker,
    tree_cpu,
    worker_cpu,
)
from benchmarks.pairs import COHORT_SQL  # noqa: E402
from mentorhub.db import Database  # noqa: E402
from mentorhub.db.session import Timeouts  # noqa: E402
from mentorhub.schemes.calendar import is_business_day  # noqa: E402
from mentorhub.schemes.rules import AfterEachMeetingWhen, FirstBusinessDayWhen, Scheme  # noqa: E402
from mentorhub.schemes.services import current_scheme  # noqa: E402
from mentorhub.settings import get_settings  # noqa: E402
from mentorhub.tenancy.loading import load_tenants  # noqa: E402

QUIET_GOAL_S = 2.0
OPEN_GOAL_S = 10.0
BATCH = 100  # tenants per loading transaction


@dataclass(frozen=True)
class Sizes:
    tenants: int = 1_000
    pairs: int = 300_000
    due: int = 10_000

    @property
    def per_tenant_pairs(self) -> int:
        return max(1, self.pairs // self.tenants)


# --- loading ------------------------------------------------------------------------------------

#: Pairs 1..:n in each tenant's benchmark cohort: mentor M-(2k), mentee M-(2k+1), all
#: active, their items up to date, the quiet-pair check 30 to 89 days ahead.
PAIRS_SQL = """
    INSERT INTO pairs (tenant_id, id, cohort_id, scheme_version, mentor_id, mentee_id,
                       matched_on, flow, explanation, state, extensions, lock_version,
                       items_stale, quiet_next_at, quiet_stage)
    SELECT c.tenant_id, gen_random_uuid(), c.id, c.scheme_version, mr.id, me.id,
           c.starts_on - 10, 'suggest_and_accept', '[]', 'active', '[]', 0,
           false, now() + make_interval(days => 30 + k % 60), 0
    FROM cohorts c
    CROSS JOIN generate_series(1, :n) AS k
    JOIN members mr ON mr.tenant_id = c.tenant_id AND mr.member_number = 'M-' || (2 * k)
    JOIN members me ON me.tenant_id = c.tenant_id AND me.member_number = 'M-' || (2 * k + 1)
    WHERE c.tenant_id = ANY(CAST(:tenants AS uuid[])) AND c.name = 'Benchmark cohort'
"""

#: Every pair's items from its scheme's checkpoints (`:templates`, one row per checkpoint
#: and person: `who` mentor, mentee or pair): template 0 submitted 80 days ago, the others
#: waiting, opening 10 to 159 days from now, each a fortnight before its due date.
ITEMS_SQL = """
    INSERT INTO checkpoint_items (tenant_id, id, pair_id, member_id, checkpoint, slot,
                                  scheme_version, kind, title, audience, readers, due_on,
                                  opens_on, closes_on, state, next_at, step, opened_at,
                                  submitted_at, submitted_by, answers, lock_version)
    SELECT p.tenant_id, gen_random_uuid(), p.id,
           CASE t.who WHEN 'mentor' THEN p.mentor_id WHEN 'mentee' THEN p.mentee_id END,
           t.checkpoint, t.slot, p.scheme_version, t.kind, t.title, t.audience,
           CAST(t.readers AS varchar(16)[]),
           d.opens_on + 14, d.opens_on, d.opens_on + 21,
           CASE WHEN t.n = 0 THEN 'submitted' ELSE 'upcoming' END,
           CASE WHEN t.n = 0 THEN NULL
                ELSE CAST(d.opens_on AS timestamp) + interval '9 hours' END,
           CASE WHEN t.n = 0 THEN 1 ELSE 0 END,
           CASE WHEN t.n = 0 THEN CAST(d.opens_on AS timestamp) + interval '9 hours' END,
           CASE WHEN t.n = 0 THEN CAST(d.opens_on AS timestamp) + interval '4 days' END,
           CASE WHEN t.n = 0 THEN coalesce(
               CASE t.who WHEN 'mentor' THEN p.mentor_id WHEN 'mentee' THEN p.mentee_id END,
               p.mentee_id) END,
           CASE WHEN t.n = 0 THEN '{"note": "Done together at our first meeting."}'::jsonb
                ELSE '{}'::jsonb END,
           0
    FROM pairs p
    CROSS JOIN jsonb_to_recordset(CAST(:templates AS jsonb))
        AS t(n int, checkpoint text, slot text, kind text, title text, audience text,
             readers text[], who text)
    CROSS JOIN LATERAL (
        SELECT CASE WHEN t.n = 0 THEN CAST(:today AS date) - 80
                    ELSE CAST(:today AS date) + 10
                         + (abs(hashtext(p.id::text)) + 37 * t.n) % 150 END AS opens_on
    ) d
    WHERE p.tenant_id = ANY(CAST(:tenants AS uuid[]))
"""


def templates(scheme: Scheme, today: date) -> list[dict[str, Any]]:
    """The scheme's participant checkpoints as item templates (coordinator tasks and items
    after each meeting left out: these pairs have held no meeting), one per person where
    the checkpoint is for each."""
    out: list[dict[str, Any]] = []
    for c in scheme.checkpoints:
        if c.audience == "coordinator" or isinstance(c.when, AfterEachMeetingWhen):
            continue
        slot = ""
        if isinstance(c.when, FirstBusinessDayWhen):
            slot = f"{today.year + 1}-{c.when.months[0]:02d}"
        who = {"each": ("mentor", "mentee"), "pair": ("pair",)}.get(c.audience, (c.audience,))
        for person in who:
            out.append(
                {
                    "n": len(out),
                    "checkpoint": c.id,
                    "slot": slot,
                    "kind": c.kind,
                    "title": c.title,
                    "audience": c.audience,
                    "readers": list(c.readers),
                    "who": person,
                }
            )
    return out


async def load(owner: Database, n: Sizes) -> dict[str, int]:
    today = datetime.now(UTC).date()
    reference = {t.slug: t for t in await load_tenants(owner, get_settings().tenants_dir)}
    others = max(0, n.tenants - len(reference))

    async def bench_tenants() -> None:
        await add_bench_tenants(owner, others, reference["ahep"].id)

    await _timed(f"{others:,} more tenants (AHEP's scheme)", bench_tenants)
    async with owner.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT id, slug FROM tenants ORDER BY slug"))).all()
    ids = [r[0] for r in rows][: n.tenants]
    starts = today - timedelta(days=90)
    await _owner_sql(
        owner,
        COHORT_SQL,
        [{"tenants": ids, "starts": starts, "ends": starts + timedelta(days=183)}],
    )
    per_pairs = n.per_tenant_pairs

    async def members_and_pairs() -> None:
        for chunk in range(0, len(ids), BATCH):
            batch = ids[chunk : chunk + BATCH]
            await _owner_sql(
                owner,
                MEMBERS_SQL,
                [{"tenants": batch, "prefix": "member", "first": 1, "n": 2 * per_pairs + 2}],
            )
            await _owner_sql(owner, PAIRS_SQL, [{"tenants": batch, "n": per_pairs}])

    await _timed(
        f"{(2 * per_pairs + 2) * len(ids):,} members and {per_pairs * len(ids):,} pairs"
        f" ({len(ids):,} tenants × {per_pairs:,} pairs)",
        members_and_pairs,
    )
    # The items: AHEP's templates for the bench tenants, each reference tenant its own.
    groups: list[tuple[list[uuid.UUID], list[dict[str, Any]]]] = []
    for slug, tenant in reference.items():
        async with owner.tenant(tenant.id) as s:
            scheme = await current_scheme(s)
        assert scheme is not None
        chosen = [tenant.id] if tenant.id in ids else []
        if slug == "ahep":
            chosen += [i for i, s in rows if s.startswith("bench-") and i in set(ids)]
        groups.append((chosen, templates(scheme, today)))
    counts: dict[str, int] = {}

    async def items() -> None:
        for chosen, shapes in groups:
            for chunk in range(0, len(chosen), BATCH):
                await _owner_sql(
                    owner,
                    ITEMS_SQL,
                    [
                        {
                            "tenants": chosen[chunk : chunk + BATCH],
                            "templates": json.dumps(shapes),
                            "today": today,
                        }
                    ],
                )

    await _timed("the pairs' checkpoint items", items)
    async with owner.engine.connect() as conn:
        for state, count in await conn.execute(
            text("SELECT state, count(*) FROM checkpoint_items GROUP BY state ORDER BY state")
        ):
            counts[state] = int(count)
    print(f"  items by state: {counts}", flush=True)
    await _timed("VACUUM ANALYZE", lambda: _vacuum(owner))
    return counts


def opened_day(today: date) -> date:
    """A day that is a business day in every jurisdiction the tenants have (GB, CA-AB), at
    least two days before `today` (UTC): whatever the hour, its 09:00 has passed in every
    tenant's zone, so the item's opening step is due and its reminders are not."""
    day = today - timedelta(days=2)
    while not all(is_business_day(day, j) for j in ("GB", "GB-ENG", "CA-AB")):
        day -= timedelta(days=1)
    return day


#: Make `:n` waiting items due now, spread evenly over the tenants (the k-th of each
#: tenant's waiting items first, then the (k+1)-th, ...).
DUE_SQL = """
    WITH waiting AS (
        SELECT tenant_id, id,
               row_number() OVER (PARTITION BY tenant_id ORDER BY id) AS rank
        FROM checkpoint_items WHERE state = 'upcoming' AND next_at > now()
    ), chosen AS (
        SELECT tenant_id, id FROM waiting ORDER BY rank, tenant_id LIMIT :n
    )
    UPDATE checkpoint_items i
    SET opens_on = CAST(:opens AS date), due_on = CAST(:opens AS date) + 21,
        closes_on = CAST(:opens AS date) + 28, next_at = now() - interval '1 minute'
    FROM chosen c WHERE i.tenant_id = c.tenant_id AND i.id = c.id
"""


# --- measuring ----------------------------------------------------------------------------------


def _load() -> str:
    return f"{os.getloadavg()[0]:.2f}"


async def run(app_url: str, owner_url: str, sink: SinkProcess, args: argparse.Namespace) -> None:
    n = Sizes(args.tenants, args.pairs, args.due)
    owner = Database.connect(
        owner_url, pool_size=1, timeouts=Timeouts(statement=3600, idle_in_transaction=3600)
    )
    try:
        t0 = time.perf_counter()
        print("loading (set-based SQL as the owner, not through the actions):", flush=True)
        counts = await load(owner, n)
        print(f"  loaded in {time.perf_counter() - t0:.1f} s", flush=True)
        await measure(app_url, owner, sink, n, args, counts)
    finally:
        await owner.dispose()


async def _pending(owner: Database) -> int:
    """E-mail messages not yet sent (each is one outbox row for the relay and the worker)."""
    async with owner.engine.connect() as conn:
        found = await conn.execute(text("SELECT count(*) FROM messages WHERE status = 'pending'"))
        return int(found.scalar_one())


async def measure(
    app_url: str,
    owner: Database,
    sink: SinkProcess,
    n: Sizes,
    args: argparse.Namespace,
    counts: dict[str, int],
) -> None:
    import workers
    from mentorhub.checkpoints.clock import run_pass
    from mentorhub.outbox.relay import Relay

    waiting = counts.get("upcoming", 0)
    if waiting < n.due * args.rounds:
        raise SystemExit(
            f"{waiting:,} waiting items are too few for {args.rounds} rounds of {n.due:,}"
            " (--due smaller, or more --pairs)"
        )
    db = Database.connect(app_url, pool_size=4)
    worker = start_outbox_worker(args.threads)
    quiet: list[float] = []
    opening: list[float] = []
    rates: list[float] = []
    try:
        print("(a) a clock pass that finds nothing new:", flush=True)
        await run_pass(db)  # warm: connections, the schemes' parse caches
        for number in range(1, args.rounds + 1):
            before = _load()
            start = time.perf_counter()
            result = await run_pass(db)
            took = time.perf_counter() - start
            worked = sum(
                t.synced + t.opened + t.reminded + t.overdue + t.missed + t.tasks + t.nudged
                for t in result.tenants
            )
            quiet.append(took)
            print(
                f"  round {number}: {took * 1000:.0f} ms, {len(result.tenants)} tenant(s)"
                f" worked on, {worked} step(s), {len(result.failures)} failure(s)"
                f" (load average {before} → {_load()})",
                flush=True,
            )
        opens = opened_day(datetime.now(UTC).date())
        relay = Relay(db, workers.broker, batch=500)
        print(
            f"(b) a pass that opens {n.due:,} items, then (c) their mails to the sink:",
            flush=True,
        )
        for number in range(1, args.rounds + 1):
            await _owner_sql(owner, DUE_SQL, [{"n": n.due, "opens": opens}])
            pending_before = await _pending(owner)
            before = _load()
            start = time.perf_counter()
            result = await run_pass(db)
            took = time.perf_counter() - start
            opened = sum(t.opened for t in result.tenants)
            queued = await _pending(owner) - pending_before
            opening.append(took)
            print(
                f"  round {number} (b): {took:.2f} s, {opened:,} items opened in"
                f" {len(result.tenants)} tenants, {queued:,} mails queued,"
                f" {len(result.failures)} failure(s) (load average {before} → {_load()})",
                flush=True,
            )
            # (c) the relay starts now; the worker has waited, idle.
            arrived = sink.count
            cpu = (worker_cpu(worker), tree_cpu(sink.proc.pid), services_cpu(args.data_dir))
            before = _load()
            stop = asyncio.Event()
            start = time.perf_counter()
            relaying = asyncio.create_task(relay.run_forever(0.02, stop))
            deadline = start + 1800
            try:
                while sink.count - arrived < queued:
                    if time.perf_counter() > deadline:
                        raise SystemExit(
                            f"round {number}: {sink.count - arrived:,} of {queued:,} mails arrived"
                        )
                    await asyncio.sleep(0.005)
                took = time.perf_counter() - start
            finally:
                stop.set()
                await relaying
            rate = queued / took if took else 0.0
            rates.append(rate)
            per = [
                (worker_cpu(worker) - cpu[0]) * 1000 / max(1, queued),
                (tree_cpu(sink.proc.pid) - cpu[1]) * 1000 / max(1, queued),
                (services_cpu(args.data_dir) - cpu[2]) * 1000 / max(1, queued),
            ]
            print(
                f"  round {number} (c): {queued:,} mails in {took:.2f} s = {rate:,.0f}/s;"
                f" CPU per mail: worker {per[0]:.2f} ms, sink {per[1]:.2f} ms, PostgreSQL and"
                f" Redis {per[2]:.2f} ms (load average {before} → {_load()})",
                flush=True,
            )
    finally:
        stop_outbox_worker(worker)
        await db.dispose()
    report(n, args.rounds, quiet, opening, rates)


def report(
    n: Sizes, rounds: int, quiet: list[float], opening: list[float], rates: list[float]
) -> None:
    a, b, c = statistics.median(quiet), statistics.median(opening), statistics.median(rates)
    print()
    print(
        f"the clock, {n.tenants:,} tenants, {n.per_tenant_pairs * n.tenants:,} active pairs"
        f" (medians of {rounds} rounds):"
    )
    print(
        f"  (a) a pass that finds nothing new: {a * 1000:.0f} ms"
        f" (goal ≤ {QUIET_GOAL_S:g} s: {'meets' if a <= QUIET_GOAL_S else 'MISSES'})"
    )
    print(
        f"  (b) a pass that opens {n.due:,} items and queues their mails: {b:.2f} s"
        f" (goal ≤ {OPEN_GOAL_S:g} s: {'meets' if b <= OPEN_GOAL_S else 'MISSES'})"
    )
    print(f"  (c) mails per second, relay + one worker process to the SMTP sink: {c:,.0f}/s")
    print(f"  load average (1, 5, 15 min) at the end: {os.getloadavg()} on {os.cpu_count()} cores")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tenants", type=int, default=Sizes.tenants)
    parser.add_argument("--pairs", type=int, default=Sizes.pairs)
    parser.add_argument("--due", type=int, default=Sizes.due, help="items opened by pass (b)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8, help="of the worker process")
    args = parser.parse_args()
    print(f"load average at the start: {os.getloadavg()} on {os.cpu_count()} cores", flush=True)
    sink = SinkProcess()
    try:
        with bench_services(
            MENTORHUB_SECRET_KEY="b" * 40,
            MENTORHUB_SMTP_URL=sink.url,
            MENTORHUB_PATH_PREFIX_TENANTS="true",
        ) as bench:
            args.data_dir = bench.data_dir
            asyncio.run(run(bench.app_url, bench.owner_url, sink, args))
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
