"""The platform console's pages (platform admins only, `/platform/...`): the tenants with
their usage, creating one, and one tenant's details — hostnames and their verification,
single sign-on, suspend and resume, what platform admins did to it.

Routes (all `rule(PLATFORM_ADMIN)`):

* GET `/platform/tenants` [platform_tenants]: every tenant, its hostnames, status, created,
  and this month's counts (members, active pairs, mails sent since the 1st, UTC).
* GET/POST `/platform/tenants/new` [platform_tenant_new / platform_tenant_create].
* GET `/platform/tenants/{slug}` [platform_tenant].
* POST `/platform/tenants/{slug}/hostnames` [platform_hostname_add],
  `.../hostnames/{hostname}/verify` [platform_hostname_verify],
  `.../hostnames/{hostname}/remove` [platform_hostname_remove].
* POST `/platform/tenants/{slug}/sso` [platform_tenant_sso].
* GET `/platform/tenants/{slug}/suspend` [platform_tenant_suspend_confirm] (the confirm
  step, with the reason), POST `/platform/tenants/{slug}/suspend` [platform_tenant_suspend],
  POST `/platform/tenants/{slug}/resume` [platform_tenant_resume].

After a change the browser is sent back to the tenant's page (303) with `?done=<what>`,
which the page says in words. Bad input: the page again with the error summary, 400,
nothing changed.

An unknown tenant or hostname: `lifecycle.NotFound`, which answers the 404 page itself.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from mentorhub.core.problems import Problem, Problems
from mentorhub.identity.guards import PLATFORM_ADMIN, rule
from mentorhub.identity.oidc import OidcClient
from mentorhub.identity.services import SsoForm, SsoProblems, sso_overview
from mentorhub.settings import Settings
from mentorhub.tenancy import lifecycle, usage
from mentorhub.tenancy.models import Tenant
from mentorhub.tenancy.verify import ChallengeFailed, challenge_url
from mentorhub.web.deps import DB, CurrentIdentity
from mentorhub.web.forms import (
    EMAIL,
    IDENTIFIER,
    LINE,
    SECRET,
    TEXT,
    URL,
    FormErrors,
    field,
    read_form,
    rerender,
    values_of,
)

AnyRequest = Request[Any, Any, Any]
ROOT = "/platform/tenants"

#: What `?done=` says on the tenant's page.
DONE = {
    "created": "The tenant was created. Its first administrator has been e-mailed.",
    "hostname_added": "The hostname was added. It routes once verified.",
    "hostname_verified": "The hostname answered its challenge: it is verified and routes now.",
    "hostname_removed": "The hostname was removed.",
    "sso_stored": "Single sign-on was stored and is active.",
    "suspended": "The tenant is suspended.",
    "resumed": "The tenant is active again.",
}


class NewTenantFields(msgspec.Struct, kw_only=True):
    slug: Annotated[str, field("Slug", kind=IDENTIFIER, max_length=63)] = ""
    name: Annotated[str, field("Name", kind=LINE, max_length=200)] = ""
    jurisdiction: Annotated[str, field("Jurisdiction", kind=IDENTIFIER, max_length=16)] = ""
    hostnames: Annotated[str, field("Hostnames", kind=TEXT, max_length=3000)] = ""
    admin_email: Annotated[
        str, field("First administrator's e-mail", kind=EMAIL, max_length=320)
    ] = ""
    scheme: Annotated[str, field("Starting scheme", kind=IDENTIFIER, max_length=100)] = ""


class HostnameFields(msgspec.Struct, kw_only=True):
    hostname: Annotated[str, field("Hostname", kind=IDENTIFIER, max_length=253)] = ""


class SsoFields(msgspec.Struct, kw_only=True):
    issuer: Annotated[str, field("Issuer URL", kind=URL, max_length=500)] = ""
    client_id: Annotated[str, field("Client ID", kind=IDENTIFIER, max_length=255)] = ""
    client_secret: Annotated[str, field("Client secret", kind=SECRET, max_length=1000)] = ""
    scopes: Annotated[str, field("Scopes", kind=IDENTIFIER, max_length=500)] = ""


class SuspendFields(msgspec.Struct, kw_only=True):
    reason: Annotated[str, field("Reason", kind=TEXT, max_length=1000)] = ""


def _settings(state: State) -> Settings:
    return state.settings  # type: ignore[no-any-return]


def _oidc(state: State) -> OidcClient:
    return state.oidc  # type: ignore[no-any-return]


def _form_page(
    template: str,
    context: dict[str, Any],
    errors: Problems | None,
    values: Any = None,
    status_code: int = 400,
) -> Template:
    """The page with an empty form, or again with `errors` (summary and fields) and the
    values sent."""
    if errors is not None:
        return rerender(template, context, errors, values=values, status_code=status_code)
    return Template(template, context={**context, "values": {}})


@get(ROOT, name="platform_tenants", opt=rule(PLATFORM_ADMIN))
async def platform_tenants(db: DB, identity: CurrentIdentity) -> Template:
    rows = await usage.tenant_rows(db)
    return Template(
        "platform/tenants.html",
        context={"rows": rows, "identity": identity, "since": usage.month_start()},
    )


def _new_page(
    state: State, identity: Any, errors: Problems | None = None, values: Any = None
) -> Template:
    context = {
        "identity": identity,
        "schemes": lifecycle.starting_schemes(_settings(state)),
    }
    return _form_page("platform/tenant_new.html", context, errors, values)


@get(f"{ROOT}/new", name="platform_tenant_new", opt=rule(PLATFORM_ADMIN))
async def platform_tenant_new(state: State, identity: CurrentIdentity) -> Template:
    return _new_page(state, identity)


@post(f"{ROOT}/new", name="platform_tenant_create", opt=rule(PLATFORM_ADMIN), status_code=303)
async def platform_tenant_create(
    db: DB, state: State, identity: CurrentIdentity, request: AnyRequest
) -> Response[Any] | Template:
    try:
        data = await read_form(request, NewTenantFields)
        if data.slug == "new":
            raise lifecycle.LifecycleProblems(
                [Problem(path="slug", message="The slug new is kept for this page; choose another")]
            )
        form = lifecycle.NewTenant(
            slug=data.slug,
            name=data.name,
            jurisdiction=data.jurisdiction.strip().upper(),
            hostnames=data.hostnames,
            admin_email=data.admin_email,
            scheme=data.scheme,
        )
        tenant = await lifecycle.create_tenant(db, _settings(state), form, actor=identity.email)
    except FormErrors as errors:
        return _new_page(state, identity, errors)
    except lifecycle.LifecycleProblems as problems:
        return _new_page(state, identity, problems, values_of(data))
    return Redirect(f"{ROOT}/{tenant.slug}?done=created", status_code=303)


async def _tenant_page(
    db: DB,
    state: State,
    identity: Any,
    slug: FromPath[str],
    *,
    done: str | None = None,
    errors: Problems | None = None,
    values: Any = None,
    status_code: int = 200,
) -> Template:
    row = await usage.tenant_row(db, slug)
    if row is None:
        raise NotFoundException()
    settings = _settings(state)
    tenant = row.tenant
    assert isinstance(tenant, Tenant)  # one tenant's page reads the row itself
    sso = await sso_overview(db, tenant.id, settings.secret_key or "")
    pending = sorted((d for d in tenant.domains if d.verified_at is None), key=lambda d: d.hostname)
    context = {
        "identity": identity,
        "row": row,
        "tenant_": row.tenant,
        "usage": row.usage,
        "since": usage.month_start(),
        "verified": sorted(
            (d for d in tenant.domains if d.verified_at is not None), key=lambda d: d.hostname
        ),
        "pending": [
            (d, challenge_url(settings, d.hostname, d.verify_token or "")) for d in pending
        ],
        "sso_active": sso.active.config if sso.active else None,
        "sso_pending": sso.pending.config if sso.pending else None,
        "audit": await usage.audit_entries(db, row.tenant.id),
        "done": DONE.get(done or ""),
        "callback": f"/t/{row.tenant.slug}/login/callback",
    }
    return _form_page("platform/tenant.html", context, errors, values, status_code)


@get(f"{ROOT}/{{slug:str}}", name="platform_tenant", opt=rule(PLATFORM_ADMIN))
async def platform_tenant(
    db: DB, state: State, identity: CurrentIdentity, slug: FromPath[str], request: AnyRequest
) -> Template:
    return await _tenant_page(db, state, identity, slug, done=request.query_params.get("done"))


async def _tenant_page_refused(
    db: DB, state: State, identity: Any, slug: str, errors: Problems, sent: Any = None
) -> Template:
    """The tenant's page again (400): `errors` at their fields, the form `sent` refilled."""
    values = values_of(sent) if sent is not None else None
    return await _tenant_page(
        db, state, identity, slug, errors=errors, values=values, status_code=400
    )


