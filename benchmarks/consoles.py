"""The consoles' figures (issue 17), served as production serves them, with 1,000 tenants,
1,000,000 members and 300,000 pairs in the database (`benchmarks.pairs`' load) and on top a
Museums Association cohort of 3,000 pairs (`benchmarks._consoles_data`):

1. **the coordinator's cockpit** for that cohort
   (`GET /t/museums-association/coordinator/cockpit/<cohort>`, and one filtered and sorted
   list, `--filtered`), signed in as the cohort's coordinator, under `--clients` concurrent
   clients (and 1) — p50/p95, goal p95 ≤ 100 ms — and the CPU a request costs in
   `mentorhub serve`'s processes and in PostgreSQL's;
2. **the evaluation report** for that cohort
   (`GET …/coordinator/reports/<cohort>`), `--report-requests` requests one after another
   per round — median and p95, goal ≤ 1 s;
3. **the responses CSV** (`GET …/coordinator/reports/<cohort>/responses.csv`), streamed:
   rows counted (≥ 100,000 wanted), the time, and the serving process's peak RSS growth
   during the download — goal ≤ 50 MiB. Each `mentorhub serve` process's peak (VmHWM) is
   reset before the download (`/proc/<pid>/clear_refs` "5") and read after it, beside a
   sampler that reads VmRSS every 2 ms; the growth is the largest of the processes'
   (peak − RSS before), whichever worker served it.

The database (embedded PostgreSQL and Redis in a temporary folder, `benchmarks._services`)
is loaded with set-based SQL as the owner: `benchmarks.pairs.load` (the five reference
tenants, the others with AHEP's scheme, members, pairs and a little content in each), then
the cohort (`benchmarks._consoles_data.load_cohort`: members, applications, pairs,
meetings, goals, checkpoint items from the Museums Association's own forms, coordinator
tasks, lapsed memberships), then VACUUM ANALYZE of the tables it wrote. The coordinator's
session is stored in Redis the way sign-in stores it (`SessionStore.create`).

The app runs as `mentorhub serve --workers N`; the cockpit's load comes from wrk on
loopback (`benchmarks.pairs.wrk`: one thread, p50/p95/p99 from its Lua hook, any answer
but 2xx fails the run, 30 s request timeout), each run after the server and PostgreSQL
have gone idle (a slow page's requests still queued when wrk stops would otherwise be
served during the next run), its CPU counted until they are idle again; the report's and
the CSV's load from this process (`http.client`, one connection). Figures are medians over
`--rounds`; every round prints its own and the load average (the machine is shared: 2
cores). A route that does not answer 200 yet is reported as not measured, and the others
are measured.

    uv run python -m benchmarks.consoles                       # the full figures
    uv run python -m benchmarks.consoles --tenants 20 --members 20000 --pairs 6000 \\
        --cohort-pairs 3000 --rounds 1                         # a quick run
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import http.client
import io
import os
import secrets
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from benchmarks._consoles_data import COHORT_SLUG, Cohort, load_cohort
from benchmarks._services import bench_services
from benchmarks.applications import _timed, peak_rss_mb
from benchmarks.pages import (
    LUA,
    Figure,
    free_port,
    median_figure,
)
from benchmarks.pairs import (
    CPU,
    Sizes,
    Target,
    _cpu_seconds,
    _database,
    _processes,
    _server,
    load,
    medians,
    member_cookie,
    print_round,
    serve_env,
    serving,
    wrk,
)
from mentorhub.db import Database
from mentorhub.db.session import Timeouts
from mentorhub.identity.sessions import Identity

COCKPIT_GOAL_MS = 100.0
REPORT_GOAL_S = 1.0
CSV_ROWS_WANTED = 100_000
CSV_GROWTH_GOAL_MIB = 50.0
#: The tables the cohort's load writes (analysed again after it).
TABLES = (
    "members",
    "membership_lapses",
    "cohorts",
    "coordinator_scopes",
    "applications",
    "pairs",
    "meetings",
    "pair_goals",
    "checkpoint_items",
    "coordinator_tasks",
)


# --- set-up -------------------------------------------------------------------------------------


async def _set_up(owner_url: str, redis_url: str, n: Sizes, cohort_pairs: int) -> Cohort:
    owner = Database.connect(
        owner_url, pool_size=1, timeouts=Timeouts(statement=3600, idle_in_transaction=3600)
    )
    try:
        t0 = time.perf_counter()
        print("loading (set-based SQL as the owner, not through the actions):", flush=True)
        await load(owner, n)
        async with owner.engine.connect() as conn:
            tenant_id = (
                await conn.execute(
                    text("SELECT id FROM tenants WHERE slug = :s"), {"s": COHORT_SLUG}
                )
            ).scalar_one()
        today = datetime.now(UTC).date()
        cohort = await load_cohort(owner, tenant_id, cohort_pairs, today)

        async def vacuum() -> None:
            async with owner.engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text(f"VACUUM (ANALYZE) {', '.join(TABLES)}"))

        await _timed("VACUUM ANALYZE (the cohort's tables)", vacuum)
        print(f"  loaded in {time.perf_counter() - t0:.1f} s", flush=True)
        for name, counts in cohort.counts.items():
            print(f"  cohort {name}: {counts}", flush=True)
    finally:
        await owner.dispose()
    return cohort


async def _custom_plans(owner_url: str) -> None:
    """`--custom-plans`: PostgreSQL plans each of the app's statements with its parameters'
    values, never with a cached generic plan (which it may choose after five executions of
    a prepared statement on one connection; asyncpg prepares every statement)."""
    owner = Database.connect(owner_url, pool_size=1)
    try:
        async with owner.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(
                text("ALTER ROLE mentorhub_app SET plan_cache_mode = force_custom_plan")
            )
    finally:
        await owner.dispose()
    print("  DIAGNOSIS: mentorhub_app's plan_cache_mode = force_custom_plan", flush=True)


async def coordinator_cookie(redis_url: str, cohort: Cohort) -> str:
    """A real session of the cohort's coordinator."""
    return await member_cookie(
        redis_url,
        Identity(
            email=cohort.coordinator_email,
            display_name=cohort.coordinator_name,
            tenant_id=str(cohort.tenant_id),
            tenant_slug=COHORT_SLUG,
            member_id=str(cohort.coordinator_id),
            roles=("coordinator",),
        ),
    )


