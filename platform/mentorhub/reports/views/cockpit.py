"""The coordinator's cockpit (issue 17, point 1):

* `GET /coordinator/cockpit` [cockpit_home]: the cohorts the coordinator runs
  (`admin.scope.cohorts_in_scope`), newest first, each with its active pairs, overdue
  checkpoints, quiet pairs and open tasks, and a link to its cockpit.
* `GET /coordinator/cockpit/{cohort_id}` [cockpit]: one cohort — the summary (pairs by
  state, meetings and contact hours against the cadence, checkpoints, quiet pairs, lapses,
  requests waiting, open tasks) and its pairs, 50 a page, filtered by state and flag,
  searched by name or e-mail, sorted; each name links to the person, each pair to its page
  and its checkpoints.
* `GET /coordinator/cockpit/{cohort_id}/pairs.csv` [cockpit_csv]: the same filtered list,
  every page, streamed as CSV.
* `GET /coordinator/people/{member_id}` [coordinator_person]: a person as the coordinator
  sees them (`reports.cockpit_person`).

Access as on every coordinator page: `rule(COORDINATOR)` (a member without a staff role:
403), then the coordinator role itself (`checkpoints.queries_coordinator.viewer`): a tenant
admin who is not a coordinator gets "not found" (404), as on the checkpoint pages — the
cockpit leads to pairs and checkpoint items that are never the tenant admin's. A cohort or
a person outside the coordinator's scope, or of another tenant, is the same 404.

A query that cannot be used (a state, flag or sort not offered, a page that is not a
number, a search too long) answers 400: the page shows the whole cohort with the problem at
its field; the CSV answers a plain-text 400 and no file.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import msgspec
from litestar import Request, get
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import Response, Stream, Template

from mentorhub.admin.scope import cohorts_in_scope
from mentorhub.applications.views.coordinator_common import page_context, zone_of
from mentorhub.checkpoints.queries_coordinator import STATE_WORDS as ITEM_STATE_WORDS
from mentorhub.checkpoints.queries_coordinator import viewer
from mentorhub.core.paging import MAX_QUERY, search_term
from mentorhub.db import Database
from mentorhub.identity.guards import COORDINATOR, rule
from mentorhub.identity.sessions import Identity
from mentorhub.pairs.cadence import hours_words
from mentorhub.reports import cockpit as q
from mentorhub.reports.cockpit import Flag, Sort, StateFilter
from mentorhub.reports.cockpit_person import person
from mentorhub.reports.exports import csv_stream
from mentorhub.tenancy.models import Tenant
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant, TenantReads
from mentorhub.web.forms import FormErrors, choice, field, read_query, rerender

AnyRequest = Request[Any, Any, Any]
HOME = "/coordinator/cockpit"
ROLE_WORDS = {
    "tenant_admin": "Tenant administrator",
    "coordinator": "Coordinator",
    "mentor": "Mentor",
    "mentee": "Mentee",
}
MEMBERSHIP_WORDS = {"active": "Active", "lapsed": "Lapsed", "pending": "Pending"}


class CockpitParams(msgspec.Struct, kw_only=True):
    state: Annotated[StateFilter | None, choice("Choose a state from the list", label="State")] = (
        None
    )
    flag: Annotated[Flag | None, choice("Choose a flag from the list", label="Flag")] = None
    q: Annotated[str, field("Search", max_length=MAX_QUERY)] = ""
    sort: Annotated[Sort | None, choice("Choose what to sort by from the list", label="Sort")] = (
        None
    )
    order: Annotated[
        Literal["asc", "desc"] | None,
        choice("Choose ascending or descending order", label="Order"),
    ] = None
    page: Annotated[int, field("Page", minimum=1, maximum=1_000_000)] | None = None


def _me(identity: Identity) -> uuid.UUID:
    assert identity.member_id is not None  # the COORDINATOR rule needs a member
    return uuid.UUID(identity.member_id)


def _today(tenant: Tenant) -> date:
    return datetime.now(UTC).astimezone(zone_of(tenant)).date()


def _query(request: AnyRequest) -> tuple[q.CockpitQuery, CockpitParams, FormErrors | None]:
    try:
        params = read_query(request, CockpitParams)
    except FormErrors as errors:
        return q.CockpitQuery(), CockpitParams(), errors
    return (
        q.CockpitQuery(
            state=params.state,
            flag=params.flag,
            search=search_term(params.q),
            sort=params.sort or "name",
            descending=params.order == "desc",
            page=params.page or 1,
        ),
        params,
        None,
    )


def _filters(query: q.CockpitQuery) -> dict[str, str]:
    """The query as URL parameters (the defaults left out), without the page."""
    given = {
        "state": query.state or "",
        "flag": query.flag or "",
        "q": query.search,
        "sort": query.sort if query.sort != "name" else "",
        "order": "desc" if query.descending else "",
    }
    return {k: v for k, v in given.items() if v}


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}".removesuffix(".0")


def _context(tenant: Tenant, identity: Identity, **extra: Any) -> dict[str, Any]:
    return page_context(
        tenant,
        identity,
        STATES=q.STATES,
        STATE_WORDS=q.STATE_WORDS,
        FLAGS=q.FLAGS,
        FLAG_WORDS=q.FLAG_WORDS,
        SORTS=q.SORTS,
        SORT_WORDS=q.SORT_WORDS,
        ITEM_STATE_WORDS=ITEM_STATE_WORDS,
        ROLE_WORDS_PERSON=ROLE_WORDS,
        MEMBERSHIP_WORDS=MEMBERSHIP_WORDS,
        shown_state_words=q.shown_state_words,
        hours=_hours,
        hours_words=hours_words,
        errors=None,
        values={},
        **extra,
    )


@get(HOME, name="cockpit_home", opt=rule(COORDINATOR))
async def cockpit_home(
    tenant: CurrentTenant, reads: TenantReads, identity: CurrentIdentity
) -> Template:
    """The cohorts the coordinator runs, newest first, with their headline counts."""
    today = _today(tenant)
    async with reads.tenant(tenant.id) as session:
        me = await viewer(session, _me(identity))
        scope = await cohorts_in_scope(session, me.id)
        cohorts = await q.cockpit_home(session, scope=scope, today=today)
    return Template(
        "reports/cockpit_home.html",
        context=_context(tenant, identity, cohorts=cohorts, today=today),
    )


@get(f"{HOME}/{{cohort_id:uuid}}", name="cockpit", opt=rule(COORDINATOR))
async def cockpit(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    cohort_id: FromPath[uuid.UUID],
    request: AnyRequest,
) -> Template:
    """One cohort's cockpit (see the module); a query that cannot be used: 400, the whole
    cohort, the problem at its field."""
    query, _, bad = _query(request)
    today = _today(tenant)
    async with reads.tenant(tenant.id) as session:
        me = await viewer(session, _me(identity))
        scope = await cohorts_in_scope(session, me.id)
        view = await q.cockpit(
            session, cohort_id, query, scope=scope, today=today, jurisdiction=tenant.jurisdiction
        )
    filters = _filters(query)
    here = f"{HOME}/{cohort_id}"
    context = _context(
        tenant,
        identity,
        view=view,
        cohort=view.cohort,
        summary=view.summary,
        page=view.page,
        query=query,
        filters=filters,
        here=here,
        flag_links=[
            (
                f,
                q.FLAG_WORDS[f],
                view.summary.flagged.get(f, 0),
                urlencode({**{k: v for k, v in filters.items() if k != "flag"}, "flag": f}),
            )
            for f in q.FLAGS
        ],
        csv_query=urlencode(filters),
        today=today,
    )
    if bad is not None:
        return rerender("reports/cockpit.html", context, bad)
    return Template("reports/cockpit.html", context=context)


async def _csv_chunks(
    db: Database,
    tenant: Tenant,
    cohort: q.CohortInfo,
    query: q.CockpitQuery,
    today: date,
) -> AsyncIterator[bytes]:
    async with db.tenant(tenant.id, read_only=True) as session:
        rows = q.stream_rows(session, cohort, query, today=today, jurisdiction=tenant.jurisdiction)
        async for chunk in csv_stream(q.CSV_HEAD, (q.csv_cells(row) async for row in rows)):
            yield chunk


@get(f"{HOME}/{{cohort_id:uuid}}/pairs.csv", name="cockpit_csv", opt=rule(COORDINATOR))
async def cockpit_csv(
    tenant: CurrentTenant,
    db: DB,
    reads: TenantReads,
    identity: CurrentIdentity,
    cohort_id: FromPath[uuid.UUID],
    request: AnyRequest,
) -> Response[str] | Stream:
    """The filtered pairs (every page) as CSV, streamed row by row; a cell a spreadsheet
    would run as a formula starts with a quote (`applications.queue.csv_cell`)."""
    query, _, bad = _query(request)
    if bad is not None:
        words = "\n".join(p.message for p in bad.problems)
        return Response(
            f"The export was not made: {words}\n", status_code=400, media_type="text/plain"
        )
    async with reads.tenant(tenant.id) as session:
        me = await viewer(session, _me(identity))
        scope = await cohorts_in_scope(session, me.id)
        cohort = await q.cohort_in_scope(session, cohort_id, scope)
    name = "".join(c if c.isalnum() else "-" for c in cohort.name.lower()).strip("-")
    return Stream(
        _csv_chunks(db, tenant, cohort, query, _today(tenant)),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="pairs-{name or "cohort"}.csv"',
            "Cache-Control": "no-store",
        },
    )


@get("/coordinator/people/{member_id:uuid}", name="coordinator_person", opt=rule(COORDINATOR))
async def coordinator_person(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    member_id: FromPath[uuid.UUID],
) -> Template:
    """A person in the coordinator's cohorts: who they are, their applications, pairs,
    checkpoint items' states and open tasks (never answers, logs or chat)."""
    today = _today(tenant)
    async with reads.tenant(tenant.id) as session:
        me = await viewer(session, _me(identity))
        scope = await cohorts_in_scope(session, me.id)
        found = await person(session, member_id, scope=scope, today=today)
    return Template(
        "reports/person.html",
        context=_context(tenant, identity, person=found, today=today),
    )


ROUTES: list[HTTPRouteHandler] = [cockpit_home, cockpit, cockpit_csv, coordinator_person]

__all__ = ["ROUTES"]
