"""Matching flows' figures (issue 14), in one run on the embedded PostgreSQL and Redis:

(a) **The mentee's suggestion page**, `GET /t/ahep/matching/suggestions`, requested through
    the real app (httpx against the ASGI app: session cookie, guard, the request's read-only
    transaction, `suggest_flow.suggestions_for`, template) signed in as AHEP mentees, against
    10,000 accepted mentors and 3,000 mentees of one AHEP cohort stored in PostgreSQL (2,000
    live pairs, so a third of those mentors are full; 500 mentors unavailable). Server time
    (an ASGI wrapper's clock around the app: from the request's arrival to the response's last
    byte) p50/p95, goal p95 ≤ 50 ms. The scheme's score table is cached in the process: the
    *cold* request builds it from the database (`suggest_flow.forget_tables()` first), the
    *warm* ones find it (its stamp checked again at most every `STAMP_TTL` seconds). Beside
    it: the suggestion query alone (`suggestions_for`), the engine alone
    (`matching.suggest.suggest` on the cached table) and this process's CPU per request.
(b) **A cohort run**: 3,000 mentees × 1,000 mentors (capacity 3) of a Museums Association
    cohort, from the database to a stored draft (`matching.services.compute_run`, the
    coordinator's Run action), goal ≤ 3 s; beside it the CLI engine's own figure for the
    same input (`matching.cohort.assign_cohort` on the `Instance` `build_input` builds) and
    the reading and building alone.
(c) **Publishing** that run (`matching.services.publish_run`): the fingerprint re-checked,
    3,000 pairs made, 6,000 `match_made` messages with their outbox rows, one transaction,
    goal ≤ 5 s. Each round uses a fresh cohort (publishing uses one up).

The data is bulk-loaded with executemany INSERTs (SQLAlchemy Core `insert(table)` with a list
of rows: members, applications, mentor capacities, the AHEP pairs), not through the actions:
thousands of rows through one action each would measure the loading, not the figures. The
five reference tenants are loaded as the product loads them. After loading, VACUUM ANALYZE.

Every figure is printed per round with the machine's load average (1 minute) before → after
it (this machine has 2 cores and is shared: wall time under load is mostly waiting; the
process's CPU per request is the load-independent part), then the median of the rounds.
`--profile` times the page's parts and profiles the first cohort round.
`uv run python -m benchmarks.matching_flows [--quick] [--runs N] [--requests N] [--profile]`
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import functools
import os
import random
import secrets
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, insert, select, text

from benchmarks._services import bench_services
from benchmarks.applications import peak_rss_mb, print_profile
from mentorhub.app import create_app
from mentorhub.applications.models import Application, Cohort
from mentorhub.db import Database
from mentorhub.db.session import Timeouts
from mentorhub.identity.models import Member, Role
from mentorhub.identity.sessions import TENANT_COOKIE, Identity
from mentorhub.matching import services, suggest_flow
from mentorhub.matching.cohort import assign_cohort
from mentorhub.matching.models import MentorCapacity
from mentorhub.matching.suggest import suggest
from mentorhub.matching.vector import keep_freed_memory
from mentorhub.messages.models import Message
from mentorhub.pairs.models import Pair
from mentorhub.schemes import forms
from mentorhub.schemes.services import current_scheme
from mentorhub.settings import get_settings
from mentorhub.tenancy.loading import load_tenants
from tests.support import serving

BASE = "http://localhost"
PAGE_GOAL_MS = 50.0
COMPUTE_GOAL_S = 3.0
PUBLISH_GOAL_S = 5.0


@dataclass(frozen=True)
class Sizes:
    mentors: int = 10_000
    mentees: int = 3_000
    pairs: int = 2_000
    unavailable: int = 500
    cohort_mentees: int = 3_000
    cohort_mentors: int = 1_000
    capacity: int = 3
    requests: int = 300
    signed_in: int = 200  # mentees with a session; the requests go round them


QUICK = Sizes(
    mentors=1_000,
    mentees=300,
    pairs=200,
    unavailable=50,
    cohort_mentees=300,
    cohort_mentors=100,
    requests=40,
    signed_in=20,
)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) > 1 else values[0]


def load_now() -> float:
    return os.getloadavg()[0]


def _options(form: forms.Form | None, question: str) -> list[str]:
    assert form is not None
    return list(next(q for q in form.questions if q.id == question).options)


async def _vacuum(owner: Database) -> None:
    async with owner.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM (ANALYZE)"))


async def _cohort(db: Database, tenant_id: uuid.UUID, name: str) -> tuple[Cohort, Any]:
    async with db.tenant(tenant_id) as s:
        scheme = await current_scheme(s)
        assert scheme is not None
        cohort = Cohort(
            tenant_id=tenant_id,
            id=uuid.uuid4(),
            name=name,
            starts_on=date(2027, 1, 1),
            ends_on=date(2027, 12, 31),
            scheme_version=scheme.version,
        )
        s.add(cohort)
    return cohort, scheme


# --- (a) the suggestion page ------------------------------------------------------------------


@dataclass
class Ahep:
    tenant_id: uuid.UUID
    slug: str
    cohort: Cohort
    free: list[tuple[uuid.UUID, str]]  # mentees without a pair: (member id, display name)


async def load_ahep(owner: Database, db: Database, tenant_id: uuid.UUID, n: Sizes) -> Ahep:
    rng = random.Random(14)
    cohort, scheme = await _cohort(db, tenant_id, "Benchmark intake")
    areas = _options(forms.form_for(scheme, "mentee"), "support_areas")
    members: list[dict[str, Any]] = []
    apps: list[dict[str, Any]] = []
    caps: list[dict[str, Any]] = []
    mentors: list[tuple[uuid.UUID, uuid.UUID]] = []
    mentees: list[tuple[uuid.UUID, uuid.UUID, str]] = []
    for role, count in (("mentor", n.mentors), ("mentee", n.mentees)):
        for i in range(count):
            member_id, app_id = uuid.uuid4(), uuid.uuid4()
            name = f"{role.title()} {i:05d}"
            members.append(
                {
                    "tenant_id": tenant_id,
                    "id": member_id,
                    "email": f"{role}{i}@bench.example.org",
                    "display_name": name,
                    "roles": [role],
                }
            )
            if role == "mentor":
                places = rng.randint(1, 3)
                answers: dict[str, Any] = {
                    "job_title": f"Head of department {i}",
                    "biography": "Twenty years in higher education. " * 5,
                    "capacity": places,
                    "support_areas": rng.sample(areas, rng.randint(1, 4)),
                    "developing_others": "Line management and coaching.",
                    "membership": True,
                }
                mentors.append((member_id, app_id))
                away = n.pairs <= i < n.pairs + n.unavailable
                caps.append(
                    {
                        "tenant_id": tenant_id,
                        "id": uuid.uuid4(),
                        "cohort_id": cohort.id,
                        "mentor_id": member_id,
                        "application_id": app_id,
                        "capacity": places,
                        "source": "declared",
                        "unavailable": away,
                        "unavailable_reason": "holiday" if away else None,
                    }
                )
            else:
                answers = {
                    "support_areas": rng.sample(areas, rng.randint(1, 3)),
                    "reasons": "I would like help with my next step.",
                    "job_title": "Officer",
                    "membership": True,
                }
                mentees.append((member_id, app_id, name))
            apps.append(
                {
                    "tenant_id": tenant_id,
                    "id": app_id,
                    "cohort_id": cohort.id,
                    "member_id": member_id,
                    "role": role,
                    "state": "accepted",
                    "answers": answers,
                    "lock_version": 1,
                }
            )
    pairs = [
        {
            "tenant_id": tenant_id,
            "id": uuid.uuid4(),
            "cohort_id": cohort.id,
            "scheme_version": cohort.scheme_version,
            "mentor_id": mentors[i][0],
            "mentee_id": mentees[i][0],
            "mentor_application_id": mentors[i][1],
            "mentee_application_id": mentees[i][1],
            "matched_on": date(2027, 1, 15),
            "flow": "suggest_and_accept",
            "explanation": [],
            "state": "active",
            "extensions": [],
            "lock_version": 0,
        }
        for i in range(n.pairs)
    ]
    async with db.tenant(tenant_id) as s:
        await s.execute(insert(Member), members)
        await s.execute(insert(Application), apps)
        await s.execute(insert(MentorCapacity), caps)
        await s.execute(insert(Pair.__table__), pairs)  # type: ignore[arg-type]
    return Ahep(tenant_id, "ahep", cohort, [(m, name) for m, _, name in mentees[n.pairs :]])


class ServerClock:
    """An ASGI wrapper that times each HTTP request inside the app (server time)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.last_ms = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.last_ms = (time.perf_counter() - started) * 1000


