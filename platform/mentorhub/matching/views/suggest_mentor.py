"""Suggest and accept (AHEP), the mentor's side.

* `/matching/requests`: requests waiting for the mentor's answer, each with the mentee's
  reasons and the answers their form shows to the mentor; the mentor's places (capacity,
  current pairs) and availability: "I'm unavailable (holiday, full, other) until …" and
  "I'm available again" — the profile and application stay.
* `/matching/requests/{id}` (the mail's link): one request, to accept, or to decline with a
  reason. A request the mentor answered, or that passed on, still opens and says so; one not
  addressed to them is 404.

Every action is one call of `matching.suggest_flow`; a refusal (accepting twice, after the
request expired) is shown on the page (409), bad input at its field (400), nothing changed.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import msgspec
from litestar import get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from mentorhub.core.problems import Problem, Problems
from mentorhub.db import Database
from mentorhub.identity.guards import MEMBER, rule
from mentorhub.identity.sessions import Identity
from mentorhub.identity.views._common import AnyRequest, AsyncRedis
from mentorhub.matching import queries_pages
from mentorhub.matching import suggest_flow as flow
from mentorhub.matching.views.suggest_common import (
    CONFLICT,
    context,
    day_in,
    done,
    member_id,
    notice,
    parse_id,
    refused,
)
from mentorhub.pairs.queries import pairs_of_member
from mentorhub.tenancy.models import Tenant
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant, TenantReads
from mentorhub.web.forms import TEXT, FormErrors, choice, field, read_form, rerender

LIST = "matching/suggest_requests.html"
ONE = "matching/suggest_request.html"
REASON_WORDS = {"holiday": "On holiday", "full": "Full for now", "other": "Another reason"}


class DeclineForm(msgspec.Struct, kw_only=True):
    reason: Annotated[str, field("Your reason", kind=TEXT, max_length=2000)] = ""


class AwayForm(msgspec.Struct, kw_only=True):
    reason: Annotated[
        Literal["holiday", "full", "other"] | None,
        choice("Choose why: holiday, full or another reason", label="Why"),
    ] = None
    until: Annotated[str, field("Until", max_length=10)] = ""


async def _list_context(
    db: Database, tenant: Tenant, identity: Identity, **extra: Any
) -> dict[str, Any]:
    me = member_id(identity)
    incoming = await flow.incoming_requests(db, tenant.id, me)
    places = await flow.availability_of(db, tenant.id, me)
    async with db.tenant(tenant.id, read_only=True) as session:
        pairs = [p for p in await pairs_of_member(session, me) if p.viewer_role == "mentor"]
    return context(
        tenant,
        identity,
        incoming=incoming,
        places=places,
        pairs=[p for p in pairs if p.live],
        reason_words=REASON_WORDS,
        **extra,
    )


async def _one_context(
    db: Database, tenant: Tenant, identity: Identity, key: Any, **extra: Any
) -> dict[str, Any]:
    me = member_id(identity)
    async with db.tenant(tenant.id, read_only=True) as session:
        found = await queries_pages.request_for_mentor(session, me, key)
    detail = None
    if found.waiting:
        detail = next(
            (r for r in await flow.incoming_requests(db, tenant.id, me) if r.id == key), None
        )
    return context(tenant, identity, req=found, detail=detail, **extra)


@get("/matching/requests", name="matching_requests", opt=rule(MEMBER))
async def requests(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    """The mentor's requests, places and availability."""
    shown = await notice(request, aredis)
    return Template(LIST, context=await _list_context(reads, tenant, identity, notice=shown))


