"""The coordinator's cohorts and recruitment windows: the cohorts with their windows, a new
cohort (name, dates), a role's application window opened (or moved, or reopened) in a
cohort, and a window closed early — the coordinator's decision, after a confirmation page.

Where the scheme lists its windows (`[scheme.application].recruitment_windows`, Museums
Association: mentors for six weeks, then mentees), they are offered in that order, a window
with no closing date lasts the scheme's weeks, and a later role's window may not open
before the earlier role's (mentors before mentees). Dates are days in the association's
time zone: a window opens at the start of its first day and closes at the end of its last.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from mentorhub.applications import queries, services
from mentorhub.applications.views.coordinator_common import (
    CloseForm,
    CohortForm,
    WindowForm,
    at,
    check,
    page_context,
    parse_date,
    parse_uuid,
    zone_of,
)
from mentorhub.core.problems import Problem, Problems
from mentorhub.db import Database
from mentorhub.db.access import NotFound
from mentorhub.identity.guards import COORDINATOR, rule
from mentorhub.identity.sessions import TENANT_COOKIE, Identity
from mentorhub.identity.views._common import AnyRequest, AsyncRedis, base
from mentorhub.schemes.rules import Scheme
from mentorhub.tenancy.models import Tenant
from mentorhub.web import flash
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant, TenantReads
from mentorhub.web.forms import FormErrors, read_form, rerender, values_of

COHORTS = "/coordinator/cohorts"
ONE = COHORTS + "/{cohort_id:str}"
CLOSE = ONE + "/windows/{role:str}/close"
ROLES = ("mentor", "mentee")


def _actor(identity: Identity) -> uuid.UUID:
    assert identity.member_id is not None
    return uuid.UUID(identity.member_id)


def role_order(scheme: Scheme) -> list[tuple[str, int | None]]:
    """The roles' windows in the order the scheme opens them, with their weeks (None where
    the scheme gives none); roles the scheme does not list follow."""
    listed = [(str(w.role), w.weeks) for w in scheme.application.recruitment_windows]
    named = {r for r, _ in listed}
    return listed + [(r, None) for r in ROLES if r not in named]


def _order_words(scheme: Scheme) -> str | None:
    listed = [f"{w.role}s" for w in scheme.application.recruitment_windows]
    if len(listed) < 2:
        return None
    return (
        f"This scheme recruits {' first, then '.join(listed)}, each for the weeks it gives: "
        "a window opens no earlier than the one before it."
    )


async def _cohort(
    db: Database, tenant: Tenant, cohort_id: str
) -> tuple[queries.CohortInfo, Scheme]:
    key = parse_uuid(cohort_id, "cohort")
    for cohort in await queries.cohorts(db, tenant.id):
        if cohort.id == key:
            async with db.tenant(tenant.id) as session:
                return cohort, await services.scheme_of(session, cohort.scheme_version)
    raise NotFound("cohort")


async def _list_page(
    db: Database,
    tenant: Tenant,
    identity: Identity,
    request: AnyRequest,
    aredis: Any,
    errors: Problems | None = None,
) -> Template:
    context = page_context(
        tenant,
        identity,
        cohorts=await queries.cohorts(db, tenant.id),
        notice=None if errors else await flash.take(aredis, request, TENANT_COOKIE),
    )
    if errors is not None:
        return rerender("applications/cohorts.html", context, errors)
    return Template("applications/cohorts.html", context=context)


@get(COHORTS, name="coordinator_cohorts", opt=rule(COORDINATOR))
async def coordinator_cohorts(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    """The cohorts, the latest first, each with its windows; the form for a new one."""
    return await _list_page(reads, tenant, identity, request, aredis)


@post(COHORTS, name="coordinator_cohort_create", opt=rule(COORDINATOR))
async def coordinator_cohort_create(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    """A cohort (name, first and last day) under the association's current scheme."""
    try:
        form = await read_form(request, CohortForm)
        problems: list[Problem] = []
        starts = parse_date(form.starts_on, "starts_on", "Start date", problems)
        ends = parse_date(form.ends_on, "ends_on", "End date", problems)
        check(problems, values_of(form))
        assert starts is not None and ends is not None
        try:
            cohort = await services.create_cohort(
                db, tenant.id, _actor(identity), name=form.name, starts_on=starts, ends_on=ends
            )
        except Problems as refused:
            raise FormErrors(list(refused.problems), values_of(form)) from None
    except FormErrors as errors:
        return await _list_page(db, tenant, identity, request, aredis, errors)
    await flash.put(
        aredis, request, TENANT_COOKIE, {"kind": "cohort", "text": f"Cohort {cohort.name} created."}
    )
    return Redirect(f"{base(request)}{COHORTS}/{cohort.id}", status_code=303)


