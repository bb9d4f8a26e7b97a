"""One matching run's pages (see `runs`): its totals, its pairs with the score and the
engine's explanation in words, every unmatched applicant with the reason, the mentors left
without a mentee; pin a pair, forbid a pair, take a pin or forbid away, record a conflict of
interest, run again (each a new draft: the earlier runs stay, to compare); publish after a
confirmation page (refused, saying what changed, when the applicants changed since the run
was computed).

A pin or forbid that breaks a hard rule (or names someone the run cannot match) is refused
at its field by `services.rerun`, nothing stored.
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
from mentorhub.matching.views.runs_common import (
    RUN,
    ConflictForm,
    ForbidForm,
    PinForm,
    PublishForm,
    RemoveForm,
    RunForm,
    actor,
    context,
    plain_words,
)
from mentorhub.pairs.rules import Refused
from mentorhub.tenancy.models import Tenant
from mentorhub.web import flash
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant, TenantReads
from mentorhub.web.forms import FormErrors, read_form, rerender, values_of

ANCHORS = {
    "pin_mentee": "pin_mentee",
    "forbid_mentee": "forbid_mentee",
    "conflict_mentee": "conflict_mentee",
}


async def _run_page(
    db: Database,
    tenant: Tenant,
    identity: Identity,
    run_id: str,
    *,
    notice: Any = None,
    errors: Problems | None = None,
    status_code: int = 400,
    template: str = "matching/runs_run.html",
) -> Template:
    key = parse_uuid(run_id, "matching run")
    me = actor(identity)
    async with db.tenant(tenant.id) as session:
        view = await run_queries.run_view(session, me, key, check_current=True)
        people = await queries_runs.run_people(session, me, key)
        cohort = await queries_runs.cohort_overview(session, me, people.cohort_id)
        members = {p.member for p in people.mentees} | {p.member for p in people.mentors}
        conflicts = await queries_runs.conflicts_of(session, me, members)
    page = context(
        tenant,
        identity,
        view=view,
        run=view.summary,
        people=people,
        cohort=cohort,
        conflicts=conflicts,
        notice=notice,
        anchors=ANCHORS,
    )
    if errors is not None:
        return rerender(template, page, errors, status_code=status_code)
    return Template(template, context=page)


@get(RUN, name="matching_run", opt=rule(COORDINATOR))
async def matching_run(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    run_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    """One run: totals, pairs and why, the unmatched and why; edit and run again."""
    notice = await flash.take(aredis, request, TENANT_COOKIE)
    return await _run_page(reads, tenant, identity, run_id, notice=notice)


def _known(value: str, people: list[queries_runs.Person], key: str, role: str) -> Problem | None:
    if value in {p.application for p in people}:
        return None
    return Problem(path=key, message=f"Choose a {role} from the list")


async def _rerun(
    db: Database,
    tenant: Tenant,
    identity: Identity,
    run_id: str,
    request: AnyRequest,
    aredis: AsyncRedis,
    edit: str,
) -> Response[Any] | Template:
    """Read the edit form, make the new pins and forbids, run again (a new draft)."""
    key = parse_uuid(run_id, "matching run")
    async with db.tenant(tenant.id) as session:
        people = await queries_runs.run_people(session, actor(identity), key)
        cohort = await queries_runs.cohort_overview(session, actor(identity), people.cohort_id)
    pins, forbids = list(people.pins), list(people.forbids)
    moved = {"pins": "pin_mentee", "forbids": "forbid_mentee", "note": "pin_mentee"}
    said = ""
    try:
        values: dict[str, Any] = {}
        if edit in ("pin", "forbid"):
            form: Any = await read_form(request, PinForm if edit == "pin" else ForbidForm)
            values = values_of(form)
            mentee, mentor = values[f"{edit}_mentee"], values[f"{edit}_mentor"]
            problems = [
                p
                for p in (
                    _known(mentee, people.mentees, f"{edit}_mentee", "mentee"),
                    _known(mentor, people.mentors, f"{edit}_mentor", "mentor"),
                )
                if p
            ]
            if problems:
                raise FormErrors(problems, values)
            pair = {"mentee": mentee, "mentor": mentor}
            if edit == "pin":
                pins = [p for p in pins if p["mentee"] != mentee] + [pair]
                said = "Pair pinned"
            else:
                forbids = [p for p in forbids if p != pair] + [pair]
                said = "Pair forbidden"
            moved = {"pins": f"{edit}_mentee", "forbids": f"{edit}_mentee"}
        elif edit == "remove":
            removal = await read_form(request, RemoveForm)
            pair = {"mentee": removal.mentee, "mentor": removal.mentor}
            if removal.kind == "pin":
                pins = [p for p in pins if p != pair]
                said = "Pin taken away"
            else:
                forbids = [p for p in forbids if p != pair]
                said = "Forbid taken away"
        else:
            await read_form(request, RunForm)
            said = "Run again with the same pins and forbids"
        try:
            run = await services.rerun(
                db, tenant.id, actor(identity), key, pins=pins, forbids=forbids
            )
        except Problems as refused:
            errors = [
                Problem(
                    path=moved.get(p.path or "", "") if p.path else "",
                    message=plain_words(p.message, cohort.criteria),
                )
                for p in refused.problems
            ]
            raise FormErrors(errors, values) from None
    except FormErrors as errors:
        return await _run_page(db, tenant, identity, run_id, errors=errors)
    except Refused as refused:
        problem = Problems([Problem(message=f"{refused} Nothing was changed.")])
        return await _run_page(db, tenant, identity, run_id, errors=problem, status_code=409)
    await flash.put(
        aredis,
        request,
        TENANT_COOKIE,
        {"kind": "run", "text": f"{said}: run {run.number} computed, a new draft."},
    )
    return Redirect(f"{base(request)}/coordinator/runs/{run.id}", status_code=303)


@post(RUN + "/pin", name="matching_run_pin", opt=rule(COORDINATOR))
async def matching_run_pin(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    run_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    """Pin a mentee to a mentor and run again."""
    return await _rerun(db, tenant, identity, run_id, request, aredis, "pin")


@post(RUN + "/forbid", name="matching_run_forbid", opt=rule(COORDINATOR))
async def matching_run_forbid(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    run_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    """Forbid a mentee with a mentor and run again."""
    return await _rerun(db, tenant, identity, run_id, request, aredis, "forbid")


@post(RUN + "/remove", name="matching_run_remove", opt=rule(COORDINATOR))
async def matching_run_remove(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    run_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    """Take a pin or a forbid away and run again."""
    return await _rerun(db, tenant, identity, run_id, request, aredis, "remove")


@post(RUN + "/rerun", name="matching_run_again", opt=rule(COORDINATOR))
async def matching_run_again(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    run_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    """Run again with the same pins and forbids (after the applicants or conflicts changed)."""
    return await _rerun(db, tenant, identity, run_id, request, aredis, "again")


@post(RUN + "/conflicts", name="matching_run_conflict", opt=rule(COORDINATOR))
async def matching_run_conflict(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    run_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    """Record a conflict of interest between a mentee and a mentor of the run. The run is
    not changed: its page then says the applicants changed, and "Run again" takes it in."""
    key = parse_uuid(run_id, "matching run")
    async with db.tenant(tenant.id) as session:
        people = await queries_runs.run_people(session, actor(identity), key)
    try:
        form = await read_form(request, ConflictForm)
        values = values_of(form)
        by_app = {p.application: p for p in [*people.mentees, *people.mentors]}
        problems = [
            p
            for p in (
                _known(form.conflict_mentee, people.mentees, "conflict_mentee", "mentee"),
                _known(form.conflict_mentor, people.mentors, "conflict_mentor", "mentor"),
            )
            if p
        ]
        if problems:
            raise FormErrors(problems, values)
        mentee, mentor = by_app[form.conflict_mentee], by_app[form.conflict_mentor]
        try:
            await services.add_conflict(
                db,
                tenant.id,
                actor(identity),
                mentee_id=mentee.member,
                mentor_id=mentor.member,
                reason=form.conflict_reason,
            )
        except Problems as refused:
            fields = {"mentor": "conflict_mentor", "reason": "conflict_reason"}
            raise FormErrors(
                [
                    Problem(path=fields.get(p.path or "", "conflict_mentee"), message=p.message)
                    for p in refused.problems
                ],
                values,
            ) from None
    except FormErrors as errors:
        return await _run_page(db, tenant, identity, run_id, errors=errors)
    await flash.put(
        aredis,
        request,
        TENANT_COOKIE,
        {
            "kind": "conflict",
            "text": f"Conflict of interest recorded: {mentee.name} and {mentor.name}. "
            "Run the matching again to take it into account.",
        },
    )
    return Redirect(f"{base(request)}/coordinator/runs/{people.run_id}", status_code=303)


@get(RUN + "/publish", name="matching_run_publish_form", opt=rule(COORDINATOR))
async def matching_run_publish_form(
    tenant: CurrentTenant, reads: TenantReads, identity: CurrentIdentity, run_id: FromPath[str]
) -> Template:
    """Are you sure? What publishing does (pairs made, everyone mailed), and the button."""
    return await _run_page(reads, tenant, identity, run_id, template="matching/runs_publish.html")


@post(RUN + "/publish", name="matching_run_publish", opt=rule(COORDINATOR))
async def matching_run_publish(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    run_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    """Publish: all the run's pairs and every message, or nothing (refused with what
    changed when the applicants changed since the run was computed)."""
    key = parse_uuid(run_id, "matching run")
    template = "matching/runs_publish.html"
    try:
        await read_form(request, PublishForm)
        run = await services.publish_run(db, tenant.id, actor(identity), key)
    except FormErrors as errors:
        return await _run_page(db, tenant, identity, run_id, errors=errors, template=template)
    except Refused as refused:
        text = str(refused)
        if not isinstance(refused, services.RunStale):
            text += " Nothing was changed."
        problem = Problems([Problem(message=text)])
        return await _run_page(
            db, tenant, identity, run_id, errors=problem, status_code=409, template=template
        )
    await flash.put(
        aredis,
        request,
        TENANT_COOKIE,
        {
            "kind": "run",
            "text": f"Run {run.number} published: {run.pairs_count} "
            f"pair{'' if run.pairs_count == 1 else 's'} made, everyone told by e-mail.",
        },
    )
    return Redirect(f"{base(request)}/coordinator/matching/{run.cohort_id}/pairs", status_code=303)


ROUTES = [
    matching_run,
    matching_run_pin,
    matching_run_forbid,
    matching_run_remove,
    matching_run_again,
    matching_run_conflict,
    matching_run_publish_form,
    matching_run_publish,
]