@dataclass
class PageRound:
    cold_ms: float
    warm: list[float]
    cpu: list[float]
    query: list[float]
    engine: list[float]
    load_before: float
    load_after: float
    builds: int


#: What the suggestion page calls in `suggest_flow` (looked up on the module at call time).
PARTS = (
    "suggestions_for",
    "request_status",
    "_mentee_state",
    "_suggest",
    "mentor_table",
    "_exclusions",
)


@contextlib.contextmanager
def timed_parts(spent: dict[str, list[float]]) -> Iterator[None]:
    """Time each of PARTS per call (milliseconds) for the block, by wrapping the module's
    functions; restored after. Measurement only: the flow's code is not changed."""
    saved = {name: getattr(suggest_flow, name) for name in PARTS}

    def wrap(name: str, f: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(f)
        async def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return await f(*args, **kwargs)
            finally:
                spent.setdefault(name, []).append((time.perf_counter() - t0) * 1000)

        return timed

    for name, f in saved.items():
        setattr(suggest_flow, name, wrap(name, f))
    try:
        yield
    finally:
        for name, f in saved.items():
            setattr(suggest_flow, name, f)


async def page_rounds(
    db: Database, data: Ahep, n: Sizes, runs: int, profile: bool = False
) -> list[PageRound]:
    routing = create_app(get_settings(), db=db)
    clock = ServerClock(routing)
    rng = random.Random(7)
    out: list[PageRound] = []
    path = f"/t/{data.slug}/matching/suggestions"
    async with serving(clock, base_url=BASE) as client:
        state = routing.app.state  # type: ignore[attr-defined]
        people = rng.sample(data.free, min(n.signed_in, len(data.free)))
        sessions: list[tuple[uuid.UUID, str]] = []
        for member_id, name in people:
            token = await state.sessions.create(
                Identity(
                    email=f"{name.lower().replace(' ', '')}@bench.example.org",
                    display_name=name,
                    tenant_id=str(data.tenant_id),
                    tenant_slug=data.slug,
                    member_id=str(member_id),
                    roles=("mentee",),
                )
            )
            sessions.append((member_id, token))

        async def get(token: str) -> tuple[float, float]:
            busy = time.process_time()
            response = await client.get(path, headers={"cookie": f"{TENANT_COOKIE}={token}"})
            cpu = (time.process_time() - busy) * 1000
            assert response.status_code == 200, (response.status_code, response.text[:300])
            assert 'name="choice_1"' in response.text, response.text[:2000]
            return clock.last_ms, cpu

        for run in range(runs):
            before = load_now()
            suggest_flow.forget_tables()
            builds = suggest_flow.cache_stats()["builds"]
            cold, _ = await get(sessions[0][1])
            warm: list[float] = []
            cpu: list[float] = []
            spent: dict[str, list[float]] = {}
            with timed_parts(spent) if profile and run == 0 else contextlib.nullcontext():
                for i in range(n.requests):
                    ms, c = await get(sessions[i % len(sessions)][1])
                    warm.append(ms)
                    cpu.append(c)
            if spent:
                print("  where a warm page's server time goes (per call, round 1):")
                print(f"    the page: p50 {statistics.median(warm):.1f} ms, p95 {p95(warm):.1f} ms")
                for name in PARTS:
                    if name in spent:
                        v = spent[name]
                        print(
                            f"    suggest_flow.{name}: {len(v)} calls, p50"
                            f" {statistics.median(v):.1f} ms, p95 {p95(v):.1f} ms,"
                            f" max {max(v):.1f} ms"
                        )
            query: list[float] = []
            engine: list[float] = []
            table = suggest_flow._TABLES[(data.tenant_id, data.cohort.id)]
            for member_id, _ in sessions:
                t0 = time.perf_counter()
                page = await suggest_flow.suggestions_for(db, data.tenant_id, member_id)
                query.append((time.perf_counter() - t0) * 1000)
                assert len(page.suggestions) == 3, page.note
                app_id, _ = table.mentee_row[member_id]
                t0 = time.perf_counter()
                suggest(table.instance, str(app_id), top=3, table=table.table)
                engine.append((time.perf_counter() - t0) * 1000)
            r = PageRound(
                cold,
                warm,
                cpu,
                query,
                engine,
                before,
                load_now(),
                suggest_flow.cache_stats()["builds"] - builds,
            )
            out.append(r)
            print(
                f"  page round {run + 1}: cold {r.cold_ms:.0f} ms (table built);"
                f" warm p50 {statistics.median(warm):.1f} ms, p95 {p95(warm):.1f} ms"
                f" ({len(warm)} requests, {len(sessions)} mentees; goal p95 ≤ {PAGE_GOAL_MS:.0f});"
                f" this process's CPU per request p50 {statistics.median(cpu):.1f} ms;"
                f" suggestions_for alone p50 {statistics.median(query):.1f} ms,"
                f" p95 {p95(query):.1f} ms; engine alone p50 {statistics.median(engine):.2f} ms;"
                f" table builds {r.builds}; load average {before:.1f} → {r.load_after:.1f}",
                flush=True,
            )
    return out


async def page_parts(db: Database, data: Ahep, requests: int) -> None:
    """Where a warm suggestion query's time goes: each statement's share, by profiling the
    query alone (the page adds the session, the guard, the template)."""
    members = [m for m, _ in data.free[:requests]]
    await suggest_flow.suggestions_for(db, data.tenant_id, members[0])
    profiler = cProfile.Profile()
    t0 = time.perf_counter()
    profiler.enable()
    for m in members:
        await suggest_flow.suggestions_for(db, data.tenant_id, m)
    profiler.disable()
    took = (time.perf_counter() - t0) * 1000 / len(members)
    print(f"  where a warm suggestions_for call goes ({took:.1f} ms each under the profiler):")
    print_profile(profiler)


# --- (b), (c) a cohort run and its publication ------------------------------------------------


async def load_ma_cohort(db: Database, tenant_id: uuid.UUID, number: int, n: Sizes) -> Cohort:
    rng = random.Random(number)
    cohort, scheme = await _cohort(db, tenant_id, f"Benchmark intake {number}")
    mentee_form, mentor_form = forms.form_for(scheme, "mentee"), forms.form_for(scheme, "mentor")
    needs = _options(mentee_form, "development_needs")
    regions = _options(mentee_form, "region")
    supports = _options(mentor_form, "can_support")
    members: list[dict[str, Any]] = []
    apps: list[dict[str, Any]] = []
    caps: list[dict[str, Any]] = []
    for role, count in (("mentee", n.cohort_mentees), ("mentor", n.cohort_mentors)):
        for i in range(count):
            member_id, app_id = uuid.uuid4(), uuid.uuid4()
            members.append(
                {
                    "tenant_id": tenant_id,
                    "id": member_id,
                    "email": f"{role}{i}.{number}@bench.example.org",
                    "display_name": f"{role.title()} {number}-{i:05d}",
                    "roles": [role],
                }
            )
            if role == "mentee":
                answers: dict[str, Any] = {
                    "development_needs": rng.sample(needs, rng.randint(1, 3)),
                    "region": rng.choice(regions),
                }
            else:
                answers = {
                    "can_support": rng.sample(supports, rng.randint(2, 4)),
                    "region": rng.choice(regions),
                }
                caps.append(
                    {
                        "tenant_id": tenant_id,
                        "id": uuid.uuid4(),
                        "cohort_id": cohort.id,
                        "mentor_id": member_id,
                        "application_id": app_id,
                        "capacity": n.capacity,
                        "source": "coordinator",
                    }
                )
            apps.append(
                {
                    "tenant_id": tenant_id,
                    "id": app_id,
                    "cohort_id": cohort.id,
                    "member_id": member_id,
                    "role": role,
                    "state": "accepted",
                    "answers": answers,
                    "lock_version": 1,
                }
            )
    async with db.tenant(tenant_id) as s:
        await s.execute(insert(Member), members)
        await s.execute(insert(Application), apps)
        await s.execute(insert(MentorCapacity), caps)
    return cohort


@dataclass
class CohortRound:
    build: float
    engine: float
    compute: float
    publish: float
    pairs: int
    unmatched: int
    messages: int
    loads: tuple[float, float, float, float]  # before compute, after, before publish, after
    #: This process's CPU seconds (what the figure costs with the machine to itself, less
    #: PostgreSQL's own work): build_input, engine, compute_run, publish_run.
    cpu: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)


