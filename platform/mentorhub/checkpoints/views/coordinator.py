"""The coordinator's checkpoint pages (issue 16):

* `GET /coordinator/checkpoints` [coordinator_checkpoints]: the items the coordinator reads
  (waiting for review by default), filtered by state, checkpoint and cohort, searched by
  the pair's names, sorted by due date, 50 a page, with the counts per state.
* `GET/POST /coordinator/checkpoints/{item_id}` [coordinator_checkpoint,
  coordinator_checkpoint_post]: one submission's answers, read-only, and "Mark as
  reviewed" with an optional note.
* `GET /coordinator/tasks` [coordinator_tasks]: the open tasks by due date and the ones
  done lately; `POST /coordinator/tasks/{task_id}` [coordinator_task_done] marks one done.

A coordinator given a scope by the tenant admin (`admin.scope`) sees and acts on only the
items and tasks of pairs in their cohorts; another cohort's item or task is "not found".

The routes carry `rule(COORDINATOR)` like every coordinator page (a member without a staff
role is refused, 403); the reads then need the coordinator role itself, so a tenant admin
who is not a coordinator gets "not found" (404), as on a pair's page: checkpoint answers
are never the tenant admin's (DESIGN.md). A POST's refusal (a stale page, an item no
longer waiting) shows the page again with the reason (409); a problem with the note is
shown at the field (400); success is a 303 with a one-time notice.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import msgspec
from litestar import Request, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from mentorhub.admin.scope import cohorts_in_scope
from mentorhub.applications.views.coordinator_common import page_context, zone_of
from mentorhub.checkpoints import queries_coordinator as q
from mentorhub.checkpoints.services.review import NOTE_MAX, complete_task, review_item
from mentorhub.core.paging import MAX_QUERY, page_number, search_term
from mentorhub.core.problems import Problem, Problems
from mentorhub.identity.guards import COORDINATOR, rule
from mentorhub.identity.sessions import TENANT_COOKIE, Identity
from mentorhub.identity.views._common import AsyncRedis, base
from mentorhub.pairs.rules import Refused
from mentorhub.tenancy.models import Tenant
from mentorhub.web import flash
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant, TenantReads
from mentorhub.web.forms import TEXT, FormErrors, choice, field, read_form, read_query, rerender

AnyRequest = Request[Any, Any, Any]
LIST = "/coordinator/checkpoints"
TASKS = "/coordinator/tasks"
VERSION = field("Version", minimum=0, maximum=10**9)
AUDIENCE_WORDS = {
    "pair": "The pair, together",
    "each": "Each person",
    "mentor": "The mentor",
    "mentee": "The mentee",
    "coordinator": "The coordinator",
}


class ListQuery(msgspec.Struct, kw_only=True):
    state: (
        Annotated[
            Literal["submitted", "open", "overdue", "missed", "reviewed"],
            choice("Choose a state from the list", label="State"),
        ]
        | None
    ) = None
    checkpoint: Annotated[str, field("Checkpoint", max_length=64)] = ""
    cohort: Annotated[str, field("Cohort", max_length=36)] = ""
    q: Annotated[str, field("Search", max_length=MAX_QUERY)] = ""
    sort: (
        Annotated[
            Literal["due", "due_desc"],
            choice("Choose earliest or latest due date first", label="Sort"),
        ]
        | None
    ) = None
    page: Annotated[str, field("Page", max_length=12)] = ""


class NoteForm(msgspec.Struct, kw_only=True):
    lock_version: Annotated[int, VERSION]
    note: Annotated[str, field("Note", kind=TEXT, max_length=NOTE_MAX)] = ""


def _me(identity: Identity) -> uuid.UUID:
    assert identity.member_id is not None  # the COORDINATOR rule needs a member
    return uuid.UUID(identity.member_id)


def _today(tenant: Tenant) -> date:
    return datetime.now(UTC).astimezone(zone_of(tenant)).date()


def _context(tenant: Tenant, identity: Identity, **extra: Any) -> dict[str, Any]:
    return page_context(
        tenant,
        identity,
        STATE_WORDS=q.STATE_WORDS,
        AUDIENCE_WORDS=AUDIENCE_WORDS,
        note_max=NOTE_MAX,
        errors=None,
        values={},
        **extra,
    )


# --- the list -------------------------------------------------------------------------------


def _filter(
    query: ListQuery,
    cohorts: list[q.CohortChoice],
    checkpoints: list[tuple[str, str]],
    problems: list[Problem],
    scope: frozenset[uuid.UUID] | None = None,
) -> q.ItemFilter:
    cohort_id = None
    if query.cohort:
        cohort_id = next((c.id for c in cohorts if str(c.id) == query.cohort), None)
        if cohort_id is None:
            problems.append(Problem(path="cohort", message="Choose a cohort from the list"))
    checkpoint = query.checkpoint
    if checkpoint and checkpoint not in {cid for cid, _ in checkpoints}:
        problems.append(Problem(path="checkpoint", message="Choose a checkpoint from the list"))
        checkpoint = ""
    return q.ItemFilter(
        state=query.state or "submitted",
        checkpoint=checkpoint,
        cohort_id=cohort_id,
        search=search_term(query.q),
        newest_first=query.sort == "due_desc",
        scope=scope,
    )


@get(LIST, name="coordinator_checkpoints", opt=rule(COORDINATOR))
async def coordinator_checkpoints(
    tenant: CurrentTenant, reads: TenantReads, identity: CurrentIdentity, request: AnyRequest
) -> Template:
    """The submissions and items the coordinator reads (see the module). A filter that
    cannot be used: 400, the list without it, the filter's message at it."""
    problems: list[Problem] = []
    try:
        query = read_query(request, ListQuery)
    except FormErrors as errors:
        query = ListQuery()
        problems += errors.problems
    today = _today(tenant)
    async with reads.tenant(tenant.id) as session:
        me = await q.viewer(session, _me(identity))
        scope = await cohorts_in_scope(session, me.id)  # None: every cohort
        cohorts = await q.cohort_choices(session, scope)
        checkpoints = await q.checkpoint_choices(session, cohorts)
        f = _filter(query, cohorts, checkpoints, problems, scope)
        page, counts = await q.items_page(
            session, me.id, f, today=today, number=page_number(query.page)
        )
    filters = {
        k: v
        for k, v in {
            "state": f.state,
            "checkpoint": f.checkpoint,
            "cohort": str(f.cohort_id or ""),
            "q": f.search,
            "sort": "due_desc" if f.newest_first else "",
        }.items()
        if v
    }
    context = _context(
        tenant,
        identity,
        page=page,
        counts=counts,
        f=f,
        cohorts=cohorts,
        checkpoints=checkpoints,
        filters=filters,
        state_links=[
            (s, q.STATE_WORDS[s], counts.get(s, 0), urlencode({**filters, "state": s}))
            for s in q.LIST_STATES
        ],
        today=today,
    )
    if problems:
        return rerender("checkpoints/coordinator_list.html", context, FormErrors(problems))
    return Template("checkpoints/coordinator_list.html", context=context)


