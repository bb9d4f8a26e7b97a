"""The applications area's coordinator pages (see the package docstring).

This module: the queue (a cohort's applications by role and state, searched, a page at a
time, counted per state), its CSV export and the bulk actions (tick many, choose, confirm,
then one all-or-nothing action). One application and its actions are in
`coordinator_review.py` (declining: `coordinator_decline.py`); cohorts and recruitment
windows in `coordinator_cohorts.py`. Coordinators and tenant admins open them
(`rule(COORDINATOR)`); `services.py` checks again.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from litestar import get, post
from litestar.handlers import HTTPRouteHandler
from litestar.response import Redirect, Response, Template

from mentorhub.applications import queries, queue, services
from mentorhub.applications.states import Refused, State, state_label, states_used
from mentorhub.applications.views import (
    coordinator_cohorts,
    coordinator_decline,
    coordinator_review,
)
from mentorhub.applications.views.coordinator_common import (
    BulkConfirm,
    BulkForm,
    QueueQuery,
    page_context,
)
from mentorhub.core.paging import page_number, search_term
from mentorhub.core.problems import Problem, Problems
from mentorhub.db import Database
from mentorhub.db.access import NotFound
from mentorhub.identity.guards import COORDINATOR, rule
from mentorhub.identity.sessions import TENANT_COOKIE, Identity
from mentorhub.identity.views._common import AnyRequest, AsyncRedis, base
from mentorhub.tenancy.models import Tenant
from mentorhub.web import flash
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant, TenantReads
from mentorhub.web.forms import FormErrors, read_form, read_query, rerender

QUEUE = "/coordinator/applications"
BULK_WORDS = {
    "shortlist": "Shortlist",
    "accept": "Accept into the cohort",
    "decline": "Decline (unsuccessful)",
}


def _actor(identity: Identity) -> uuid.UUID:
    assert identity.member_id is not None  # the COORDINATOR rule needs a member
    return uuid.UUID(identity.member_id)


def _query(request: AnyRequest) -> tuple[QueueQuery, FormErrors | None]:
    try:
        return read_query(request, QueueQuery), None
    except FormErrors as errors:
        return QueueQuery(), errors


def _chosen_cohort(found: list[queries.CohortInfo], wanted: str) -> queries.CohortInfo | None:
    """The cohort asked for (`?cohort=`), else the latest; None when there is none. An id
    that is not one of the tenant's cohorts is "no such cohort" (404)."""
    if wanted:
        for cohort in found:
            if str(cohort.id) == wanted:
                return cohort
        raise NotFound("cohort")
    return found[0] if found else None


def _filter_query(
    cohort: queries.CohortInfo | None, query: QueueQuery, search: str
) -> dict[str, str]:
    given = {
        "cohort": str(cohort.id) if cohort else "",
        "role": query.role or "",
        "state": query.state or "",
        "q": search,
    }
    return {k: v for k, v in given.items() if v}


async def _queue_context(
    db: Database, tenant: Tenant, identity: Identity, query: QueueQuery
) -> dict[str, Any]:
    search = search_term(query.q)
    actor = _actor(identity)
    found = await queries.cohorts(db, tenant.id)
    cohort = _chosen_cohort(found, query.cohort)
    page = None
    counts: dict[str, int] = {}
    states: list[str] = []
    if cohort is not None:
        f = queue.QueueFilter(cohort.id, query.role, query.state, search)
        # One read-only transaction (the request's own on a GET: `reads`): the viewer, the
        # counts per state and the page's rows (queries.queue_page), the scheme cached.
        async with db.tenant(tenant.id, read_only=True) as session:
            page, counts = await queue.page_and_counts(session, actor, f, page_number(query.page))
            scheme = await services.scheme_of(session, cohort.scheme_version)
        states = [str(s) for s in states_used(scheme.application) if s != State.DRAFT]
    filters = _filter_query(cohort, query, search)
    return page_context(
        tenant,
        identity,
        cohorts=found,
        cohort=cohort,
        page=page,
        counts=counts,
        states=[(s, state_label(s)) for s in states],
        state_links=[
            (s, state_label(s), counts.get(s, 0), urlencode({**filters, "state": s}))
            for s in states
        ],
        role=query.role or "",
        state=query.state or "",
        q=search,
        filters=filters,
        here=f"{QUEUE}?{urlencode({**filters, 'page': page.number})}" if page else QUEUE,
        bulk_words=BULK_WORDS,
    )


