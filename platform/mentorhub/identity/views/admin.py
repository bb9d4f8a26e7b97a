"""The tenant admin's pages: members and their roles, the membership roster, the audit log,
and the association's single sign-on (saved as pending, activated by a test sign-in)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from mentorhub.core import audit
from mentorhub.core.paging import page_number, search_term
from mentorhub.core.problems import Problem, Problems
from mentorhub.identity import services
from mentorhub.identity.directory import read_members_page
from mentorhub.identity.forms import (
    SSO_FORM_KEYS,
    ListQuery,
    RolesForm,
    RosterUpload,
    SsoFields,
    SsoTest,
)
from mentorhub.identity.guards import TENANT_ADMIN, rule
from mentorhub.identity.models import Role
from mentorhub.identity.oidc import OidcError
from mentorhub.identity.roster import parse_roster
from mentorhub.identity.sessions import TENANT_COOKIE
from mentorhub.identity.views._common import (
    AnyRequest,
    AppSettings,
    AsyncRedis,
    Oidc,
    Sessions,
    base,
    secret_key,
)
from mentorhub.identity.views.signin import begin, tenant_realm
from mentorhub.web import flash
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant, TenantReads
from mentorhub.web.forms import FormErrors, read_form, read_query, rerender, values_of

ASSIGNABLE_ROLES = tuple(r.value for r in Role)


def _list_query(request: AnyRequest) -> tuple[ListQuery, FormErrors | None]:
    """A list's `?q=` and `?page=`; when they cannot be used, the whole list (and the
    problems, for a 400 that says why)."""
    try:
        return read_query(request, ListQuery), None
    except FormErrors as errors:
        return ListQuery(), errors


@get("/admin/audit", name="admin_audit", opt=rule(TENANT_ADMIN))
async def admin_audit(
    tenant: CurrentTenant, db: DB, identity: CurrentIdentity, request: AnyRequest
) -> Template:
    """The audit log a page at a time, newest first (`?page=`)."""
    query, bad = _list_query(request)
    entries = await audit.read_page(db, tenant.id, page_number(query.page))
    context = {"tenant": tenant, "identity": identity, "page": entries}
    if bad is not None:
        return rerender("identity/audit.html", context, bad)
    return Template("identity/audit.html", context=context)


@get("/admin/roster", name="admin_roster", opt=rule(TENANT_ADMIN))
async def admin_roster(tenant: CurrentTenant, identity: CurrentIdentity) -> Template:
    return Template("identity/roster.html", context={"tenant": tenant, "identity": identity})


@post("/admin/roster", name="admin_roster_upload", opt=rule(TENANT_ADMIN), status_code=200)
async def admin_roster_upload(
    tenant: CurrentTenant, db: DB, identity: CurrentIdentity, request: AnyRequest
) -> Template:
    """Every row is checked first; any bad row and nothing changes (400, each problem with
    its line, linked to the file field), and the rejection is audited and mailed to the
    uploader (`services.reject_roster`)."""
    context: dict[str, Any] = {"tenant": tenant, "identity": identity}
    try:
        upload = await read_form(request, RosterUpload)
    except FormErrors as errors:
        return rerender("identity/roster.html", context, errors)
    report = parse_roster(upload.roster)
    if report.problems:
        await services.reject_roster(
            db,
            tenant.id,
            upload.roster,
            report,
            actor=identity.email,
            member_id=identity.member_id,
        )
        found = [Problem(path="roster", message=str(p)) for p in report.problems]
        return rerender("identity/roster.html", context, FormErrors(found))
    counts = await services.upload_roster(db, tenant.id, report.rows, actor=identity.email)
    return Template("identity/roster.html", context={**context, "counts": counts})


@get("/admin/members", name="admin_members", opt=rule(TENANT_ADMIN))
async def admin_members(
    tenant: CurrentTenant,
    reads: TenantReads,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
) -> Template:
    """Members a page at a time in name order, searchable (`?q=`, `?page=`); above them,
    what the last role change did (`flash`, once). A search that cannot be used: 400, all
    members, the search field's message."""
    query, bad = _list_query(request)
    notice = await flash.take(aredis, request, TENANT_COOKIE)
    return await _members_page(tenant, reads, identity, query, bad, notice=notice)


async def _members_page(
    tenant: Any,
    db: DB,
    identity: Any,
    query: ListQuery,
    errors: FormErrors | None,
    notice: Any = None,
) -> Template:
    """The members and roles page; with `errors`, shown again (400) with them named."""
    search = search_term(query.q)
    number = page_number(query.page)
    members = await read_members_page(db, tenant.id, search=search, number=number)
    context = {
        "tenant": tenant,
        "identity": identity,
        "page": members,
        "q": search,
        "assignable": ASSIGNABLE_ROLES,
        "notice": notice,
    }
    if errors is not None:
        return rerender("identity/admin_members.html", context, errors)
    return Template("identity/admin_members.html", context=context)


