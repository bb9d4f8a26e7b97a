"""The tenant admin's board ratifications (Alberta: `board_ratification = true`): the
members whose application waits for the Board, ticked together and ratified on one date
(others by e-mail address), the ratifications recorded, and revoking one recorded by mistake
(after a confirmation). Elsewhere the page says the scheme needs none."""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from mentorhub.applications import records
from mentorhub.applications.records_forms import RatifyForm, iso_date, split_emails
from mentorhub.applications.views.records_common import (
    actor,
    back_to,
    context,
    listing,
    notify,
    taken,
    unused,
)
from mentorhub.core.problems import Problems
from mentorhub.identity.guards import TENANT_ADMIN, rule
from mentorhub.identity.views._common import AnyRequest, AsyncRedis
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant
from mentorhub.web.forms import FormErrors, read_form, rerender, values_of

PATH = "/admin/ratifications"
LIST = "applications/records_ratifications.html"
REVOKE = "applications/records_ratification_revoke.html"


async def _ctx(request: AnyRequest, db: DB, tenant: Any, identity: Any) -> dict[str, Any]:
    features = await records.features(db, tenant.id)
    return await context(request, tenant, identity, features)


async def _list(
    request: AnyRequest,
    db: DB,
    ctx: dict[str, Any],
    errors: Problems | None = None,
    values: dict[str, Any] | None = None,
    notice: Any = None,
) -> Template:
    query = listing(request)
    tenant_id = ctx["tenant"].id
    page = await records.ratifications_page(db, tenant_id, search=query.q, number=query.number)
    waiting = await records.awaiting_ratification(db, tenant_id)
    shown = {
        **ctx,
        "page": page,
        "q": query.q,
        "waiting": waiting,
        "waiting_max": records.RATIFY_MAX,
        "notice": notice,
    }
    errors = errors if errors is not None else query.bad
    if errors is not None:
        return rerender(LIST, shown, errors, values=values)
    return Template(LIST, context=shown)


@get(PATH, name="records_ratifications", opt=rule(TENANT_ADMIN))
async def ratifications(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    ctx = await _ctx(request, db, tenant, identity)
    if not ctx["features"].ratification:
        return unused("ratification", ctx)
    return await _list(request, db, ctx, notice=await taken(aredis, request))


@post(PATH, name="records_ratify", opt=rule(TENANT_ADMIN), status_code=303)
async def ratify(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Redirect | Template:
    """Record the Board's ratification of the ticked members and those given by e-mail
    address, on one date: all of them or none. Sent twice, it records nothing more (the
    same member and date is held once)."""
    ctx = await _ctx(request, db, tenant, identity)
    if not ctx["features"].ratification:
        return unused("ratification", ctx, status_code=400)
    values: dict[str, Any] = {}
    try:
        form = await read_form(request, RatifyForm)
        values = values_of(form)
        ratified_on, bad_date = iso_date(form.ratified_on, "ratified_on", "Date of ratification")
        count = await records.record_ratifications(
            db,
            tenant.id,
            actor(identity),
            member_ids=form.members,
            emails=split_emails(form.emails),
            ratified_on=ratified_on,
            note=form.note,
            found=[bad_date] if bad_date else [],
        )
    except FormErrors as errors:
        return await _list(request, db, ctx, errors)
    except Problems as problems:
        return await _list(request, db, ctx, problems, values=values)
    assert ratified_on is not None  # (the action refuses a missing date)
    await notify(aredis, request, kind="ratified", count=count, on=ratified_on.isoformat())
    return back_to(request, PATH)


@get(f"{PATH}/{{ratification_id:str}}/revoke", name="records_revoke", opt=rule(TENANT_ADMIN))
async def revoke_page(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    request: AnyRequest,
    ratification_id: FromPath[str],
) -> Template:
    ctx = await _ctx(request, db, tenant, identity)
    entry = await records.ratification_entry(db, tenant.id, ratification_id)  # NotFound: 404
    return Template(REVOKE, context={**ctx, "entry": entry})


@post(
    f"{PATH}/{{ratification_id:str}}/revoke",
    name="records_revoke_confirmed",
    opt=rule(TENANT_ADMIN),
    status_code=303,
)
async def revoke(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
    ratification_id: FromPath[str],
) -> Redirect:
    """Revoke it (audited); the member's applications are evaluated again. Already revoked
    (the form sent twice): the 404 page, nothing more changes."""
    row = await records.revoke_ratification(db, tenant.id, actor(identity), ratification_id)
    await notify(aredis, request, kind="revoked", on=row.ratified_on.isoformat())
    return back_to(request, PATH)


ROUTES = [ratifications, ratify, revoke_page, revoke]