@get(QUEUE, name="coordinator_queue", opt=rule(COORDINATOR))
async def coordinator_queue(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    """A cohort's applications (`?cohort=`, the latest by default), by role and state
    (`?role=`, `?state=`), searched (`?q=`: name, e-mail or answers), 50 a page
    (`?page=`), with the counts per state. A filter that cannot be used: 400, the whole
    cohort, the filter's message."""
    query, bad = _query(request)
    context = await _queue_context(reads, tenant, identity, query)
    context["notice"] = await flash.take(aredis, request, TENANT_COOKIE)
    if bad is not None:
        return rerender("applications/queue.html", context, bad)
    return Template("applications/queue.html", context=context)


@get(f"{QUEUE}.csv", name="coordinator_queue_csv", opt=rule(COORDINATOR))
async def coordinator_queue_csv(
    tenant: CurrentTenant, reads: TenantReads, identity: CurrentIdentity, request: AnyRequest
) -> Response[str]:
    """The filtered set (the queue's own filters, every page) as CSV; a cell a spreadsheet
    would run as a formula is prefixed with a quote (`queue.csv_cell`)."""
    query, bad = _query(request)
    if bad is not None:  # a filter the queue page would not offer: say which, as text
        words = "\n".join(p.message for p in bad.problems)
        return Response(
            f"The export was not made: {words}\n", status_code=400, media_type="text/plain"
        )
    cohort = _chosen_cohort(await queries.cohorts(reads, tenant.id), query.cohort)
    if cohort is None:
        raise NotFound("cohort")
    async with reads.tenant(tenant.id) as session:
        scheme = await services.scheme_of(session, cohort.scheme_version)
        f = queue.QueueFilter(cohort.id, query.role, query.state, search_term(query.q))
        body = await queue.export_csv(session, _actor(identity), f, scheme)
    name = "".join(c if c.isalnum() else "-" for c in cohort.name.lower()).strip("-")
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="applications-{name or "cohort"}.csv"',
            "Cache-Control": "no-store",
        },
    )


def _ids(raw: list[str]) -> list[uuid.UUID]:
    """The ticked applications; an id that is not one is "no such application" (404)."""
    found = []
    for value in dict.fromkeys(raw):
        try:
            found.append(uuid.UUID(value))
        except ValueError:
            raise NotFound("application") from None
    return found


def _versions(raw: list[str]) -> dict[str, int]:
    """The versions the confirmation page showed ("<id>:<version>"), by application id; a
    value that is not one is left out (its application is then refused as stale)."""
    found: dict[str, int] = {}
    for value in raw:
        key, _, version = value.partition(":")
        try:
            found[str(uuid.UUID(key))] = int(version)
        except ValueError:
            continue
    return found


def _safe_back(back: str, request: AnyRequest) -> str:
    """Back to the queue page the form came from (only ever the queue's own address)."""
    if back.startswith(QUEUE + "?") or back == QUEUE:
        return f"{base(request)}{back}"
    return f"{base(request)}{QUEUE}"


async def _confirm_page(
    db: Database,
    tenant: Tenant,
    identity: Identity,
    action: str,
    ids: list[uuid.UUID],
    back: str,
    errors: Problems | None = None,
    status_code: int = 200,
    feedback: str = "",
) -> Template:
    async with db.tenant(tenant.id) as session:
        rows = await queue.rows_by_ids(session, ids)
    if len(rows) != len(ids):  # one is not this tenant's: no such application
        raise NotFound("application")
    context = page_context(
        tenant,
        identity,
        action=action,
        action_words=BULK_WORDS[action],
        rows=rows,
        back=back,
        values={"feedback": feedback},
    )
    if errors is not None:
        return rerender("applications/queue_confirm.html", context, errors, status_code=status_code)
    return Template("applications/queue_confirm.html", context=context)