async def cohort_round(
    owner: Database,
    db: Database,
    tenant_id: uuid.UUID,
    coordinator: uuid.UUID,
    number: int,
    n: Sizes,
    profile: bool,
) -> CohortRound:
    cohort = await load_ma_cohort(db, tenant_id, number, n)
    await _vacuum(owner)
    cpus: list[float] = []
    async with db.tenant(tenant_id, read_only=True) as s:
        t0, c0 = time.perf_counter(), time.process_time()
        ci = await services.build_input(s, cohort)
        build = time.perf_counter() - t0
        cpus.append(time.process_time() - c0)
    t0, c0 = time.perf_counter(), time.process_time()
    result = assign_cohort(ci.instance)
    engine = time.perf_counter() - t0
    cpus.append(time.process_time() - c0)

    async def timed(work: Callable[[], Awaitable[Any]], label: str) -> tuple[Any, float]:
        profiler = cProfile.Profile() if profile else None
        t0, c0 = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        done = await work()
        if profiler is not None:
            profiler.disable()
        took = time.perf_counter() - t0
        cpus.append(time.process_time() - c0)
        if profiler is not None:
            print(f"  where {label}'s time goes ({took:.2f} s under the profiler):")
            print_profile(profiler)
        return done, took

    l0 = load_now()
    run, compute = await timed(
        lambda: services.compute_run(db, tenant_id, coordinator, cohort.id), "compute_run"
    )
    l1 = load_now()
    assert run.pairs_count == len(result.pairs), (run.pairs_count, len(result.pairs))
    l2 = load_now()
    _, publish = await timed(
        lambda: services.publish_run(db, tenant_id, coordinator, run.id), "publish_run"
    )
    l3 = load_now()
    async with db.tenant(tenant_id, read_only=True) as s:
        pairs = (
            await s.execute(
                select(func.count()).select_from(Pair).where(Pair.cohort_id == cohort.id)
            )
        ).scalar_one()
        messages = (
            await s.execute(
                select(func.count())
                .select_from(Message)
                .where(
                    Message.kind == "match_made",
                    Message.context["cohort"].astext == cohort.name,
                )
            )
        ).scalar_one()
    assert pairs == run.pairs_count, (pairs, run.pairs_count)
    return CohortRound(
        build,
        engine,
        compute,
        publish,
        pairs,
        run.unmatched_count,
        messages,
        (l0, l1, l2, l3),
        (cpus[0], cpus[1], cpus[2], cpus[3]),
    )


