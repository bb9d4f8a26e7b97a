"""The mentee's suggestion figures (issue 14, suggest and accept): `suggest_flow.
suggestions_for` — what the suggestion page runs: the cohort's cached table checked by its
stamp, the exclusions read fresh (full and unavailable mentors, this mentee's declines and
conflicts), the engine's top 3 and explanations, the three mentors' names and profiles —
against 10,000 accepted AHEP mentors and 3,000 mentees stored in PostgreSQL, with 2,000
live pairs (made through `pairs.services.create_pairs`), 500 mentors unavailable.

Printed: the cold call (the table built from the database), then per round the warm calls'
server time p50/p95 (goal p95 ≤ 50 ms) beside the engine's own figure for the same mentees
(`matching.suggest.suggest` on the in-memory table, as the CLI runs it), the stamp check
alone (what a read costs every `STAMP_TTL` seconds, and a choice always), this process's
CPU per call and the load average (on a shared machine the wall time is mostly waiting).
`uv run python -m benchmarks.matching_suggest [--runs N] [--calls N]`
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
import uuid
from datetime import date
from typing import Any

from sqlalchemy import insert, select, text

from benchmarks._services import bench_services
from mentorhub.applications.models import Application, Cohort
from mentorhub.db import Database
from mentorhub.db.session import Timeouts
from mentorhub.identity.models import Member
from mentorhub.matching import suggest_flow
from mentorhub.matching.models import MentorCapacity
from mentorhub.matching.suggest import suggest
from mentorhub.matching.vector import keep_freed_memory
from mentorhub.pairs.services import NewPair, create_pairs
from mentorhub.schemes import forms
from mentorhub.schemes.services import current_scheme
from mentorhub.settings import get_settings
from mentorhub.tenancy.loading import load_tenants

MENTORS = 10_000
MENTEES = 3_000
PAIRS = 2_000
UNAVAILABLE = 500
GOAL_MS = 50.0


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) > 1 else values[0]


async def load(owner: Database, db: Database) -> tuple[uuid.UUID, Cohort, list[uuid.UUID]]:
    tenants = {t.slug: t for t in await load_tenants(owner, get_settings().tenants_dir)}
    tenant_id = tenants["ahep"].id
    rng = random.Random(14)
    async with db.tenant(tenant_id) as s:
        scheme = await current_scheme(s)
        assert scheme is not None
        cohort = Cohort(
            tenant_id=tenant_id,
            id=uuid.uuid4(),
            name="Benchmark intake",
            starts_on=date(2027, 1, 1),
            ends_on=date(2027, 12, 31),
            scheme_version=scheme.version,
        )
        s.add(cohort)
    form = {role: forms.form_for(scheme, role) for role in ("mentor", "mentee")}
    areas = list(next(q for q in form["mentee"].questions if q.id == "support_areas").options)  # type: ignore[union-attr]
    members: list[dict[str, Any]] = []
    apps: list[dict[str, Any]] = []
    mentors: list[tuple[uuid.UUID, uuid.UUID]] = []
    mentees: list[tuple[uuid.UUID, uuid.UUID]] = []
    for role, n in (("mentor", MENTORS), ("mentee", MENTEES)):
        for i in range(n):
            member_id, app_id = uuid.uuid4(), uuid.uuid4()
            members.append(
                {
                    "tenant_id": tenant_id,
                    "id": member_id,
                    "email": f"{role}{i}@bench.example.org",
                    "display_name": f"{role.title()} {i:05d}",
                    "roles": [role],
                }
            )
            if role == "mentor":
                answers: dict[str, Any] = {
                    "job_title": f"Head of department {i}",
                    "biography": "Twenty years in higher education. " * 5,
                    "capacity": rng.randint(1, 3),
                    "support_areas": rng.sample(areas, rng.randint(1, 4)),
                    "developing_others": "Line management and coaching.",
                    "membership": True,
                }
                mentors.append((member_id, app_id))
            else:
                answers = {
                    "support_areas": rng.sample(areas, rng.randint(1, 3)),
                    "reasons": "I would like help with my next step.",
                    "job_title": "Officer",
                    "membership": True,
                }
                mentees.append((member_id, app_id))
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
    started = time.perf_counter()
    async with db.tenant(tenant_id) as s:
        news = [
            NewPair(
                cohort_id=cohort.id,
                mentor_id=mentors[i][0],
                mentee_id=mentees[i][0],
                flow="suggest_and_accept",
                mentor_application_id=mentors[i][1],
                mentee_application_id=mentees[i][1],
            )
            for i in range(PAIRS)
        ]
        await create_pairs(s, news, actor_id=None)
    print(f"  {PAIRS} pairs through create_pairs in {time.perf_counter() - started:.1f} s")
    async with db.tenant(tenant_id) as s:
        away = [m for m, _ in mentors[PAIRS : PAIRS + UNAVAILABLE]]
        await s.execute(
            insert(MentorCapacity),
            [
                {
                    "tenant_id": tenant_id,
                    "id": uuid.uuid4(),
                    "cohort_id": cohort.id,
                    "mentor_id": m,
                    "capacity": 2,
                    "source": "declared",
                    "unavailable": True,
                    "unavailable_reason": "holiday",
                }
                for m in away
            ],
        )
    async with owner.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM (ANALYZE)"))
    free_mentees = [m for m, _ in mentees[PAIRS:]]
    return tenant_id, cohort, free_mentees


async def figures(app_url: str, owner_url: str, runs: int, calls: int) -> None:
    keep_freed_memory()
    owner = Database.connect(
        owner_url, pool_size=1, timeouts=Timeouts(statement=1800, idle_in_transaction=1800)
    )
    db = Database.connect(app_url, pool_size=4)
    loader = Database.connect(app_url, pool_size=1, timeouts=Timeouts(statement=600))
    try:
        print(f"loading {MENTORS} mentors, {MENTEES} mentees:", flush=True)
        tenant_id, cohort, free = await load(owner, loader)
        await loader.dispose()
        rng = random.Random(7)
        started = time.perf_counter()
        page = await suggest_flow.suggestions_for(db, tenant_id, free[0])
        cold = (time.perf_counter() - started) * 1000
        assert len(page.suggestions) == 3, page.note
        print(f"  cold call (table built from the database): {cold:.0f} ms")
        key = (tenant_id, cohort.id)
        table = suggest_flow._TABLES[key]
        for run in range(runs):
            pages: list[float] = []
            engine: list[float] = []
            stamps: list[float] = []
            cpu: list[float] = []
            busy = os.getloadavg()[0]
            for mentee_id in rng.sample(free, calls):
                c0, t0 = time.process_time(), time.perf_counter()
                page = await suggest_flow.suggestions_for(db, tenant_id, mentee_id)
                pages.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
                assert len(page.suggestions) == 3
                app_id, _ = table.mentee_row[mentee_id]
                t0 = time.perf_counter()
                suggest(table.instance, str(app_id), top=3, table=table.table)
                engine.append((time.perf_counter() - t0) * 1000)
                async with db.tenant(tenant_id, read_only=True) as s:
                    c = (await s.execute(select(Cohort).where(Cohort.id == cohort.id))).scalar_one()
                    t0 = time.perf_counter()
                    await suggest_flow._stamp(s, c)
                    stamps.append((time.perf_counter() - t0) * 1000)
            print(
                f"  round {run + 1}: suggestions_for p50 {statistics.median(pages):.1f} ms,"
                f" p95 {p95(pages):.1f} ms (goal ≤ {GOAL_MS:.0f});"
                f" engine alone p50 {statistics.median(engine):.2f} ms;"
                f" stamp check p50 {statistics.median(stamps):.1f} ms;"
                f" this process's CPU per call p50 {statistics.median(cpu):.1f} ms;"
                f" load average {busy:.1f} → {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores;"
                f" cache {suggest_flow.cache_stats()}",
                flush=True,
            )
    finally:
        await db.dispose()
        await owner.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    with bench_services() as bench:
        asyncio.run(figures(bench.app_url, bench.owner_url, args.runs, args.calls))


if __name__ == "__main__":
    main()