def _back(slug: FromPath[str], done: str) -> Response[Any]:
    return Redirect(f"{ROOT}/{slug}?done={done}", status_code=303)


@post(
    f"{ROOT}/{{slug:str}}/hostnames",
    name="platform_hostname_add",
    opt=rule(PLATFORM_ADMIN),
    status_code=303,
)
async def platform_hostname_add(
    db: DB, state: State, identity: CurrentIdentity, slug: FromPath[str], request: AnyRequest
) -> Response[Any] | Template:
    try:
        data = await read_form(request, HostnameFields)
        await lifecycle.add_hostname(db, slug, data.hostname, actor=identity.email)
    except FormErrors as errors:
        return await _tenant_page_refused(db, state, identity, slug, errors)
    except lifecycle.LifecycleProblems as problems:
        return await _tenant_page_refused(db, state, identity, slug, problems, data)
    return _back(slug, "hostname_added")


@post(
    f"{ROOT}/{{slug:str}}/hostnames/{{hostname:str}}/verify",
    name="platform_hostname_verify",
    opt=rule(PLATFORM_ADMIN),
    status_code=303,
)
async def platform_hostname_verify(
    db: DB, state: State, identity: CurrentIdentity, slug: FromPath[str], hostname: FromPath[str]
) -> Response[Any] | Template:
    try:
        await lifecycle.verify_hostname(db, _settings(state), slug, hostname, actor=identity.email)
    except ChallengeFailed as failed:
        problem = Problems([Problem(message=f"Not verified: {failed}")])
        return await _tenant_page_refused(db, state, identity, slug, problem)
    return _back(slug, "hostname_verified")


