"""The applicant's pages: Apply (each cohort's roles, whether applications are open, who may
apply, said before anyone starts) and the application form (save a draft, come back,
submit). The member's own applications (read, the confirmation after submitting, withdraw)
are in `applicant_mine.py`; both are in ROUTES.

The form is the tenant's form configuration (`schemes.forms`) rendered one question kind at a
time. Its input is checked by the forms module first, so bad input shows the error summary at
the top and the message at each question, keeps every answer, and writes nothing. The
actions are `applications.services`' (save_draft, submit). A replayed post or a double click
never makes a second application or a second submission: a save whose answers are already
stored changes nothing; a submit for an application already submitted leads to it; two
first saves racing meet the one-live-application index and the loser goes round again.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template
from redis.asyncio import Redis
from sqlalchemy.exc import IntegrityError

from mentorhub.applications import queries_applicant as queries
from mentorhub.applications import services
from mentorhub.applications.applicant_words import (
    day,
    state_words,
    typed_words,
    when,
    who_can_apply,
)
from mentorhub.applications.states import Refused, State
from mentorhub.applications.views import applicant_mine
from mentorhub.applications.views.applicant_form import (
    ACTION_FIELD,
    VERSION_FIELD,
    fields,
    posted,
    shown,
)
from mentorhub.core.problems import Problem, Problems
from mentorhub.db import Database
from mentorhub.identity.guards import MEMBER, rule
from mentorhub.identity.sessions import TENANT_COOKIE, Identity
from mentorhub.identity.views._common import AnyRequest, AsyncRedis, base
from mentorhub.schemes import forms
from mentorhub.tenancy.models import Tenant
from mentorhub.web import flash
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant

FORM_TEMPLATE = "applications/apply_form.html"


def _member(identity: Identity) -> uuid.UUID:
    assert identity.member_id is not None  # the MEMBER rule checked it
    return uuid.UUID(identity.member_id)


@get("/apply", name="apply", opt=rule(MEMBER))
async def apply(tenant: CurrentTenant, db: DB, identity: CurrentIdentity) -> Template:
    """Each cohort still to run, with each role its scheme has a form for: open now (until
    when), opening later or closed, who may apply, and the member's own application."""
    now = datetime.now(UTC)
    current, offers = await queries.apply_overview(db, tenant.id, _member(identity), now.date())
    organisations = await queries.active_organisations(db, tenant.id)
    roles_without_cohort = []
    if current is not None and not offers:
        roles_without_cohort = [
            (role, who_can_apply(current, role, organisations))
            for role in services.ROLES
            if forms.form_for(current, role) is not None
        ]
    return Template(
        "applications/apply.html",
        context={
            "tenant": tenant,
            "identity": identity,
            "offers": offers,
            "organisations": organisations,
            "who_can_apply": who_can_apply,
            "roles_without_cohort": roles_without_cohort,
            "state_words": state_words,
            "day": day,
            "when": when,
        },
    )


def _form_context(
    tenant: Tenant, identity: Identity, target: queries.FormTarget, **extra: Any
) -> dict[str, Any]:
    app = target.application
    return {
        "tenant": tenant,
        "identity": identity,
        "target": target,
        "fields": fields(target.form),
        "who": who_can_apply(target.scheme, target.role, target.organisations),
        "application": app,
        "version": app.lock_version if app is not None else "",
        "action_field": ACTION_FIELD,
        "version_field": VERSION_FIELD,
        "when": when,
        "day": day,
        **extra,
    }


def _anchors(target: queries.FormTarget) -> dict[str, str]:
    return {f.question.id: f.anchor for f in fields(target.form)}


def _again(
    tenant: Tenant,
    identity: Identity,
    target: queries.FormTarget,
    problems: list[Problem],
    data: dict[str, list[str]],
    status_code: int,
) -> Template:
    """The form again with its problems (summary at the top, message at each question) and
    every answer as it was posted. Nothing was written."""
    context = _form_context(tenant, identity, target, anchors=_anchors(target))
    labels = {q.id: q.label for q in target.form.questions}
    summary = [  # the summary names each question; the message at the question need not
        Problem(path=p.path, message=f"{_short(labels[p.path])} — {p.message}")
        if p.path in labels
        else p
        for p in problems
    ]
    return Template(
        FORM_TEMPLATE,
        context={
            **context,
            "errors": Problems(problems),
            "summary": Problems(summary),
            "values": shown(data),
            "unsaved": _unsaved(target, shown(data)),
        },
        status_code=status_code,
    )