async def _names(db: Database, tenant: Tenant, ids: list[uuid.UUID]) -> dict[str, str]:
    async with db.tenant(tenant.id, read_only=True) as session:
        return {str(r.id): r.name for r in await queue.rows_by_ids(session, ids)}


def stale_problem(stale: services.BulkStale, names: dict[str, str]) -> Problems:
    """The refusal naming each application that changed, by its applicant's name."""
    who = ", ".join(names.get(i, i) for i in stale.application_ids)
    return Problems(
        [
            Problem(
                message=f"Changed since this page was shown: {who}. Nothing was changed: "
                "check the list below (it is up to date now) and confirm again."
            )
        ]
    )


@post(f"{QUEUE}/bulk", name="coordinator_bulk", opt=rule(COORDINATOR), status_code=200)
async def coordinator_bulk(
    tenant: CurrentTenant, db: DB, identity: CurrentIdentity, request: AnyRequest
) -> Template | Response[Any]:
    """The ticked applications and the chosen action: the confirmation page listing what
    will happen to each (nothing is changed yet)."""
    try:
        form = await read_form(request, BulkForm)
    except FormErrors as errors:
        query = QueueQuery()
        context = await _queue_context(db, tenant, identity, query)
        return rerender("applications/queue.html", context, errors)
    ids = _ids(form.ids)
    if not ids:
        context = await _queue_context(db, tenant, identity, QueueQuery())
        problem = Problem(path="ids", message="Tick at least one application")
        return rerender("applications/queue.html", context, Problems([problem]))
    return await _confirm_page(db, tenant, identity, form.action, ids, form.back)


@post(f"{QUEUE}/bulk/confirm", name="coordinator_bulk_confirm", opt=rule(COORDINATOR))
async def coordinator_bulk_confirm(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Response[Any]:
    """Do it: one transaction for all of them (`services.bulk`); one refusing changes none,
    and the confirmation page says which and why (409)."""
    try:
        form = await read_form(request, BulkConfirm)
    except FormErrors as errors:
        raw_ids = errors.values.get("ids") or []
        action = errors.values.get("action")
        if action not in BULK_WORDS or not raw_ids:
            context = await _queue_context(db, tenant, identity, QueueQuery())
            return rerender("applications/queue.html", context, errors)
        ids = _ids([str(i) for i in raw_ids])
        return await _confirm_page(
            db,
            tenant,
            identity,
            str(action),
            ids,
            "",
            errors,
            feedback=str(errors.values.get("feedback") or ""),
        )
    ids = _ids(form.ids)
    if not ids:
        return Redirect(_safe_back(form.back, request), status_code=303)
    try:
        done = await services.bulk(
            db,
            tenant.id,
            _actor(identity),
            form.action,
            ids,
            feedback=form.feedback,
            versions=_versions(form.versions),
        )
    except services.BulkStale as stale:  # the page shows them again, with their new versions
        return await _confirm_page(
            db,
            tenant,
            identity,
            form.action,
            ids,
            form.back,
            stale_problem(stale, await _names(db, tenant, ids)),
            status_code=409,
            feedback=form.feedback,
        )
    except Problems as problems:
        return await _confirm_page(
            db, tenant, identity, form.action, ids, form.back, problems, feedback=form.feedback
        )
    except Refused as refused:
        return await _confirm_page(
            db,
            tenant,
            identity,
            form.action,
            ids,
            form.back,
            Problems([Problem(message=str(refused))]),
            status_code=409,
            feedback=form.feedback,
        )
    await flash.put(
        aredis,
        request,
        TENANT_COOKIE,
        {"kind": "bulk", "action": form.action, "count": len(done)},
    )
    return Redirect(_safe_back(form.back, request), status_code=303)


ROUTES: list[HTTPRouteHandler] = [
    coordinator_queue,
    coordinator_queue_csv,
    coordinator_bulk,
    coordinator_bulk_confirm,
    *coordinator_review.ROUTES,
    *coordinator_decline.ROUTES,
    *coordinator_cohorts.ROUTES,
]
