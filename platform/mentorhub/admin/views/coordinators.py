"""The tenant admin's coordinators page (issue 17, point 3), mounted on `/t/{tenant_slug}`:

* `GET /admin/coordinators` [admin_coordinators]: the members with the coordinator role, the
  cohorts each runs ("all cohorts" when none is chosen), and a form per coordinator.
* `POST /admin/coordinators/{member_id}` [admin_coordinator_scope]: set the cohorts
  (checkboxes; none chosen: every cohort) — `settings_services.set_coordinator_scope`,
  audited as `coordinator.scope_changed`. A cohort that is not the tenant's: 400, nothing
  changed; a member who is not a coordinator here: 404.
* `POST /admin/coordinators/add` [admin_coordinator_add]: give the coordinator role to an
  e-mail address through `identity.services.change_roles` — the one path for roles: an
  unknown address is listed and linked at its first sign-in, the change is audited and
  mailed, the member's sessions end so the role holds at once.

Every route carries `rule(TENANT_ADMIN)`.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import Response, Template

from mentorhub.admin import settings_queries as q
from mentorhub.admin import settings_services as services
from mentorhub.admin.views._common import actor_id, back_with_notice, form_page
from mentorhub.core.problems import Problem, Problems
from mentorhub.identity import services as identity_services
from mentorhub.identity.guards import TENANT_ADMIN, rule
from mentorhub.identity.models import Role
from mentorhub.identity.sessions import TENANT_COOKIE, Identity
from mentorhub.identity.views._common import AnyRequest, AsyncRedis, Sessions
from mentorhub.tenancy.models import Tenant
from mentorhub.web import flash
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant, TenantReads
from mentorhub.web.forms import EMAIL, NAME, FormErrors, field, read_form

PAGE = "/admin/coordinators"
TEMPLATE = "admin/coordinators.html"


class ScopeForm(msgspec.Struct, kw_only=True):
    cohorts: Annotated[list[str], field("Cohorts", max_length=36)] = []


class AddForm(msgspec.Struct, kw_only=True):
    email: Annotated[str, field("E-mail address", kind=EMAIL, required=True)]
    name: Annotated[str, field("Name", kind=NAME, max_length=200)] = ""


def scope_field(member_id: uuid.UUID | str) -> str:
    """The form key a coordinator's cohort problems are shown at (their fieldset's id)."""
    return f"cohorts-{member_id}"


async def _page(
    tenant: Tenant,
    reads: TenantReads,
    identity: Identity,
    *,
    errors: Problems | None = None,
    values: dict[str, Any] | None = None,
    status_code: int | None = None,
    notice: dict[str, Any] | None = None,
    failed: uuid.UUID | None = None,
) -> Template:
    async with reads.tenant(tenant.id) as session:
        rows = await q.coordinators(session)
        cohorts = await q.cohort_options(session)
    context = {
        "tenant": tenant,
        "identity": identity,
        "coordinators": rows,
        "cohorts": cohorts,
        "notice": notice,
        "failed": str(failed) if failed else None,
        "scope_field": scope_field,
    }
    return form_page(TEMPLATE, context, values or {}, errors, status_code=status_code or 400)


@get(PAGE, name="admin_coordinators", opt=rule(TENANT_ADMIN))
async def admin_coordinators(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    notice = await flash.take(aredis, request, TENANT_COOKIE)
    return await _page(tenant, reads, identity, notice=notice)


@post(f"{PAGE}/add", name="admin_coordinator_add", opt=rule(TENANT_ADMIN), status_code=303)
async def admin_coordinator_add(
    tenant: CurrentTenant,
    db: DB,
    reads: TenantReads,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
    sessions: Sessions,
) -> Template | Response[Any]:
    """Give an address the coordinator role (see the module)."""
    try:
        form = await read_form(request, AddForm)
    except FormErrors as errors:
        return await _page(tenant, reads, identity, errors=errors)
    change = await identity_services.change_roles(
        db,
        tenant.id,
        email=form.email,
        name=form.name or None,
        add=[Role.COORDINATOR.value],
        actor=identity.email,
        sessions=sessions,
    )
    notice = {
        "kind": "added",
        "name": change.name or change.email,
        "email": change.email,
        "created": change.created,
        "changed": change.changed,
    }
    return await back_with_notice(aredis, request, PAGE, notice)


@post(
    f"{PAGE}/{{member_id:uuid}}",
    name="admin_coordinator_scope",
    opt=rule(TENANT_ADMIN),
    status_code=303,
)
async def admin_coordinator_scope(
    tenant: CurrentTenant,
    db: DB,
    reads: TenantReads,
    identity: CurrentIdentity,
    member_id: FromPath[uuid.UUID],
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template | Response[Any]:
    """Set the cohorts a coordinator runs (none chosen: every cohort)."""
    where = scope_field(member_id)
    refused = Problems([Problem(path=where, message="Choose cohorts from the list")])
    try:
        form = await read_form(request, ScopeForm)
        cohort_ids = [uuid.UUID(c) for c in form.cohorts]
    except (FormErrors, ValueError):
        return await _page(tenant, reads, identity, errors=refused, failed=member_id)
    try:
        change = await services.set_coordinator_scope(
            db,
            tenant.id,
            member_id,
            cohort_ids,
            actor=identity.email,
            actor_id=actor_id(identity),
        )
    except Problems:
        return await _page(tenant, reads, identity, errors=refused, failed=member_id)
    notice = {
        "kind": "scope",
        "name": change.name,
        "cohorts": list(change.after),
        "changed": change.changed,
    }
    return await back_with_notice(aredis, request, PAGE, notice)


ROUTES: list[HTTPRouteHandler] = [
    admin_coordinators,
    admin_coordinator_add,
    admin_coordinator_scope,
]