# --- main ---------------------------------------------------------------------------------------


def _list(values: list[float], unit: str, digits: int = 1) -> str:
    return ", ".join(f"{v:.{digits}f}" for v in values) + f" {unit}"


async def figures(
    app_url: str, owner_url: str, n: Sizes, runs: int, profile: bool, only: str | None
) -> None:
    keep_freed_memory()
    owner = Database.connect(
        owner_url, pool_size=1, timeouts=Timeouts(statement=1800, idle_in_transaction=1800)
    )
    loader = Database.connect(app_url, pool_size=1, timeouts=Timeouts(statement=600))
    db = Database.connect(app_url, pool_size=4)
    print(f"load average at the start: {os.getloadavg()} on {os.cpu_count()} cores", flush=True)
    try:
        tenants = {t.slug: t for t in await load_tenants(owner, get_settings().tenants_dir)}
        if only in (None, "page"):
            t0 = time.perf_counter()
            data = await load_ahep(owner, loader, tenants["ahep"].id, n)
            await _vacuum(owner)
            print(
                f"loaded AHEP: {n.mentors:,} mentors, {n.mentees:,} mentees, {n.pairs:,} pairs,"
                f" {n.unavailable} unavailable (executemany INSERTs, not the actions)"
                f" in {time.perf_counter() - t0:.1f} s",
                flush=True,
            )
            rounds = await page_rounds(db, data, n, runs, profile)
            if profile:
                await page_parts(db, data, min(100, len(data.free)))
            colds = [r.cold_ms for r in rounds]
            p50s = [statistics.median(r.warm) for r in rounds]
            p95s = [p95(r.warm) for r in rounds]
            cpus = [statistics.median(r.cpu) for r in rounds]
            q95s = [p95(r.query) for r in rounds]
            engines = [statistics.median(r.engine) for r in rounds]
            print(
                f"(a) suggestion page through the app, signed-in AHEP mentee, {n.mentors:,}"
                f" mentors in PostgreSQL ({runs} rounds):"
            )
            print(
                f"    cold (score table built): median {statistics.median(colds):.0f} ms"
                f"  ({_list(colds, 'ms', 0)})"
            )
            print(
                f"    warm: p50 median {statistics.median(p50s):.1f} ms ({_list(p50s, 'ms')});"
                f" p95 median {statistics.median(p95s):.1f} ms ({_list(p95s, 'ms')})"
                f"  goal p95 ≤ {PAGE_GOAL_MS:.0f} ms:"
                f" {'meets' if statistics.median(p95s) <= PAGE_GOAL_MS else 'MISSES'}"
            )
            print(
                f"    CPU of this process per request p50: {_list(cpus, 'ms')};"
                f" suggestions_for alone p95: {_list(q95s, 'ms')};"
                f" engine alone p50: {_list(engines, 'ms', 2)}"
            )
            print(
                "    load average per round: "
                + "; ".join(f"{r.load_before:.1f} → {r.load_after:.1f}" for r in rounds)
            )
        if only in (None, "cohort"):
            tenant_id = tenants["museums-association"].id
            coordinator = uuid.uuid4()
            async with db.tenant(tenant_id) as s:
                s.add(
                    Member(
                        tenant_id=tenant_id,
                        id=coordinator,
                        email="coordinator@bench.example.org",
                        display_name="Coordinator",
                        roles=[Role.COORDINATOR],
                    )
                )
            results: list[CohortRound] = []
            for number in range(1, runs + 1):
                r = await cohort_round(
                    owner, loader, tenant_id, coordinator, number, n, profile and number == 1
                )
                results.append(r)
                la = r.loads
                print(
                    f"  cohort round {number}: build_input {r.build:.2f} s, engine (CLI)"
                    f" {r.engine:.2f} s, compute_run {r.compute:.2f} s ({r.pairs} pairs,"
                    f" {r.unmatched} unmatched; load {la[0]:.1f} → {la[1]:.1f});"
                    f" publish_run {r.publish:.2f} s ({r.pairs} pairs, {r.messages} match_made"
                    f" messages; load {la[2]:.1f} → {la[3]:.1f}); this process's CPU: build"
                    f" {r.cpu[0]:.2f} s, engine {r.cpu[1]:.2f} s, compute_run {r.cpu[2]:.2f} s,"
                    f" publish_run {r.cpu[3]:.2f} s",
                    flush=True,
                )
            computes = [r.compute for r in results]
            publishes = [r.publish for r in results]
            engines = [r.engine for r in results]
            builds = [r.build for r in results]
            print(
                f"(b) cohort run {n.cohort_mentees:,} × {n.cohort_mentors:,} from the database"
                f" to a stored draft (compute_run), {runs} rounds: median"
                f" {statistics.median(computes):.2f} s ({_list(computes, 's', 2)})"
                f"  goal ≤ {COMPUTE_GOAL_S:.0f} s:"
                f" {'meets' if statistics.median(computes) <= COMPUTE_GOAL_S else 'MISSES'}"
            )
            print(
                f"    the CLI engine on the same input (assign_cohort): median"
                f" {statistics.median(engines):.2f} s ({_list(engines, 's', 2)});"
                f" build_input alone: median {statistics.median(builds):.2f} s"
            )
            print(
                f"(c) publishing {results[0].pairs:,} pairs with their messages (publish_run):"
                f" median {statistics.median(publishes):.2f} s ({_list(publishes, 's', 2)})"
                f"  goal ≤ {PUBLISH_GOAL_S:.0f} s:"
                f" {'meets' if statistics.median(publishes) <= PUBLISH_GOAL_S else 'MISSES'}"
            )
            print(
                "    this process's CPU, median: compute_run"
                f" {statistics.median(r.cpu[2] for r in results):.2f} s, engine"
                f" {statistics.median(r.cpu[1] for r in results):.2f} s, publish_run"
                f" {statistics.median(r.cpu[3] for r in results):.2f} s"
            )
            print(
                "    load average per round (compute; publish): "
                + "; ".join(
                    f"{r.loads[0]:.1f} → {r.loads[1]:.1f}; {r.loads[2]:.1f} → {r.loads[3]:.1f}"
                    for r in results
                )
            )
        print(f"load average at the end: {os.getloadavg()}; peak memory {peak_rss_mb():.0f} MB")
    finally:
        await db.dispose()
        await loader.dispose()
        await owner.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tenth of the data, one round")
    parser.add_argument("--runs", type=int, default=None, help="rounds (default 3; quick 1)")
    parser.add_argument("--requests", type=int, default=None, help="warm page requests a round")
    parser.add_argument("--only", choices=("page", "cohort"), help="one part of the figures")
    parser.add_argument(
        "--profile", action="store_true", help="profile the page's query and the first cohort"
    )
    args = parser.parse_args()
    n = QUICK if args.quick else Sizes()
    if args.requests:
        n = Sizes(**{**n.__dict__, "requests": args.requests})
    runs = args.runs or (1 if args.quick else 3)
    with bench_services(
        MENTORHUB_SECRET_KEY=secrets.token_urlsafe(40),
        MENTORHUB_PATH_PREFIX_TENANTS="true",
    ) as bench:
        asyncio.run(figures(bench.app_url, bench.owner_url, n, runs, args.profile, args.only))


if __name__ == "__main__":
    main()
