"""The coordinator's page of one application: the answers, the eligibility result, the line
manager's approval, the interview, the history, and a form for each action the state
allows (`queries.application` lists them from `states.allowed_actions`; only those are
shown). Each action is a POST carrying the version of the application the page showed:
a refused transition (409) or a stale form (409: the application changed meanwhile) says so
and changes nothing; bad input is shown at its field (400).

Declining has a page of its own (`coordinator_decline.py`); where the scheme invites those
it could not place to the next intake (Alberta), priority in the next intake can be offered
here afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec
from litestar import get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from mentorhub.applications import queries, queue, services
from mentorhub.applications.views.coordinator_common import (
    RecordForm,
    ScheduleForm,
    Versioned,
    WaitlistForm,
    at,
    check,
    page_context,
    parse_date,
    parse_time,
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

ONE = "/coordinator/applications/{application_id:str}"
S = TypeVar("S", bound=msgspec.Struct)

#: What the notice after an action says.
DONE = {
    "shortlist": "Shortlisted.",
    "schedule_interview": "Interview scheduled; the applicant was told when and how.",
    "record_interview": "Interview recorded as held.",
    "accept": "Accepted into the cohort; the applicant was told.",
    "waitlist": "On the waiting list.",
    "decline": "Declined; the applicant was told.",
    "offer_priority_next_intake": "Priority in the next intake offered; the applicant was told.",
}


def _actor(identity: Identity) -> uuid.UUID:
    assert identity.member_id is not None
    return uuid.UUID(identity.member_id)


def invites_next_intake(scheme: Scheme) -> bool:
    """The scheme tells those it could not place to apply again (Alberta)."""
    return scheme.matching.unmatched == "inform_and_invite_next_cohort"


async def _context(
    db: Database, tenant: Tenant, identity: Identity, application_id: uuid.UUID
) -> dict[str, Any]:
    detail = await queries.application(db, tenant.id, _actor(identity), application_id)
    if not detail.viewer_is_staff:  # (the guard let only staff in; the roles changed since)
        raise NotFound("application")
    found = await queue.around(db, tenant.id, detail.id, detail.cohort_id, services.scheme_of)
    actions = list(detail.actions)
    if not invites_next_intake(found.scheme) and "offer_priority_next_intake" in actions:
        actions.remove("offer_priority_next_intake")
    rule_ = found.scheme.application.interview
    return page_context(
        tenant,
        identity,
        a=detail,
        around=found,
        actions=actions,
        history=[(e, queue.history_words(e.action)) for e in found.history],
        default_format=rule_.format if rule_ else "phone",
        invites=invites_next_intake(found.scheme),
        feedback_offered=found.scheme.application.feedback_to_unsuccessful,
    )


async def _page(
    db: Database,
    tenant: Tenant,
    identity: Identity,
    application_id: uuid.UUID,
    *,
    notice: Any = None,
    errors: Problems | None = None,
    status_code: int = 400,
    form: str | None = None,
    template: str = "applications/review_application.html",
) -> Template:
    context = await _context(db, tenant, identity, application_id)
    context.update(notice=notice, failed_form=form)
    if errors is not None:
        return rerender(template, context, errors, status_code=status_code)
    return Template(template, context=context)


@get(ONE, name="coordinator_application", opt=rule(COORDINATOR))
async def coordinator_application(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    application_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    """One application with the actions its state allows."""
    key = parse_uuid(application_id)
    notice = await flash.take(aredis, request, TENANT_COOKIE)
    return await _page(reads, tenant, identity, key, notice=notice)


async def _act(
    request: AnyRequest,
    tenant: Tenant,
    db: Database,
    identity: Identity,
    aredis: Any,
    application_id: str,
    action: str,
    model: type[S],
    call: Callable[[S, uuid.UUID], Awaitable[Any]],
    show: Callable[[uuid.UUID, Problems], Awaitable[Template]] | None = None,
) -> Response[Any] | Template:
    """Read the action's form, call the action, and go back to the application with a
    notice; or show the page again with what was wrong (nothing was changed)."""
    key = parse_uuid(application_id)

    async def again(k: uuid.UUID, errors: Problems) -> Template:
        return await _page(db, tenant, identity, k, errors=errors, form=action)

    show = show or again
    try:
        form = await read_form(request, model)
        await call(form, key)
    except FormErrors as errors:
        return await show(key, errors)
    except Problems as problems:
        return await show(key, FormErrors(list(problems.problems), values_of(form)))
    except services.StaleForm as stale:
        return await _page(
            db,
            tenant,
            identity,
            key,
            errors=Problems([Problem(message=str(stale))]),
            status_code=409,
        )
    except services.Refused as refused_:
        return await _page(
            db,
            tenant,
            identity,
            key,
            errors=Problems([Problem(message=f"{refused_} Nothing was changed.")]),
            status_code=409,
        )
    await flash.put(aredis, request, TENANT_COOKIE, {"kind": "application", "text": DONE[action]})
    return Redirect(f"{base(request)}/coordinator/applications/{key}", status_code=303)


@post(f"{ONE}/shortlist", name="coordinator_shortlist", opt=rule(COORDINATOR))
async def coordinator_shortlist(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    application_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    async def call(form: Versioned, key: uuid.UUID) -> None:
        await services.shortlist(
            db, tenant.id, _actor(identity), key, lock_version=form.lock_version
        )

    return await _act(
        request, tenant, db, identity, aredis, application_id, "shortlist", Versioned, call
    )


@post(f"{ONE}/accept", name="coordinator_accept", opt=rule(COORDINATOR))
async def coordinator_accept(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    application_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    async def call(form: Versioned, key: uuid.UUID) -> None:
        await services.accept(db, tenant.id, _actor(identity), key, lock_version=form.lock_version)

    return await _act(
        request, tenant, db, identity, aredis, application_id, "accept", Versioned, call
    )


@post(f"{ONE}/waitlist", name="coordinator_waitlist", opt=rule(COORDINATOR))
async def coordinator_waitlist(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    application_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    """On the waiting list at a place (the end when none is given), or moved on it."""

    async def call(form: WaitlistForm, key: uuid.UUID) -> None:
        await services.waitlist(
            db, tenant.id, _actor(identity), key, rank=form.rank, lock_version=form.lock_version
        )

    return await _act(
        request, tenant, db, identity, aredis, application_id, "waitlist", WaitlistForm, call
    )


def _moment(
    tenant: Any,
    form: Any,
    day: tuple[str, str],
    clock: tuple[str, str],
    *,
    future: bool,
) -> datetime:
    """An interview form's date and time fields as one moment in the association's time
    zone, each field's problem at its field; a scheduled interview must be ahead, a held one
    must not."""
    problems: list[Problem] = []
    day_ = parse_date(getattr(form, day[0]), day[0], day[1], problems)
    time_ = parse_time(getattr(form, clock[0]), clock[0], clock[1], problems)
    check(problems, values_of(form))
    assert day_ is not None and time_ is not None
    moment = at(day_, time_, zone_of(tenant))
    ahead = moment > datetime.now(UTC)
    if future and not ahead:
        message = "The interview must be in the future"
    elif not future and ahead:
        message = "The interview cannot be held in the future"
    else:
        return moment
    raise FormErrors([Problem(path=day[0], message=message)], values_of(form))


@post(f"{ONE}/interview", name="coordinator_schedule_interview", opt=rule(COORDINATOR))
async def coordinator_schedule_interview(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    application_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    """Give (or move) the interview: a date and time in the association's time zone."""

    async def call(form: ScheduleForm, key: uuid.UUID) -> None:
        moment = _moment(
            tenant, form, ("interview_date", "Date"), ("interview_time", "Time"), future=True
        )
        await services.schedule_interview(
            db,
            tenant.id,
            _actor(identity),
            key,
            scheduled_at=moment,
            format=form.format,
            lock_version=form.lock_version,
        )

    return await _act(
        request,
        tenant,
        db,
        identity,
        aredis,
        application_id,
        "schedule_interview",
        ScheduleForm,
        call,
    )


