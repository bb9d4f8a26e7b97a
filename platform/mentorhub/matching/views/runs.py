"""The coordinator's matching pages (coordinator flow: Museums Association, Advice Skills
Academy, Alberta), cohort level: the cohorts to match, one cohort's matching page (accepted
mentors and mentees counted, "Run the matching", its draft runs side by side, two runs
compared), and, once a run is published, the cohort's pairs.

One run's page (its pairs and why, the unmatched and why, pins, forbids, conflicts of
interest, re-run, publish) is in `runs_one`. Views parse, call an action of
`matching.services` and render; reads go through `matching.run_queries`,
`matching.queries_runs` and `pairs.queries` on the request's read-only transaction.
"""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from mentorhub.applications.views.coordinator_common import parse_uuid
from mentorhub.core.problems import Problem, Problems
from mentorhub.db import Database
from mentorhub.identity.guards import COORDINATOR, rule
from mentorhub.identity.sessions import TENANT_COOKIE, Identity
from mentorhub.identity.views._common import AnyRequest, AsyncRedis, base
from mentorhub.matching import queries_runs, run_queries, services
from mentorhub.matching.views import runs_one
from mentorhub.matching.views.runs_common import (
    COHORT,
    MATCHING,
    CompareQuery,
    RunForm,
    actor,
    context,
)
from mentorhub.pairs import queries as pair_queries
from mentorhub.pairs.rules import Refused
from mentorhub.tenancy.models import Tenant
from mentorhub.web import flash
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant, TenantReads
from mentorhub.web.forms import FormErrors, read_form, read_query, rerender, values_of


@get(MATCHING, name="matching_cohorts", opt=rule(COORDINATOR))
async def matching_cohorts(
    tenant: CurrentTenant, reads: TenantReads, identity: CurrentIdentity
) -> Template:
    """The cohorts, the latest first, with their accepted applicants and runs."""
    async with reads.tenant(tenant.id) as session:
        cohorts = await queries_runs.matching_cohorts(session, actor(identity))
    return Template(
        "matching/runs_cohorts.html", context=context(tenant, identity, cohorts=cohorts)
    )


async def _cohort_page(
    db: Database,
    tenant: Tenant,
    identity: Identity,
    cohort_id: str,
    *,
    notice: Any = None,
    errors: Problems | None = None,
    status_code: int = 400,
) -> Template:
    key = parse_uuid(cohort_id, "cohort")
    async with db.tenant(tenant.id) as session:
        cohort = await queries_runs.cohort_overview(session, actor(identity), key)
        runs = await run_queries.runs_of_cohort(session, actor(identity), key)
    page = context(tenant, identity, cohort=cohort, runs=runs, notice=notice)
    if errors is not None:
        return rerender("matching/runs_cohort.html", page, errors, status_code=status_code)
    return Template("matching/runs_cohort.html", context=page)


@get(COHORT, name="matching_cohort", opt=rule(COORDINATOR))
async def matching_cohort(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    cohort_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    """The cohort's matching page: counts, the button that runs the matching, the runs."""
    notice = await flash.take(aredis, request, TENANT_COOKIE)
    return await _cohort_page(reads, tenant, identity, cohort_id, notice=notice)


@post(COHORT + "/runs", name="matching_run_create", opt=rule(COORDINATOR))
async def matching_run_create(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    cohort_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    """Run the exact cohort assignment now: a new draft run (nothing is published)."""
    key = parse_uuid(cohort_id, "cohort")
    try:
        form = await read_form(request, RunForm)
        try:
            run = await services.compute_run(db, tenant.id, actor(identity), key, note=form.note)
        except Problems as refused:
            raise FormErrors(list(refused.problems), values_of(form)) from None
    except FormErrors as errors:
        return await _cohort_page(db, tenant, identity, cohort_id, errors=errors)
    except Refused as refused:
        problem = Problems([Problem(message=f"{refused} Nothing was changed.")])
        return await _cohort_page(db, tenant, identity, cohort_id, errors=problem, status_code=409)
    await flash.put(
        aredis,
        request,
        TENANT_COOKIE,
        {"kind": "run", "text": f"Run {run.number} computed: a draft, not yet published."},
    )
    return Redirect(f"{base(request)}/coordinator/runs/{run.id}", status_code=303)


@get(COHORT + "/compare", name="matching_compare", opt=rule(COORDINATOR))
async def matching_compare(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    cohort_id: FromPath[str],
    request: AnyRequest,
) -> Template:
    """Two runs side by side: totals, and the pairs each makes that the other does not."""
    key = parse_uuid(cohort_id, "cohort")
    try:
        query = read_query(request, CompareQuery)
        problems = [
            Problem(path=name, message="Choose a run from the list")
            for name, value in (("a", query.a), ("b", query.b))
            if not value
        ]
        if not problems and query.a == query.b:
            problems.append(Problem(path="b", message="Choose two different runs"))
        if problems:
            raise FormErrors(problems, values_of(query))
    except FormErrors as errors:
        return await _cohort_page(reads, tenant, identity, cohort_id, errors=errors)
    async with reads.tenant(tenant.id) as session:
        cohort = await queries_runs.cohort_overview(session, actor(identity), key)
        compared = await queries_runs.compare(
            session,
            actor(identity),
            key,
            parse_uuid(query.a, "matching run"),
            parse_uuid(query.b, "matching run"),
        )
    return Template(
        "matching/runs_compare.html",
        context=context(tenant, identity, cohort=cohort, compared=compared),
    )


@get(COHORT + "/pairs", name="matching_cohort_pairs", opt=rule(COORDINATOR))
async def matching_cohort_pairs(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    cohort_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    """The cohort's pairs, for the coordinator: who with whom, since when, how, state."""
    key = parse_uuid(cohort_id, "cohort")
    notice = await flash.take(aredis, request, TENANT_COOKIE)
    async with reads.tenant(tenant.id) as session:
        cohort = await queries_runs.cohort_overview(session, actor(identity), key)
        pairs = await pair_queries.pairs_of_cohort(session, actor(identity), key)
    return Template(
        "matching/runs_pairs.html",
        context=context(tenant, identity, cohort=cohort, pairs=pairs, notice=notice),
    )


ROUTES = [
    matching_cohorts,
    matching_cohort,
    matching_run_create,
    matching_compare,
    matching_cohort_pairs,
    *runs_one.ROUTES,
]