@post(
    f"{ROOT}/{{slug:str}}/hostnames/{{hostname:str}}/remove",
    name="platform_hostname_remove",
    opt=rule(PLATFORM_ADMIN),
    status_code=303,
)
async def platform_hostname_remove(
    db: DB, identity: CurrentIdentity, slug: FromPath[str], hostname: FromPath[str]
) -> Response[Any]:
    await lifecycle.remove_hostname(db, slug, hostname, actor=identity.email)
    return _back(slug, "hostname_removed")


@post(
    f"{ROOT}/{{slug:str}}/sso",
    name="platform_tenant_sso",
    opt=rule(PLATFORM_ADMIN),
    status_code=303,
)
async def platform_tenant_sso(
    db: DB, state: State, identity: CurrentIdentity, slug: FromPath[str], request: AnyRequest
) -> Response[Any] | Template:
    try:
        data = await read_form(request, SsoFields)
        form = SsoForm(
            issuer=data.issuer,
            client_id=data.client_id,
            client_secret=data.client_secret,
            scopes=data.scopes,
        )
        await lifecycle.store_sso(
            db, _settings(state), _oidc(state), slug, form, actor=identity.email
        )
    except FormErrors as errors:
        return await _tenant_page_refused(db, state, identity, slug, errors)
    except SsoProblems as problems:
        return await _tenant_page_refused(db, state, identity, slug, problems, data)
    return _back(slug, "sso_stored")


async def _suspend_page(
    db: DB, identity: Any, slug: FromPath[str], errors: Problems | None = None, values: Any = None
) -> Template:
    row = await usage.tenant_row(db, slug)
    if row is None:
        raise NotFoundException()
    context = {"identity": identity, "tenant_": row.tenant, "usage": row.usage}
    return _form_page("platform/tenant_suspend.html", context, errors, values)


@get(
    f"{ROOT}/{{slug:str}}/suspend",
    name="platform_tenant_suspend_confirm",
    opt=rule(PLATFORM_ADMIN),
)
async def platform_tenant_suspend_confirm(
    db: DB, identity: CurrentIdentity, slug: FromPath[str]
) -> Template:
    return await _suspend_page(db, identity, slug)


@post(
    f"{ROOT}/{{slug:str}}/suspend",
    name="platform_tenant_suspend",
    opt=rule(PLATFORM_ADMIN),
    status_code=303,
)
async def platform_tenant_suspend(
    db: DB, identity: CurrentIdentity, slug: FromPath[str], request: AnyRequest
) -> Response[Any] | Template:
    try:
        data = await read_form(request, SuspendFields)
        await lifecycle.suspend(db, slug, reason=data.reason, actor=identity.email)
    except FormErrors as errors:
        return await _suspend_page(db, identity, slug, errors)
    except lifecycle.LifecycleProblems as problems:
        return await _suspend_page(db, identity, slug, problems, values_of(data))
    return _back(slug, "suspended")


@post(
    f"{ROOT}/{{slug:str}}/resume",
    name="platform_tenant_resume",
    opt=rule(PLATFORM_ADMIN),
    status_code=303,
)
async def platform_tenant_resume(
    db: DB, state: State, identity: CurrentIdentity, slug: FromPath[str]
) -> Response[Any] | Template:
    try:
        await lifecycle.resume(db, slug, actor=identity.email)
    except lifecycle.LifecycleProblems as problems:
        return await _tenant_page_refused(db, state, identity, slug, problems)
    return _back(slug, "resumed")


ROUTES: list[Any] = [
    platform_tenants,
    platform_tenant_new,
    platform_tenant_create,
    platform_tenant,
    platform_hostname_add,
    platform_hostname_verify,
    platform_hostname_remove,
    platform_tenant_sso,
    platform_tenant_suspend_confirm,
    platform_tenant_suspend,
    platform_tenant_resume,
]
