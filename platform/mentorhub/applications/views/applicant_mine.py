"""The member's own applications: the list, one application (its state in plain words,
what happens next, why it cannot go ahead, the coordinator's feedback, the answers read
back), the confirmation after submitting, and withdrawing (a confirmation page, then a
POST). Only the member's own: anything else is the 404 page. Interview notes and other
coordinator-only content are never read here (`queries_applicant`)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from mentorhub.applications import queries_applicant as queries
from mentorhub.applications import services
from mentorhub.applications.applicant_words import (
    answer_words,
    check_rows,
    day,
    interview_format,
    next_steps,
    state_words,
    when,
)
from mentorhub.applications.queries_applicant import MyApplication
from mentorhub.applications.services import window_words
from mentorhub.applications.states import LIVE, Refused, State, state_label
from mentorhub.core.problems import Problem, Problems
from mentorhub.identity.guards import MEMBER, rule
from mentorhub.identity.sessions import TENANT_COOKIE, Identity
from mentorhub.identity.views._common import AnyRequest, AsyncRedis, base
from mentorhub.schemes import forms
from mentorhub.tenancy.models import Tenant
from mentorhub.web import flash
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant


def _member(identity: Identity) -> uuid.UUID:
    assert identity.member_id is not None  # the MEMBER rule checked it
    return uuid.UUID(identity.member_id)


def _window_closes(app: MyApplication) -> Any:
    w = app.window
    if w is None:
        return None
    return min(w.closes_at, w.closed_at) if w.closed_at else w.closes_at


def steps(app: MyApplication, tenant: Tenant) -> list[str]:
    return next_steps(
        app.scheme,
        app.role,
        app.state,
        waiting_for=app.waiting_for,
        window_closes=_window_closes(app),
        interview_at=app.interview_at,
        interview_format_=app.interview_format,
        waitlist_rank=app.waitlist_rank,
        priority_next_intake=app.priority_next_intake,
        feedback_sent=app.feedback is not None,
        contact_email=str(tenant.branding.get("contact_email") or ""),
        ineligible_rule=app.ineligible_rule,
        window_shut=window_words(app.window, app.role, datetime.now(UTC)),
    )


def answers_read_back(app: MyApplication) -> list[tuple[forms.Question, str]]:
    """Every question of the form with the answer given (or "Not answered")."""
    form = app.form
    if form is None:
        return []
    return [(q, answer_words(q, app.answers.get(q.id))) for q in form.questions]


def checks(app: MyApplication, tenant: Tenant) -> list[tuple[str, str]]:
    """The approvals and records the application needed, once there is something to say
    (a draft has asked nobody yet)."""
    if app.state == State.DRAFT:
        return []
    return check_rows(
        line_manager=app.line_manager,
        ratification=app.ratification,
        training=app.training,
        now=datetime.now(UTC),
        contact_email=str(tenant.branding.get("contact_email") or ""),
    )


def _context(tenant: Tenant, identity: Identity, **extra: Any) -> dict[str, Any]:
    return {
        "tenant": tenant,
        "identity": identity,
        "state_words": state_words,
        "state_label": state_label,
        "steps": lambda app: steps(app, tenant),
        "day": day,
        "when": when,
        "interview_format": interview_format,
        "withdrawable": lambda app: State(app.state) in LIVE,
        **extra,
    }


@get("/applications", name="my_applications", opt=rule(MEMBER))
async def my_applications(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    found = await queries.my_applications(db, tenant.id, _member(identity))
    notice = await flash.take(aredis, request, TENANT_COOKIE)
    return Template(
        "applications/my_applications.html",
        context=_context(tenant, identity, applications=found, notice=notice),
    )


@get("/applications/{application_id:str}", name="my_application", opt=rule(MEMBER))
async def my_application(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    application_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    app = await queries.my_application(db, tenant.id, _member(identity), application_id)
    notice = await flash.take(aredis, request, TENANT_COOKIE)
    return Template(
        "applications/my_application.html",
        context=_context(
            tenant,
            identity,
            app=app,
            answers=answers_read_back(app),
            checks=checks(app, tenant),
            notice=notice,
        ),
    )


@get(
    "/applications/{application_id:str}/submitted",
    name="my_application_submitted",
    opt=rule(MEMBER),
)
async def my_application_submitted(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    application_id: FromPath[str],
    request: AnyRequest,
) -> Template | Response[Any]:
    """The confirmation after submitting: received, and what happens next. A draft (not
    submitted yet) goes back to its form."""
    app = await queries.my_application(db, tenant.id, _member(identity), application_id)
    if app.state == State.DRAFT or app.submitted_at is None:
        return Redirect(f"{base(request)}/apply/{app.cohort_id}/{app.role}", status_code=303)
    form = app.form
    approver = forms.approver_address(form, app.answers) if form is not None else None
    return Template(
        "applications/my_application_submitted.html",
        context=_context(
            tenant,
            identity,
            app=app,
            approver=approver if "line_manager" in app.waiting_for else None,
            link_days=services.APPROVAL_VALID_DAYS,
        ),
    )


@get(
    "/applications/{application_id:str}/withdraw",
    name="my_application_withdraw",
    opt=rule(MEMBER),
)
async def my_application_withdraw(
    tenant: CurrentTenant, db: DB, identity: CurrentIdentity, application_id: FromPath[str]
) -> Template:
    """Are you sure? (Withdrawing is a POST from here.)"""
    app = await queries.my_application(db, tenant.id, _member(identity), application_id)
    return Template(
        "applications/my_application_withdraw.html",
        context=_context(tenant, identity, app=app, errors=None),
    )


@post(
    "/applications/{application_id:str}/withdraw",
    name="my_application_withdraw_post",
    opt=rule(MEMBER),
    status_code=303,
)
async def my_application_withdraw_post(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    application_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Response[Any]:
    """Withdraw (a replay changes nothing more); refused from a final state (409)."""
    member = _member(identity)
    app = await queries.my_application(db, tenant.id, member, application_id)
    try:
        await services.withdraw(db, tenant.id, member, app.id)
    except Refused as exc:
        return Template(
            "applications/my_application_withdraw.html",
            context=_context(
                tenant, identity, app=app, errors=Problems([Problem(message=str(exc))])
            ),
            status_code=409,
        )
    await flash.put(aredis, request, TENANT_COOKIE, {"kind": "withdrawn"})
    return Redirect(f"{base(request)}/applications/{app.id}", status_code=303)


ROUTES = [
    my_applications,
    my_application,
    my_application_submitted,
    my_application_withdraw,
    my_application_withdraw_post,
]