# --- HTTP from this process ---------------------------------------------------------------------


def get(port: int, path: str, cookie: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("GET", path, headers={"Cookie": cookie})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def probe(port: int, path: str, cookie: str) -> str | None:
    """None when the route answers 200 (its first answer's time printed); otherwise why it
    is not measured."""
    start = time.perf_counter()
    try:
        status, body = get(port, path, cookie)
    except OSError as error:
        return f"no answer ({error})"
    took = (time.perf_counter() - start) * 1000
    print(f"  first answer: {status} in {took:,.0f} ms, {len(body):,} bytes: {path}", flush=True)
    if status == 200:
        return None
    return f"answered {status}"


@dataclass(frozen=True)
class Timed:
    p50_ms: float
    p95_ms: float
    cpu_app_ms: float
    cpu_db_ms: float


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def sequential(
    port: int, path: str, cookie: str, requests: int, data_dir: Path
) -> tuple[Timed, list[float]]:
    """`requests` GETs one after another over one kept-alive connection: each one's time
    from the request written to the last byte read, and the CPU a request cost."""
    server, database = _server(port), _database(data_dir)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    took: list[float] = []
    used, used_db = _cpu_seconds(server), _cpu_seconds(database)
    try:
        for _ in range(requests):
            start = time.perf_counter()
            connection.request("GET", path, headers={"Cookie": cookie})
            response = connection.getresponse()
            response.read()
            took.append((time.perf_counter() - start) * 1000)
            if response.status != 200:
                raise RuntimeError(f"{path}: answered {response.status}")
    finally:
        connection.close()
    per = (_cpu_seconds(server) - used) * 1000 / requests
    per_db = (_cpu_seconds(database) - used_db) * 1000 / requests
    return Timed(statistics.median(took), p95(took), per, per_db), took


# --- the streamed CSV ---------------------------------------------------------------------------


def server_pids(port: int) -> list[int]:
    """`mentorhub serve`'s process and all its descendants (the web workers)."""
    processes = _processes()
    match = _server(port)
    tree = [pid for pid, (cmdline, _) in processes.items() if match(cmdline)]
    for pid in tree:
        tree += [child for child, (_, stat) in processes.items() if int(stat[1]) == pid]
    return tree


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _reset_peak(pid: int) -> bool:
    """Reset the process's VmHWM to its current RSS (Linux ≥ 4.0); False where refused."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class RssSampler:
    """VmRSS of `pids` every `every` seconds in a thread: the largest seen per process."""

    def __init__(self, pids: list[int], every: float = 0.002) -> None:
        self.pids, self.every = pids, every
        self.peak = {pid: _status_kib(pid, "VmRSS") for pid in pids}
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for pid in self.pids:
                try:
                    self.peak[pid] = max(self.peak[pid], _status_kib(pid, "VmRSS"))
                except (OSError, KeyError):
                    continue
            self.samples += 1
            time.sleep(self.every)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass(frozen=True)
class Download:
    rows: int
    seconds: float
    first_byte_s: float
    mib: float  # bytes received
    growth_hwm_mib: float | None  # from VmHWM (None where clear_refs was refused)
    growth_sampled_mib: float
    samples: int
    processes: int  # mentorhub serve's processes watched
    cpu_app_s: float
    cpu_db_s: float


def download_csv(port: int, path: str, cookie: str, data_dir: Path) -> Download:
    """One download of the streamed CSV, its rows counted as they arrive (a CSV reader over
    the response, so a quoted line break in a free-text answer is not a row)."""
    pids = server_pids(port)
    hwm = all([_reset_peak(pid) for pid in pids])
    before = {pid: _status_kib(pid, "VmRSS") for pid in pids}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    counter = _Counting()
    server, database = _server(port), _database(data_dir)
    used, used_db = _cpu_seconds(server), _cpu_seconds(database)
    with RssSampler(pids) as sampler:
        start = time.perf_counter()
        connection.request("GET", path, headers={"Cookie": cookie})
        response = connection.getresponse()
        if response.status != 200:
            raise RuntimeError(f"{path}: answered {response.status}")
        first = time.perf_counter() - start
        reader = csv.reader(
            io.TextIOWrapper(counter.wrap(response), encoding="utf-8-sig", newline="")
        )
        rows = sum(1 for _ in reader) - 1  # the header
        took = time.perf_counter() - start
    connection.close()
    growth_hwm = None
    if hwm:
        growth_hwm = max(_status_kib(pid, "VmHWM") - before[pid] for pid in pids) / 1024
    growth_sampled = max(sampler.peak[pid] - before[pid] for pid in pids) / 1024
    return Download(
        rows,
        took,
        first,
        counter.bytes / 2**20,
        growth_hwm,
        growth_sampled,
        sampler.samples,
        len(pids),
        _cpu_seconds(server) - used,
        _cpu_seconds(database) - used_db,
    )


class _Counting(io.RawIOBase):
    """A raw stream over the HTTP response that counts the bytes read through it."""

    def __init__(self) -> None:
        self.bytes = 0
        self._response: http.client.HTTPResponse | None = None

    def wrap(self, response: http.client.HTTPResponse) -> io.BufferedReader:
        self._response = response
        return io.BufferedReader(self, buffer_size=65536)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        assert self._response is not None
        chunk = self._response.read1(len(buffer))
        buffer[: len(chunk)] = chunk
        self.bytes += len(chunk)
        return len(chunk)


# --- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tenants", type=int, default=Sizes.tenants)
    parser.add_argument("--members", type=int, default=Sizes.members)
    parser.add_argument("--pairs", type=int, default=Sizes.pairs)
    parser.add_argument("--cohort-pairs", type=int, default=3_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10, help="of each wrk run")
    parser.add_argument("--clients", type=int, default=10, help="concurrent cockpit clients")
    parser.add_argument("--report-requests", type=int, default=10, help="per round")
    parser.add_argument("--workers", type=int, default=2, help="for mentorhub serve")
    parser.add_argument(
        "--filtered",
        default="?flag=overdue&sort=meetings&order=desc",
        help="the filtered and sorted cockpit's query string",
    )
    parser.add_argument(
        "--custom-plans",
        action="store_true",
        help="diagnosis, not production: the app's role plans every statement with its"
        " values (plan_cache_mode = force_custom_plan), to tell a generic plan's cost from"
        " the page's own",
    )
    args = parser.parse_args()
    n = Sizes(args.tenants, args.members, args.pairs)
    print(f"load average at the start: {os.getloadavg()} on {os.cpu_count()} cores", flush=True)
    secret = secrets.token_urlsafe(40)
    with bench_services(MENTORHUB_SECRET_KEY=secret, MENTORHUB_PATH_PREFIX_TENANTS="true") as bench:
        cohort = asyncio.run(_set_up(bench.owner_url, bench.redis_url, n, args.cohort_pairs))
        cookie = asyncio.run(coordinator_cookie(bench.redis_url, cohort))
        if args.custom_plans:
            asyncio.run(_custom_plans(bench.owner_url))
        script = Path(tempfile.mkdtemp(prefix="mentorhub-consoles-")) / "report.lua"
        script.write_text(LUA)
        port = free_port()
        with serving(port, args.workers, serve_env(bench, secret)):
            figures(port, bench.data_dir, script, cohort, cookie, args)


def figures(
    port: int,
    data_dir: Path,
    script: Path,
    cohort: Cohort,
    cookie: str,
    args: argparse.Namespace,
) -> None:
    base = f"/t/{COHORT_SLUG}/coordinator"
    cockpit = f"{base}/cockpit/{cohort.cohort_id}"
    report = f"{base}/reports/{cohort.cohort_id}"
    responses = f"{report}/responses.csv"
    filtered = cockpit + args.filtered
    missing: dict[str, str] = {}
    for name, path in (
        ("cockpit", cockpit),
        ("cockpit, filtered and sorted", filtered),
        ("report", report),
    ):
        why = probe(port, path, cookie)
        if why is not None:
            missing[name] = f"{path} {why}"
            print(f"  NOT MEASURED: {name}: {path} {why}", flush=True)
    pairs = f"{cohort.pairs:,}-pair cohort"

    # 1. the cockpit under concurrent clients (wrk)
    targets = [
        Target(f"cockpit ({pairs})", cockpit, cookie, (1, args.clients), COCKPIT_GOAL_MS, 1),
        Target(
            f"cockpit {args.filtered}",
            filtered,
            cookie,
            (1, args.clients),
            COCKPIT_GOAL_MS,
            1,
        ),
    ]
    targets = [
        t
        for t, key in zip(targets, ("cockpit", "cockpit, filtered and sorted"), strict=True)
        if key not in missing
    ]
    samples: dict[tuple[str, int], list[Figure]] = {}
    cpu: CPU = {}
    if targets:
        print("1. the cockpit (wrk):", flush=True)
        try:
            samples, cpu = cockpit_figures(port, data_dir, targets, args, script)
        except (RuntimeError, subprocess.CalledProcessError) as error:
            for t in targets:
                missing[t.name] = f"failed under load: {error}"
            print(f"  FAILED: {error}", flush=True)
            targets = []

    # 2. the report, requests one after another
    report_rounds: list[Timed] = []
    report_all: list[float] = []
    if "report" not in missing:
        print("2. the evaluation report (sequential requests):", flush=True)
        try:
            report_figures(port, report, cookie, data_dir, args, report_rounds, report_all)
        except (RuntimeError, OSError, http.client.HTTPException) as error:
            missing["report"] = f"failed: {error}"
            print(f"  FAILED: {error}", flush=True)

    # 3. the responses CSV, streamed
    downloads: list[Download] = []
    if "responses.csv" not in missing:
        print("3. the responses CSV (streamed):", flush=True)
        try:
            csv_figures(port, responses, cookie, data_dir, args, downloads)
        except (RuntimeError, OSError, http.client.HTTPException) as error:
            missing["responses.csv"] = f"failed: {error}"
            print(f"  FAILED: {error}", flush=True)

    summary(cohort, args, targets, samples, cpu, report_rounds, report_all, downloads, missing)


def warm(port: int, path: str, cookie: str, tries: int = 6) -> None:
    """GET `path` until it has answered 200 twice (a first request may meet a cold cache,
    or a statement timeout on a machine loaded by others); fails after `tries`."""
    good = 0
    for _ in range(tries):
        status, _ = get(port, path, cookie)
        good = good + 1 if status == 200 else 0
        if good == 2:
            return
    raise RuntimeError(f"{path}: no two answers 200 in a row in {tries} tries")


def settle(port: int, data_dir: Path, limit: float = 120) -> None:
    """Wait until the server and PostgreSQL are idle (under 5 % of a core over half a
    second): requests a wrk run left queued when it stopped are not counted in the next."""
    server, database = _server(port), _database(data_dir)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        used = _cpu_seconds(server) + _cpu_seconds(database)
        time.sleep(0.5)
        if _cpu_seconds(server) + _cpu_seconds(database) - used < 0.025:
            return


def cockpit_figures(
    port: int, data_dir: Path, targets: list[Target], args: argparse.Namespace, script: Path
) -> tuple[dict[tuple[str, int], list[Figure]], CPU]:
    """Each round: every target at each client count, one wrk run of `--seconds` after the
    machine settled, with the CPU a request cost in the server's processes and in
    PostgreSQL's (`benchmarks.pairs.wrk` and `_cpu_seconds`): from the run's start until
    both are idle again, over the requests completed plus the one left in flight on each
    connection."""
    base = f"http://127.0.0.1:{port}"
    server, database = _server(port), _database(data_dir)
    for t in targets:  # warm the templates and the plans, one client
        warm(port, t.path, t.cookie or "")
    samples: dict[tuple[str, int], list[Figure]] = {}
    cpu: CPU = {}
    for number in range(1, args.rounds + 1):
        line = []
        before = os.getloadavg()[0]
        for t in targets:
            for c in t.connections:
                settle(port, data_dir)
                used, used_db = _cpu_seconds(server), _cpu_seconds(database)
                f = wrk(base + t.path, c, args.seconds, script, t.cookie)
                # wrk stops with a request in flight on each connection: the server still
                # serves those c, so the CPU is counted until it is idle, over N + c.
                settle(port, data_dir)
                requests = f.rps * args.seconds + c
                per = (_cpu_seconds(server) - used) * 1000 / requests
                per_db = (_cpu_seconds(database) - used_db) * 1000 / requests
                samples.setdefault((t.name, c), []).append(f)
                cpu.setdefault((t.name, c), []).append((per, per_db))
                line.append(
                    f"{t.name} @{c}: p50 {f.p50:.0f} p95 {f.p95:.0f} ms, {f.rps:,.1f}/s,"
                    f" CPU per request: server {per:.0f} ms, PostgreSQL {per_db:.0f} ms"
                )
        print_round(number, line, before)
    return samples, cpu


def report_figures(
    port: int,
    path: str,
    cookie: str,
    data_dir: Path,
    args: argparse.Namespace,
    rounds: list[Timed],
    every: list[float],
) -> None:
    sequential(port, path, cookie, 2, data_dir)  # warm: templates, plans, pools
    for number in range(1, args.rounds + 1):
        before = os.getloadavg()[0]
        timed, took = sequential(port, path, cookie, args.report_requests, data_dir)
        rounds.append(timed)
        every += took
        print(
            f"  round {number}: median {timed.p50_ms:.0f} ms, p95 {timed.p95_ms:.0f} ms"
            f" over {args.report_requests} requests; CPU per request: server"
            f" {timed.cpu_app_ms:.0f} ms, PostgreSQL {timed.cpu_db_ms:.0f} ms"
            f" (load average {before:.1f} → {os.getloadavg()[0]:.1f})",
            flush=True,
        )


def csv_figures(
    port: int,
    path: str,
    cookie: str,
    data_dir: Path,
    args: argparse.Namespace,
    downloads: list[Download],
) -> None:
    # No warm-up: the first download is measured too (the largest growth is the one that
    # counts; a warm process could hide growth in memory kept from an earlier download).
    for number in range(1, args.rounds + 1):
        before = os.getloadavg()[0]
        d = download_csv(port, path, cookie, data_dir)
        downloads.append(d)
        hwm = "refused" if d.growth_hwm_mib is None else f"{d.growth_hwm_mib:.1f} MiB"
        print(
            f"  round {number}: {d.rows:,} rows, {d.mib:.1f} MiB in {d.seconds:.2f} s"
            f" ({d.rows / d.seconds:,.0f} rows/s, first byte {d.first_byte_s * 1000:.0f} ms);"
            f" peak RSS growth: VmHWM {hwm}, sampled {d.growth_sampled_mib:.1f} MiB"
            f" ({d.samples:,} samples of {d.processes} processes); CPU: server"
            f" {d.cpu_app_s:.1f} s, PostgreSQL {d.cpu_db_s:.1f} s"
            f" (load average {before:.1f} → {os.getloadavg()[0]:.1f})",
            flush=True,
        )


def _verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def summary(
    cohort: Cohort,
    args: argparse.Namespace,
    targets: list[Target],
    samples: dict[tuple[str, int], list[Figure]],
    cpu: CPU,
    report_rounds: list[Timed],
    report_all: list[float],
    downloads: list[Download],
    missing: dict[str, str],
) -> None:
    print()
    print(
        f"the consoles, {args.tenants:,} tenants, {args.members:,} members, {args.pairs:,} pairs"
        f" + a Museums Association cohort of {cohort.pairs:,} pairs (medians of {args.rounds}"
        f" round(s); mentorhub serve --workers {args.workers}; CPU ms per request in its"
        " processes and in PostgreSQL's)"
        + (
            "; DIAGNOSIS RUN: plan_cache_mode = force_custom_plan for the app's role"
            if args.custom_plans
            else ""
        )
    )
    if targets:
        header = (
            f"{'cockpit page':<48} {'clients':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
            f" {'req/s':>7} {'CPU app':>8} {'CPU db':>7}"
        )
        print(header)
        print("-" * len(header))
        for t in targets:
            for c in t.connections:
                f, per, per_db = medians(samples, cpu, (t.name, c))
                print(
                    f"{t.name:<48} {c:>7} {f.p50:>8.1f} {f.p95:>8.1f} {f.p99:>8.1f}"
                    f" {f.rps:>7.1f} {per:>8.1f} {per_db:>7.1f}"
                )
        for t in targets:
            for c in t.connections:
                f = median_figure(samples[(t.name, c)])
                print(
                    f"  {t.name} @{c}: p95 {f.p95:.0f} ms, goal ≤ {COCKPIT_GOAL_MS:.0f} ms:"
                    f" {_verdict(f.p95 <= COCKPIT_GOAL_MS)}"
                )
    if report_rounds:
        p50 = statistics.median(r.p50_ms for r in report_rounds)
        p95_ = statistics.median(r.p95_ms for r in report_rounds)
        app = statistics.median(r.cpu_app_ms for r in report_rounds)
        db = statistics.median(r.cpu_db_ms for r in report_rounds)
        print(
            f"report ({cohort.pairs:,} pairs), {args.report_requests} sequential requests a"
            f" round: median {p50:.0f} ms, p95 {p95_:.0f} ms (all {len(report_all)} requests:"
            f" p95 {p95(report_all):.0f} ms); CPU per request: server {app:.0f} ms,"
            f" PostgreSQL {db:.0f} ms"
        )
        print(
            f"  report: median {p50 / 1000:.2f} s, goal ≤ {REPORT_GOAL_S:g} s:"
            f" {_verdict(p50 / 1000 <= REPORT_GOAL_S)}; p95 {p95_ / 1000:.2f} s:"
            f" {_verdict(p95_ / 1000 <= REPORT_GOAL_S)}"
        )
    if downloads:
        rows = int(statistics.median(d.rows for d in downloads))
        took = statistics.median(d.seconds for d in downloads)
        sampled = statistics.median(d.growth_sampled_mib for d in downloads)
        hwms = [d.growth_hwm_mib for d in downloads if d.growth_hwm_mib is not None]
        growth = statistics.median(hwms) if hwms else sampled
        print(
            f"responses.csv: {rows:,} rows, {statistics.median(d.mib for d in downloads):.1f}"
            f" MiB in {took:.2f} s ({rows / took:,.0f} rows/s); peak RSS growth of the serving"
            f" process {growth:.1f} MiB ({'VmHWM' if hwms else 'sampled'}; sampled every 2 ms:"
            f" {sampled:.1f} MiB)"
        )
        print(
            f"  responses.csv: {rows:,} rows, ≥ {CSV_ROWS_WANTED:,} wanted:"
            f" {_verdict(rows >= CSV_ROWS_WANTED)}; peak RSS growth {growth:.1f} MiB, goal"
            f" ≤ {CSV_GROWTH_GOAL_MIB:.0f} MiB: {_verdict(growth <= CSV_GROWTH_GOAL_MIB)}"
        )
    for name, why in missing.items():
        print(f"  NOT MEASURED: {name}: {why}")
    print(f"load average at the end: {os.getloadavg()}; peak memory {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
