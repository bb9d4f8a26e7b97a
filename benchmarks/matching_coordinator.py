"""The coordinator's figures (issue 14, coordinator matching): a Museums Association cohort
of 3,000 accepted mentees and 1,000 accepted mentors (capacity 3, answers drawn from the
form's own options) stored in PostgreSQL.

Per round (a fresh cohort each, since publishing uses it up), printed:

- `compute_run` — from the database to a stored draft run: the applicants, capacities, live
  pairs and conflicts read, the engine's input built and checked, the exact assignment, each
  pair's explanation, the run written (goal ≤ 3 s); beside it the engine alone
  (`matching.cohort.assign_cohort` on the same input, as the CLI runs it) and the reading
  and building alone (`build_input`);
- `publish_run` — the fingerprint re-checked, 3,000 pairs made through `create_pairs`
  (capacity rows locked, audited) and 6,000 `match_made` messages with their outbox rows
  written, in one transaction (goal ≤ 5 s).

Medians over the rounds, and the machine's load average before and after (the figures are
comparable only between equally quiet runs; this machine has 2 cores).
`uv run python -m benchmarks.matching_coordinator [--runs N]`
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

from sqlalchemy import func, insert, select, text

from benchmarks._services import bench_services
from mentorhub.applications.models import Application, Cohort
from mentorhub.db import Database
from mentorhub.db.session import Timeouts
from mentorhub.identity.models import Member, Role
from mentorhub.matching import services
from mentorhub.matching.cohort import assign_cohort
from mentorhub.matching.models import MentorCapacity
from mentorhub.matching.vector import keep_freed_memory
from mentorhub.messages.models import Message
from mentorhub.pairs.models import Pair
from mentorhub.schemes import forms
from mentorhub.schemes.services import current_scheme
from mentorhub.settings import get_settings
from mentorhub.tenancy.loading import load_tenants

MENTEES = 3_000
MENTORS = 1_000
CAPACITY = 3
COMPUTE_GOAL_S = 3.0
PUBLISH_GOAL_S = 5.0


def _options(form: forms.Form | None, question: str) -> list[str]:
    assert form is not None
    return list(next(q for q in form.questions if q.id == question).options)


async def cohort_of_applicants(
    owner: Database, db: Database, tenant_id: uuid.UUID, number: int
) -> Cohort:
    rng = random.Random(number)
    async with db.tenant(tenant_id) as s:
        scheme = await current_scheme(s)
        assert scheme is not None
        cohort = Cohort(
            tenant_id=tenant_id,
            id=uuid.uuid4(),
            name=f"Benchmark intake {number}",
            starts_on=date(2027, 1, 1),
            ends_on=date(2027, 12, 31),
            scheme_version=scheme.version,
        )
        s.add(cohort)
    mentee_form, mentor_form = forms.form_for(scheme, "mentee"), forms.form_for(scheme, "mentor")
    needs = _options(mentee_form, "development_needs")
    regions = _options(mentee_form, "region")
    members: list[dict[str, Any]] = []
    apps: list[dict[str, Any]] = []
    caps: list[dict[str, Any]] = []
    for role, n in (("mentee", MENTEES), ("mentor", MENTORS)):
        for i in range(n):
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
                    "can_support": rng.sample(
                        _options(mentor_form, "can_support"), rng.randint(2, 4)
                    ),
                    "region": rng.choice(regions),
                }
                caps.append(
                    {
                        "tenant_id": tenant_id,
                        "id": uuid.uuid4(),
                        "cohort_id": cohort.id,
                        "mentor_id": member_id,
                        "application_id": app_id,
                        "capacity": CAPACITY,
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
    async with owner.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM (ANALYZE)"))
    return cohort


async def figures(app_url: str, owner_url: str, runs: int) -> None:
    keep_freed_memory()
    owner = Database.connect(
        owner_url, pool_size=1, timeouts=Timeouts(statement=1800, idle_in_transaction=1800)
    )
    db = Database.connect(app_url, pool_size=4)
    print(f"load average before: {os.getloadavg()}")
    try:
        tenants = {t.slug: t for t in await load_tenants(owner, get_settings().tenants_dir)}
        tenant_id = tenants["museums-association"].id
        async with db.tenant(tenant_id) as s:
            coordinator = Member(
                tenant_id=tenant_id,
                id=uuid.uuid4(),
                email="coordinator@bench.example.org",
                display_name="Coordinator",
                roles=[Role.COORDINATOR],
            )
            s.add(coordinator)
        computes: list[float] = []
        builds: list[float] = []
        engines: list[float] = []
        publishes: list[float] = []
        for number in range(1, runs + 1):
            cohort = await cohort_of_applicants(owner, db, tenant_id, number)
            async with db.tenant(tenant_id, read_only=True) as s:
                t0 = time.perf_counter()
                ci = await services.build_input(s, cohort)
                builds.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            result = assign_cohort(ci.instance)
            engines.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            run = await services.compute_run(db, tenant_id, coordinator.id, cohort.id)
            computes.append(time.perf_counter() - t0)
            assert run.pairs_count == len(result.pairs)
            t0 = time.perf_counter()
            await services.publish_run(db, tenant_id, coordinator.id, run.id)
            publishes.append(time.perf_counter() - t0)
            async with db.tenant(tenant_id, read_only=True) as s:
                pairs = (
                    await s.execute(
                        select(func.count()).select_from(Pair).where(Pair.cohort_id == cohort.id)
                    )
                ).scalar_one()
                mails = (
                    await s.execute(
                        select(func.count())
                        .select_from(Message)
                        .where(Message.kind.in_(("match_made", "match_unmatched")))
                    )
                ).scalar_one()
            print(
                f"  round {number}: build_input {builds[-1]:.2f} s, engine {engines[-1]:.2f} s,"
                f" compute_run {computes[-1]:.2f} s ({run.pairs_count} pairs,"
                f" {run.unmatched_count} unmatched); publish_run {publishes[-1]:.2f} s"
                f" ({pairs} pairs stored; {mails} match mails in the tenant so far)",
                flush=True,
            )
        print(
            f"medians over {runs}: compute_run {statistics.median(computes):.2f} s"
            f" (goal ≤ {COMPUTE_GOAL_S:.0f}; engine alone {statistics.median(engines):.2f} s,"
            f" build_input {statistics.median(builds):.2f} s);"
            f" publish_run {statistics.median(publishes):.2f} s (goal ≤ {PUBLISH_GOAL_S:.0f})"
        )
        print(f"load average after: {os.getloadavg()}")
    finally:
        await db.dispose()
        await owner.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with bench_services() as bench:
        asyncio.run(figures(bench.app_url, bench.owner_url, args.runs))


if __name__ == "__main__":
    main()