# --- one item -------------------------------------------------------------------------------


async def _item_page(
    tenant: Tenant,
    reads: TenantReads,
    identity: Identity,
    item_id: uuid.UUID,
    *,
    errors: Problems | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
    notice: str | None = None,
) -> Template:
    zone = zone_of(tenant)
    async with reads.tenant(tenant.id) as session:
        me = await q.viewer(session, _me(identity))
        scope = await cohorts_in_scope(session, me.id)
        view = await q.item_for_coordinator(session, item_id, me.id, zone=zone, scope=scope)
    context = _context(tenant, identity, view=view, item=view.item, notice=notice)
    if errors is not None:
        return rerender(
            "checkpoints/coordinator_item.html",
            context,
            errors,
            values=values or {},
            status_code=status_code,
        )
    return Template("checkpoints/coordinator_item.html", context=context)


@get(f"{LIST}/{{item_id:uuid}}", name="coordinator_checkpoint", opt=rule(COORDINATOR))
async def coordinator_checkpoint(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    item_id: FromPath[uuid.UUID],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    """One item: its answers read-only, and "Mark as reviewed" while it waits for review."""
    notice = await flash.take(aredis, request, TENANT_COOKIE)
    words = "Marked as reviewed." if (notice or {}).get("kind") == "reviewed" else None
    return await _item_page(tenant, reads, identity, item_id, notice=words)


@post(
    f"{LIST}/{{item_id:uuid}}",
    name="coordinator_checkpoint_post",
    opt=rule(COORDINATOR),
    status_code=303,
)
async def coordinator_checkpoint_post(
    tenant: CurrentTenant,
    db: DB,
    reads: TenantReads,
    identity: CurrentIdentity,
    item_id: FromPath[uuid.UUID],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Response[Any]:
    """Mark the item reviewed (with the note)."""
    try:
        form = await read_form(request, NoteForm)
        async with db.tenant(tenant.id) as session:
            me = await q.viewer(session, _me(identity))
            if (scope := await cohorts_in_scope(session, me.id)) is not None:
                # an item of a pair outside the coordinator's cohorts: not found (404)
                await q.item_for_coordinator(
                    session, item_id, me.id, zone=zone_of(tenant), scope=scope
                )
            await review_item(
                session, tenant, me, item_id, note=form.note, lock_version=form.lock_version
            )
    except Refused as exc:
        problems = Problems([Problem(message=str(exc))])
        return await _item_page(tenant, reads, identity, item_id, errors=problems, status_code=409)
    except Problems as exc:
        return await _item_page(tenant, reads, identity, item_id, errors=exc, status_code=400)
    await flash.put(aredis, request, TENANT_COOKIE, {"kind": "reviewed"})
    return Redirect(f"{base(request)}{LIST}/{item_id}", status_code=303)


# --- tasks ----------------------------------------------------------------------------------


async def _tasks_page(
    tenant: Tenant,
    reads: TenantReads,
    identity: Identity,
    *,
    errors: Problems | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
    failed: uuid.UUID | None = None,
    notice: dict[str, Any] | None = None,
) -> Template:
    async with reads.tenant(tenant.id) as session:
        me = await q.viewer(session, _me(identity))
        scope = await cohorts_in_scope(session, me.id)
        open_tasks, open_total, done = await q.tasks_of(session, me.id, scope=scope)
    context = _context(
        tenant,
        identity,
        open_tasks=open_tasks,
        open_total=open_total,
        done=done,
        failed=failed,
        today=_today(tenant),
        notice=notice,
    )
    if errors is not None:
        return rerender(
            "checkpoints/coordinator_tasks.html",
            context,
            errors,
            values=values or {},
            status_code=status_code,
        )
    return Template("checkpoints/coordinator_tasks.html", context=context)


@get(TASKS, name="coordinator_tasks", opt=rule(COORDINATOR))
async def coordinator_tasks(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    """The coordinator's list: open tasks by due date, the ones done lately."""
    notice = await flash.take(aredis, request, TENANT_COOKIE)
    return await _tasks_page(tenant, reads, identity, notice=notice)


@post(
    f"{TASKS}/{{task_id:uuid}}",
    name="coordinator_task_done",
    opt=rule(COORDINATOR),
    status_code=303,
)
async def coordinator_task_done(
    tenant: CurrentTenant,
    db: DB,
    reads: TenantReads,
    identity: CurrentIdentity,
    task_id: FromPath[uuid.UUID],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Response[Any]:
    """Mark one task done (with the note); back to the list with a notice."""
    values: dict[str, Any] = {}
    try:
        form = await read_form(request, NoteForm)
        values = {"note": form.note}
        async with db.tenant(tenant.id) as session:
            me = await q.viewer(session, _me(identity))
            scope = await cohorts_in_scope(session, me.id)
            await q.require_task_in_scope(session, task_id, me.id, scope)
            task = await complete_task(
                session, tenant, me, task_id, note=form.note, lock_version=form.lock_version
            )
            title = task.title
    except Refused as exc:
        problems = Problems([Problem(message=str(exc))])
        return await _tasks_page(
            tenant, reads, identity, errors=problems, status_code=409, failed=task_id
        )
    except Problems as exc:
        return await _tasks_page(
            tenant, reads, identity, errors=exc, values=values, status_code=400, failed=task_id
        )
    await flash.put(aredis, request, TENANT_COOKIE, {"kind": "task_done", "title": title})
    return Redirect(f"{base(request)}{TASKS}", status_code=303)


ROUTES: list[HTTPRouteHandler] = [
    coordinator_checkpoints,
    coordinator_checkpoint,
    coordinator_checkpoint_post,
    coordinator_tasks,
    coordinator_task_done,
]