@get("/matching/requests/{request_id:str}", name="matching_request", opt=rule(MEMBER))
async def one_request(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    request_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    key = parse_id(request_id, "request")
    shown = await notice(request, aredis)
    return Template(ONE, context=await _one_context(reads, tenant, identity, key, notice=shown))


@post("/matching/requests/{request_id:str}/accept", name="matching_accept", opt=rule(MEMBER))
async def accept(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    request_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Redirect:
    """Accept: the pair starts. Twice, after the expiry or a full mentor: refused (409)."""
    key = parse_id(request_id, "request")
    try:
        pair = await flow.accept_request(db, tenant.id, member_id(identity), key)
    except flow.Refused as exc:
        ctx = await _one_context(db, tenant, identity, key)
        return rerender(ONE, ctx, refused(str(exc)), status_code=CONFLICT)
    async with db.tenant(tenant.id, read_only=True) as session:
        found = await queries_pages.request_for_mentor(session, member_id(identity), key)
    return await done(
        request,
        aredis,
        "/matching/requests",
        f"You accepted {found.mentee_name}'s request: your pair started on "
        f"{day_in(tenant, pair.matched_on)}. {found.mentee_name} has been told.",
    )


@post("/matching/requests/{request_id:str}/decline", name="matching_decline", opt=rule(MEMBER))
async def decline(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    request_id: FromPath[str],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Redirect:
    """Decline with a reason (required, at its field); the request passes on by itself."""
    key = parse_id(request_id, "request")
    form: DeclineForm | None = None
    try:
        form = await read_form(request, DeclineForm)
        req = await flow.decline_request(db, tenant.id, member_id(identity), key, form.reason)
    except FormErrors as form_errors:
        return rerender(ONE, await _one_context(db, tenant, identity, key), form_errors)
    except Problems as problems:
        assert form is not None
        errors = FormErrors(problems.problems, msgspec.structs.asdict(form))
        return rerender(ONE, await _one_context(db, tenant, identity, key), errors)
    except flow.Refused as exc:
        ctx = await _one_context(db, tenant, identity, key)
        return rerender(ONE, ctx, refused(str(exc)), status_code=CONFLICT)
    async with db.tenant(tenant.id, read_only=True) as session:
        found = await queries_pages.request_for_mentor(session, member_id(identity), req.id)
    return await done(
        request,
        aredis,
        "/matching/requests",
        f"You declined {found.mentee_name}'s request. They have been told, with your reason.",
    )


def _until(value: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise Problems(
            [Problem(path="until", message="Until must be a date like 2027-03-31")]
        ) from None


@post("/matching/availability", name="matching_unavailable", opt=rule(MEMBER))
async def unavailable(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Redirect:
    """Unavailable (holiday, full, other) until a day or until further notice; requests
    waiting for the mentor pass to each mentee's next choice."""
    form: AwayForm | None = None
    try:
        form = await read_form(request, AwayForm)
        until = _until(form.until)
        await flow.set_unavailable(
            db, tenant.id, member_id(identity), reason=form.reason or "", until=until
        )
    except FormErrors as form_errors:
        return rerender(LIST, await _list_context(db, tenant, identity), form_errors)
    except Problems as problems:
        assert form is not None
        errors = FormErrors(problems.problems, msgspec.structs.asdict(form))
        return rerender(LIST, await _list_context(db, tenant, identity), errors)
    except flow.Refused as exc:
        ctx = await _list_context(db, tenant, identity)
        return rerender(LIST, ctx, refused(str(exc)), status_code=CONFLICT)
    return await done(
        request,
        aredis,
        "/matching/requests",
        "You are marked unavailable"
        + (f" until {day_in(tenant, until)}" if until else "")
        + ": mentees are not offered you meanwhile. Your profile is kept.",
    )


@post("/matching/availability/back", name="matching_available", opt=rule(MEMBER))
async def available(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Redirect:
    try:
        await flow.set_available(db, tenant.id, member_id(identity))
    except flow.Refused as exc:
        ctx = await _list_context(db, tenant, identity)
        return rerender(LIST, ctx, refused(str(exc)), status_code=CONFLICT)
    return await done(
        request,
        aredis,
        "/matching/requests",
        "You are available again: mentees can be offered you where you have a free place.",
    )


ROUTES = [requests, one_request, accept, decline, unavailable, available]