async def _cohort_page(
    db: Database,
    tenant: Tenant,
    identity: Identity,
    cohort_id: str,
    *,
    notice: Any = None,
    errors: Problems | None = None,
    failed_role: str | None = None,
) -> Template:
    cohort, scheme = await _cohort(db, tenant, cohort_id)
    windows = {w.role: w for w in cohort.windows}
    context = page_context(
        tenant,
        identity,
        cohort=cohort,
        order=role_order(scheme),
        order_words=_order_words(scheme),
        last_day=lambda w: (
            (w.closes_at.astimezone(zone_of(tenant)) - timedelta(seconds=1)).date().isoformat()
        ),
        windows=windows,
        now=datetime.now(zone_of(tenant)),
        notice=notice,
        failed_role=failed_role,
    )
    if errors is not None:
        return rerender("applications/cohort.html", context, errors)
    return Template("applications/cohort.html", context=context)


@get(ONE, name="coordinator_cohort", opt=rule(COORDINATOR))
async def coordinator_cohort(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    cohort_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    """One cohort: each role's window (open, planned or closed), the form that opens or
    moves it, and the way to close an open one early."""
    notice = await flash.take(aredis, request, TENANT_COOKIE)
    return await _cohort_page(reads, tenant, identity, cohort_id, notice=notice)


@post(f"{ONE}/windows", name="coordinator_window_open", opt=rule(COORDINATOR))
async def coordinator_window_open(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    cohort_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    """Open (or move, or reopen) a role's window: from the start of its first day to the
    end of its last (no last day: the scheme's weeks for the role)."""
    cohort, _scheme = await _cohort(db, tenant, cohort_id)
    zone = zone_of(tenant)
    role: str | None = None
    try:
        form = await read_form(request, WindowForm)
        role = form.role
        problems: list[Problem] = []
        opens = parse_date(form.opens_on, f"opens_on_{role}", "Opens on", problems)
        closes = (
            parse_date(form.closes_on, f"closes_on_{role}", "Closes on", problems)
            if form.closes_on.strip()
            else None
        )
        values = {f"opens_on_{role}": form.opens_on, f"closes_on_{role}": form.closes_on}
        check(problems, values)
        assert opens is not None
        opens_at = at(opens, time(0, 0), zone)
        closes_at = at(closes, time(0, 0), zone) + timedelta(days=1) if closes else None
        # The scheme's order (mentors before mentees) is services.open_window's to keep:
        # its refusal is a problem at opens_at, shown at this role's "Opens on".
        try:
            await services.open_window(
                db,
                tenant.id,
                _actor(identity),
                cohort.id,
                role,
                opens_at=opens_at,
                closes_at=closes_at,
            )
        except Problems as refused:
            fields = {"closes_at": f"closes_on_{role}"}
            moved = [
                Problem(
                    path=fields.get(p.path, f"opens_on_{role}") if p.path else "",
                    message=p.message,
                )
                for p in refused.problems
            ]
            raise FormErrors(moved, values) from None
    except FormErrors as errors:
        return await _cohort_page(db, tenant, identity, cohort_id, errors=errors, failed_role=role)
    await flash.put(
        aredis,
        request,
        TENANT_COOKIE,
        {"kind": "window", "text": f"The {role}s' application window is set."},
    )
    return Redirect(f"{base(request)}{COHORTS}/{cohort.id}", status_code=303)


async def _window(db: Database, tenant: Tenant, cohort_id: str, role: str) -> Any:
    cohort, _ = await _cohort(db, tenant, cohort_id)
    for w in cohort.windows:
        if w.role == role:
            return cohort, w
    raise NotFound("window")


async def _close_page(
    db: Database,
    tenant: Tenant,
    identity: Identity,
    cohort_id: str,
    role: str,
    errors: Problems | None = None,
    status_code: int = 400,
) -> Template:
    cohort, window = await _window(db, tenant, cohort_id, role)
    context = page_context(tenant, identity, cohort=cohort, window=window)
    if errors is not None:
        return rerender("applications/cohort_close.html", context, errors, status_code=status_code)
    return Template("applications/cohort_close.html", context=context)


@get(CLOSE, name="coordinator_window_close_form", opt=rule(COORDINATOR))
async def coordinator_window_close_form(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    cohort_id: FromPath[str],
    role: FromPath[str],
) -> Template:
    """Are you sure? What closing now means, and the button."""
    return await _close_page(reads, tenant, identity, cohort_id, role)


@post(CLOSE, name="coordinator_window_close", opt=rule(COORDINATOR))
async def coordinator_window_close(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    cohort_id: FromPath[str],
    role: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    """Close the window now (before its planned end); applications can no longer be
    started or submitted for the role in this cohort."""
    cohort, window = await _window(db, tenant, cohort_id, role)
    try:
        await read_form(request, CloseForm)
        await services.close_window(db, tenant.id, _actor(identity), window.id)
    except FormErrors as errors:
        return await _close_page(db, tenant, identity, cohort_id, role, errors)
    except services.Refused as refused:
        problem = Problems([Problem(message=f"{refused} Nothing was changed.")])
        return await _close_page(db, tenant, identity, cohort_id, role, problem, 409)
    await flash.put(
        aredis,
        request,
        TENANT_COOKIE,
        {"kind": "window", "text": f"The {role}s' application window is closed."},
    )
    return Redirect(f"{base(request)}{COHORTS}/{cohort.id}", status_code=303)


ROUTES = [
    coordinator_cohorts,
    coordinator_cohort_create,
    coordinator_cohort,
    coordinator_window_open,
    coordinator_window_close_form,
    coordinator_window_close,
]