@post(
    "/admin/members/{member_id:str}/roles",
    name="admin_member_roles",
    opt=rule(TENANT_ADMIN),
    status_code=303,
)
async def admin_member_roles(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    member_id: FromPath[str],
    request: AnyRequest,
    sessions: Sessions,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    """Set a member's roles (`services.change_roles`: audited, ends their sessions; an
    admin keeps their own admin role), then back to the same page of the list, which says
    what happened (saved, nothing changed, or the admin role kept)."""
    try:
        form = await read_form(request, RolesForm)
    except FormErrors as errors:
        kept = {k: v for k, v in errors.values.items() if k in ("q", "page")}
        mentioned = ListQuery(**{k: v for k, v in kept.items() if isinstance(v, str)})
        first_box = f"r-{member_id}-{ASSIGNABLE_ROLES[0]}"  # the summary links to the form
        found = [
            msgspec.structs.replace(p, path=first_box) if p.path == "roles" else p
            for p in errors.problems
        ]
        return await _members_page(
            tenant, db, identity, mentioned, FormErrors(found, errors.values)
        )
    change = await services.change_roles(  # NotFound: the 404 page (app.py)
        db,
        tenant.id,
        member_id=member_id,
        roles=list(form.roles),
        actor=identity.email,
        sessions=sessions,
    )
    await flash.put(
        aredis,
        request,
        TENANT_COOKIE,
        {
            "kind": "roles",
            "name": change.name or change.email,
            "roles": list(change.after),
            "changed": change.changed,
            "kept_own_admin": change.kept_own_admin,
        },
    )
    back = {k: v for k in ("q", "page") if (v := getattr(form, k))}
    query = f"?{urlencode(back)}" if back else ""
    return Redirect(f"{base(request)}/admin/members{query}", status_code=303)


def _sso_page(
    tenant: Any,
    identity: Any,
    overview: services.SsoOverview,
    status_code: int = 200,
    errors: Problems | None = None,
    **extra: Any,
) -> Template:
    """The single sign-on page; with `errors`, shown again (`forms.rerender`) with the error
    summary and what was typed."""
    context = {
        "tenant": tenant,
        "identity": identity,
        "active": overview.active,
        "pending": overview.pending,
        **extra,
    }
    if errors is not None:
        return rerender("identity/admin_sso.html", context, errors, status_code=status_code)
    return Template("identity/admin_sso.html", context=context, status_code=status_code)


async def _sso_refused(
    db: DB, tenant: Any, identity: Any, key: str, status_code: int, errors: Problems
) -> Template:
    """The single sign-on page again with what was refused (nothing was changed)."""
    overview = await services.sso_overview(db, tenant.id, key)
    return _sso_page(tenant, identity, overview, status_code, errors)


@get("/admin/sso", name="admin_sso", opt=rule(TENANT_ADMIN))
async def admin_sso(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    request: AnyRequest,
    settings: AppSettings,
) -> Template:
    """`?test=activated|failed`: the test sign-in just came back (the pending provider's
    recorded error says why it failed)."""
    overview = await services.sso_overview(db, tenant.id, secret_key(settings))
    test = request.query_params.get("test")
    return _sso_page(
        tenant, identity, overview, test=test if test in {"activated", "failed"} else None
    )


@post("/admin/sso", name="admin_sso_save", opt=rule(TENANT_ADMIN), status_code=200)
async def admin_sso_save(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    request: AnyRequest,
    settings: AppSettings,
    oidc: Oidc,
) -> Template:
    """Check the settings and keep them as the pending provider; members keep signing in
    through the active one until a test sign-in through the new one succeeds. Any problem
    (the form's, then the provider's): 400, the form again, nothing saved."""
    key = secret_key(settings)
    try:
        data = await read_form(request, SsoFields)
        form = services.SsoForm(
            issuer=data.issuer,
            client_id=data.client_id,
            client_secret=data.client_secret,
            scopes=data.scopes,
            membership_claim=data.membership,
        )
        saved = await services.configure_sso(db, tenant.id, key, oidc, form, actor=identity.email)
    except FormErrors as errors:
        return await _sso_refused(db, tenant, identity, key, 400, errors)
    except services.SsoProblems as exc:
        found = [
            msgspec.structs.replace(p, path=SSO_FORM_KEYS.get(p.path, p.path))
            for p in exc.problems
        ]
        refused = FormErrors(found, values_of(data))
        return await _sso_refused(db, tenant, identity, key, 400, refused)
    overview = await services.sso_overview(db, tenant.id, key)
    return _sso_page(tenant, identity, overview, saved=saved.status)


@post("/admin/sso/test", name="admin_sso_test", opt=rule(TENANT_ADMIN), status_code=303)
async def admin_sso_test(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    request: AnyRequest,
    settings: AppSettings,
    oidc: Oidc,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    """Start a real sign-in through the pending provider; its answer comes back to the
    usual callback, marked as a test, and activates the provider if it holds."""
    key = secret_key(settings)
    try:
        data = await read_form(request, SsoTest)
    except FormErrors as errors:
        return await _sso_refused(db, tenant, identity, key, 400, errors)
    target = await services.sso_test_target(db, tenant.id, key)
    if target is None:
        return Redirect(f"{base(request)}/admin/sso", status_code=303)
    try:
        return await begin(
            request,
            aredis,
            oidc,
            target.config,
            tenant_realm(request, tenant),
            login_hint=data.login_hint,
            extra={"test": str(target.id), "actor": identity.email},
        )
    except OidcError as exc:
        problem = Problem(message=f"The test sign-in could not start: {exc}.")
        return await _sso_refused(db, tenant, identity, key, 502, Problems([problem]))


ROUTES = [
    admin_audit,
    admin_roster,
    admin_roster_upload,
    admin_members,
    admin_member_roles,
    admin_sso,
    admin_sso_save,
    admin_sso_test,
]