def _unsaved(target: queries.FormTarget, values: dict[str, list[str]]) -> list[tuple[str, str]]:
    """What was posted, question by question, in the form's own words ("Yes, I agree", not
    "yes"): shown to copy when the answers could not be kept (the window had closed)."""
    out = []
    for q in target.form.questions:
        said = typed_words(q, values.get(q.id, []))
        if said:
            out.append((q.label, said))
    return out


def _short(label: str, most: int = 70) -> str:
    return label if len(label) <= most else label[: most - 1].rsplit(" ", 1)[0] + "…"


@get("/apply/{cohort_id:str}/{role:str}", name="apply_form", opt=rule(MEMBER))
async def apply_form(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    cohort_id: FromPath[str],
    role: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Response[Any]:
    """The form, with the member's draft if there is one. An application already submitted
    leads to its own page; a window that is not open says so instead of the form."""
    target = await queries.form_target(db, tenant.id, _member(identity), cohort_id, role)
    app = target.application
    if app is not None and app.state != State.DRAFT:
        return Redirect(f"{base(request)}/applications/{app.id}", status_code=303)
    notice = await flash.take(aredis, request, TENANT_COOKIE)
    values = forms.form_values(target.form, app.answers) if app is not None else {}
    context = _form_context(tenant, identity, target, notice=notice)
    return Template(FORM_TEMPLATE, context={**context, "errors": None, "values": values})


@post(
    "/apply/{cohort_id:str}/{role:str}",
    name="apply_form_post",
    opt=rule(MEMBER),
    status_code=303,
)
async def apply_form_post(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    cohort_id: FromPath[str],
    role: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Response[Any]:
    """Save the draft, or submit. Bad answers: the form again (400); the window not open or
    the draft changed elsewhere: the form again with why (409). Nothing is written then."""
    data, action, version = await posted(request)
    for attempt in range(2):  # a first save that lost a race goes round once more
        try:
            return await _apply(
                tenant, db, identity, cohort_id, role, request, aredis, data, action, version
            )
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


async def _apply(
    tenant: Tenant,
    db: Database,
    identity: Identity,
    cohort_id: str,
    role: str,
    request: AnyRequest,
    aredis: Redis,
    data: dict[str, list[str]],
    action: str | None,
    version: int | None,
) -> Template | Response[Any]:
    member = _member(identity)
    target = await queries.form_target(db, tenant.id, member, cohort_id, role)
    app = target.application
    if app is not None and app.state != State.DRAFT:
        # Submitted already (a replayed or double-clicked submit): nothing to do again.
        return Redirect(f"{base(request)}/applications/{app.id}", status_code=303)
    if action is None:
        problem = Problem(message="Choose “Save draft” or “Submit application”.")
        return _again(tenant, identity, target, [problem], data, 400)
    if target.closed_words is not None:
        return _again(
            tenant,
            identity,
            target,
            [Problem(message=target.closed_words + " Your answers were not saved.")],
            data,
            409,
        )
    final = action == "submit"
    answers, errors = forms.parse_answers(
        target.form, data, final=final, organisations=target.organisations
    )
    if errors:
        problems = [Problem(path=e.field, message=e.message) for e in errors]
        return _again(tenant, identity, target, problems, data, 400)
    try:
        if app is None:
            saved = await services.save_draft(
                db, tenant.id, member, cohort_id=target.cohort.id, role=role, data=data
            )
            app_id, lock = saved.id, None
        else:
            app_id, lock = app.id, version
            if not final and app.answers != answers:  # (the same answers again: a replay)
                await services.save_draft(
                    db,
                    tenant.id,
                    member,
                    cohort_id=target.cohort.id,
                    role=role,
                    data=data,
                    lock_version=version,
                )
        if final:
            await services.submit(db, tenant.id, member, app_id, data=data, lock_version=lock)
    except Problems as exc:
        return _again(tenant, identity, target, exc.problems, data, 400)
    except Refused as exc:
        again = await queries.form_target(db, tenant.id, member, cohort_id, role)
        if again.application is not None and again.application.state != State.DRAFT:
            # Another request (the first of a double click) submitted it meanwhile.
            return Redirect(f"{base(request)}/applications/{again.application.id}", status_code=303)
        return _again(tenant, identity, again, [Problem(message=str(exc))], data, 409)
    if final:
        return Redirect(f"{base(request)}/applications/{app_id}/submitted", status_code=303)
    await flash.put(aredis, request, TENANT_COOKIE, {"kind": "draft_saved"})
    return Redirect(f"{base(request)}/apply/{target.cohort.id}/{role}", status_code=303)


ROUTES = [apply, apply_form, apply_form_post, *applicant_mine.ROUTES]