@post(f"{ONE}/interview/held", name="coordinator_record_interview", opt=rule(COORDINATOR))
async def coordinator_record_interview(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    application_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    """The interview was held, with notes only coordinators and tenant admins read."""

    async def call(form: RecordForm, key: uuid.UUID) -> None:
        moment = _moment(
            tenant, form, ("held_date", "Date held"), ("held_time", "Time held"), future=False
        )
        await services.record_interview(
            db,
            tenant.id,
            _actor(identity),
            key,
            held_at=moment,
            notes=form.notes,
            lock_version=form.lock_version,
        )

    return await _act(
        request,
        tenant,
        db,
        identity,
        aredis,
        application_id,
        "record_interview",
        RecordForm,
        call,
    )


@post(f"{ONE}/priority", name="coordinator_priority", opt=rule(COORDINATOR))
async def coordinator_priority(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    application_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    """Offer an applicant the scheme could not place priority in the next intake."""

    async def call(form: Versioned, key: uuid.UUID) -> None:
        await services.offer_priority_next_intake(
            db, tenant.id, _actor(identity), key, lock_version=form.lock_version
        )

    return await _act(
        request,
        tenant,
        db,
        identity,
        aredis,
        application_id,
        "offer_priority_next_intake",
        Versioned,
        call,
    )


ROUTES = [
    coordinator_application,
    coordinator_shortlist,
    coordinator_accept,
    coordinator_waitlist,
    coordinator_schedule_interview,
    coordinator_record_interview,
    coordinator_priority,
]
