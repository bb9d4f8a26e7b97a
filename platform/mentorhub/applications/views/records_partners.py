"""The tenant admin's list of partner organisations (Advice Skills Academy): list, add,
rename, deactivate and reactivate. Shown where the scheme is open to partner
organisations; elsewhere the page says why there is no list."""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from mentorhub.applications import records
from mentorhub.applications.records_forms import ActiveForm, NameForm
from mentorhub.applications.views.records_common import (
    actor,
    back_to,
    context,
    notify,
    taken,
    unused,
)
from mentorhub.core.problems import Problem, Problems
from mentorhub.identity.guards import TENANT_ADMIN, rule
from mentorhub.identity.views._common import AnyRequest, AsyncRedis
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant
from mentorhub.web.forms import FormErrors, read_form, rerender

PATH = "/admin/partner-organisations"
LIST = "applications/records_partners.html"
RENAME = "applications/records_partner_rename.html"


async def _list(
    db: DB,
    ctx: dict[str, Any],
    errors: Problems | None = None,
    values: dict[str, Any] | None = None,
    notice: Any = None,
) -> Template:
    organisations = await records.partner_organisations(db, ctx["tenant"].id)
    page = {**ctx, "organisations": organisations, "notice": notice}
    if errors is not None:
        return rerender(LIST, page, errors, values=values)
    return Template(LIST, context=page)


@get(PATH, name="records_partners", opt=rule(TENANT_ADMIN))
async def partners(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    features = await records.features(db, tenant.id)
    ctx = await context(request, tenant, identity, features)
    if not features.partner_organisations:
        return unused("partners", ctx)
    return await _list(db, ctx, notice=await taken(aredis, request))


@post(PATH, name="records_partner_add", opt=rule(TENANT_ADMIN), status_code=303)
async def partner_add(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Redirect | Template:
    """Add one organisation; it is offered on the application forms at once."""
    features = await records.features(db, tenant.id)
    ctx = await context(request, tenant, identity, features)
    if not features.partner_organisations:
        return unused("partners", ctx, status_code=400)
    try:
        form = await read_form(request, NameForm)
        added = await records.add_partner_organisation(db, tenant.id, actor(identity), form.name)
    except FormErrors as errors:
        return await _list(db, ctx, errors)
    except Problems as problems:
        return await _list(db, ctx, problems, values={"name": form.name})
    await notify(aredis, request, kind="added", name=added.name)
    return back_to(request, PATH)


@get(
    f"{PATH}/{{organisation_id:str}}/rename", name="records_partner_rename", opt=rule(TENANT_ADMIN)
)
async def partner_rename_page(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    request: AnyRequest,
    organisation_id: FromPath[str],
) -> Template:
    features = await records.features(db, tenant.id)
    ctx = await context(request, tenant, identity, features)
    if not features.partner_organisations:
        return unused("partners", ctx)
    found = await records.organisation(db, tenant.id, organisation_id)  # NotFound: 404
    return Template(RENAME, context={**ctx, "organisation": found, "values": {"name": found.name}})


@post(
    f"{PATH}/{{organisation_id:str}}/rename",
    name="records_partner_rename_save",
    opt=rule(TENANT_ADMIN),
    status_code=303,
)
async def partner_rename(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
    organisation_id: FromPath[str],
) -> Redirect | Template:
    """Correct a name; applications that chose the organisation follow the new name."""
    features = await records.features(db, tenant.id)
    ctx = await context(request, tenant, identity, features)
    if not features.partner_organisations:
        return unused("partners", ctx, status_code=400)
    found = await records.organisation(db, tenant.id, organisation_id)
    page = {**ctx, "organisation": found}
    try:
        form = await read_form(request, NameForm)
        renamed = await records.rename_partner_organisation(
            db, tenant.id, actor(identity), found.id, form.name
        )
    except FormErrors as errors:
        return rerender(RENAME, page, errors)
    except Problems as problems:
        return rerender(RENAME, page, FormErrors(problems.problems, {"name": form.name}))
    await notify(aredis, request, kind="renamed", name=renamed.name, old=found.name)
    return back_to(request, PATH)


@post(
    f"{PATH}/{{organisation_id:str}}/active",
    name="records_partner_active",
    opt=rule(TENANT_ADMIN),
    status_code=303,
)
async def partner_active(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
    organisation_id: FromPath[str],
) -> Redirect | Template:
    """Deactivate (no longer offered on the forms; applications keep their answer) or
    reactivate an organisation."""
    features = await records.features(db, tenant.id)
    ctx = await context(request, tenant, identity, features)
    if not features.partner_organisations:
        return unused("partners", ctx, status_code=400)
    try:
        form = await read_form(request, ActiveForm)
    except FormErrors as errors:  # (a hidden field: the summary says it, linking nowhere)
        await records.organisation(db, tenant.id, organisation_id)  # another tenant's: 404
        return await _list(db, ctx, Problems(Problem(message=p.message) for p in errors.problems))
    row = await records.set_partner_organisation_active(
        db, tenant.id, actor(identity), organisation_id, form.active == "yes"
    )
    await notify(aredis, request, kind="activated" if row.active else "deactivated", name=row.name)
    return back_to(request, PATH)


ROUTES = [partners, partner_add, partner_rename_page, partner_rename, partner_active]
