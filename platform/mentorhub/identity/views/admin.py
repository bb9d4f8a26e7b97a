"""The tenant admin's pages: members and their roles, the membership roster, the audit log,
and the association's single sign-on (saved as pending, activated by a test sign-in)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from mentorhub.db.access import NotFound
from mentorhub.identity import audit, services
from mentorhub.identity.directory import read_members_page
from mentorhub.identity.guards import TENANT_ADMIN, rule
from mentorhub.identity.models import Role
from mentorhub.identity.oidc import OidcError
from mentorhub.identity.paging import page_number, search_term
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
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant

ASSIGNABLE_ROLES = tuple(r.value for r in Role)


@get("/admin/audit", name="admin_audit", opt=rule(TENANT_ADMIN))
async def admin_audit(
    tenant: CurrentTenant, db: DB, identity: CurrentIdentity, page: FromQuery[str | None] = None
) -> Template:
    """The audit log a page at a time, newest first (`?page=`)."""
    entries = await audit.read_page(db, tenant.id, page_number(page))
    return Template(
        "identity/audit.html",
        context={"tenant": tenant, "identity": identity, "page": entries},
    )


@get("/admin/roster", name="admin_roster", opt=rule(TENANT_ADMIN))
async def admin_roster(tenant: CurrentTenant, identity: CurrentIdentity) -> Template:
    return Template("identity/roster.html", context={"tenant": tenant, "identity": identity})


@post("/admin/roster", name="admin_roster_upload", opt=rule(TENANT_ADMIN), status_code=200)
async def admin_roster_upload(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Template:
    """Every row is checked first; any bad row and nothing changes."""
    upload = data.get("roster")
    content = await upload.read() if isinstance(upload, UploadFile) else b""
    report = parse_roster(content)
    context: dict[str, Any] = {"tenant": tenant, "identity": identity}
    if report.problems:
        return Template(
            "identity/roster.html",
            context={**context, "problems": report.problems},
            status_code=400,
        )
    counts = await services.upload_roster(db, tenant.id, report.rows, actor=identity.email)
    return Template("identity/roster.html", context={**context, "counts": counts})


@get("/admin/members", name="admin_members", opt=rule(TENANT_ADMIN))
async def admin_members(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    request: AnyRequest,
    aredis: AsyncRedis,
    q: FromQuery[str | None] = None,
    page: FromQuery[str | None] = None,
) -> Template:
    """Members a page at a time in name order, searchable (`?q=`, `?page=`); above them,
    what the last role change did (`flash`, once)."""
    search = search_term(q)
    members = await read_members_page(db, tenant.id, search=search, number=page_number(page))
    notice = await flash.take(aredis, request, TENANT_COOKIE)
    return Template(
        "identity/admin_members.html",
        context={
            "tenant": tenant,
            "identity": identity,
            "page": members,
            "q": search,
            "assignable": ASSIGNABLE_ROLES,
            "notice": notice,
        },
    )


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
) -> Response[Any]:
    """Set a member's roles (`services.change_roles`: audited, ends their sessions; an
    admin keeps their own admin role), then back to the same page of the list, which says
    what happened (saved, nothing changed, or the admin role kept)."""
    form = await request.form()
    try:
        change = await services.change_roles(
            db,
            tenant.id,
            member_id=member_id,
            roles=[r for r in form.getall("roles", []) if isinstance(r, str)],
            actor=identity.email,
            sessions=sessions,
        )
    except NotFound:
        raise NotFoundException() from None
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
    back = {k: v for k in ("q", "page") if isinstance(v := form.get(k), str) and v}
    query = f"?{urlencode(back)}" if back else ""
    return Redirect(f"{base(request)}/admin/members{query}", status_code=303)


def _sso_page(
    tenant: Any,
    identity: Any,
    overview: services.SsoOverview,
    status_code: int = 200,
    **extra: Any,
) -> Template:
    return Template(
        "identity/admin_sso.html",
        context={
            "tenant": tenant,
            "identity": identity,
            "active": overview.active,
            "pending": overview.pending,
            **extra,
        },
        status_code=status_code,
    )


SSO_LABELS = {
    "issuer": "Issuer",
    "client_id": "Client ID",
    "client_secret": "Client secret",
    "scopes": "Scopes",
    "membership_claim": "Membership claim",
    "roles_claim": "Roles claim",
}


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
    settings: AppSettings,
    oidc: Oidc,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template:
    """Check the settings and keep them as the pending provider; members keep signing in
    through the active one until a test sign-in through the new one succeeds."""
    form = services.SsoForm(
        issuer=data.get("issuer", ""),
        client_id=data.get("client_id", ""),
        client_secret=data.get("client_secret", ""),
        scopes=data.get("scopes", ""),
        membership_claim=data.get("membership", ""),
    )
    key = secret_key(settings)
    try:
        saved = await services.configure_sso(db, tenant.id, key, oidc, form, actor=identity.email)
    except services.SsoProblems as exc:
        problems = [f"{SSO_LABELS[p.field]}: {p.detail}." for p in exc.problems]
        overview = await services.sso_overview(db, tenant.id, key)
        return _sso_page(tenant, identity, overview, 400, problems=problems, form=data)
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
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[Any] | Template:
    """Start a real sign-in through the pending provider; its answer comes back to the
    usual callback, marked as a test, and activates the provider if it holds."""
    key = secret_key(settings)
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
            login_hint=data.get("login_hint", "").strip()[:320],
            extra={"test": str(target.id), "actor": identity.email},
        )
    except OidcError as exc:
        overview = await services.sso_overview(db, tenant.id, key)
        problems = [f"The test sign-in could not start: {exc}."]
        return _sso_page(tenant, identity, overview, 502, problems=problems)


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
