"""Sign-in, sign-out, the member's own page, the tenant admin's audit log and roster, the
coordinator's member list, approval links, and the platform's activity counts.

Every handler declares its access rule (`opt=rule(...)`); `guards.enforce_rule` checks it.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Annotated, Any

import httpx
from litestar import Litestar, Request, get, post
from litestar.datastructures import State, UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, TooManyRequestsException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Response, Template
from redis.asyncio import Redis
from sqlalchemy import select

from mentorhub.db.access import NotFound, get_in_tenant
from mentorhub.identity import audit, demo_idp
from mentorhub.identity.approvals import LinkProblem, decide, open_link
from mentorhub.identity.guards import (
    COORDINATOR,
    MEMBER,
    PLATFORM_ADMIN,
    PUBLIC,
    TENANT_ADMIN,
    rule,
)
from mentorhub.identity.membership import apply_roster, parse_roster, sign_in_member
from mentorhub.identity.models import Member
from mentorhub.identity.oidc import (
    OidcClient,
    OidcError,
    Pending,
    ProviderConfig,
    check_issuer_url,
)
from mentorhub.identity.providers import save_provider, tenant_provider
from mentorhub.identity.sessions import (
    PLATFORM_COOKIE,
    TENANT_COOKIE,
    Identity,
    SessionStore,
    over_limit,
)
from mentorhub.settings import Settings
from mentorhub.tenancy.models import PlatformAdmin
from mentorhub.tenancy.services import list_tenants
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant

LOGIN_COOKIE = "mentorhub_login"
LOGIN_TTL = 600
LOGIN_PREFIX = "mentorhub:login:"

AnyRequest = Request[Any, Any, Any]


def identity_lifespan(settings: Settings) -> Any:
    """Async Redis for sessions and rate limits, and the OIDC client with its caches."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        redis = Redis.from_url(
            settings.redis_url or "redis://127.0.0.1:6379",
            socket_timeout=2,
            socket_connect_timeout=2,
        )
        http = httpx.AsyncClient(timeout=10)
        app.state.aredis = redis
        app.state.sessions = SessionStore(
            redis,
            idle_seconds=settings.session_idle_seconds,
            absolute_seconds=settings.session_absolute_seconds,
        )
        app.state.oidc = OidcClient(http)
        try:
            yield
        finally:
            await http.aclose()
            await redis.aclose()

    return lifespan


def _base(request: AnyRequest) -> str:
    return request.scope["state"].get("tenant_base") or ""


def _secure(request: AnyRequest) -> bool:
    host = (request.url.hostname or "").lower()
    return not (host in {"localhost", "127.0.0.1", "::1"} or host.endswith(".localhost"))


def _origin(request: AnyRequest) -> str:
    host = request.headers.get("host", "localhost")
    return f"{request.url.scheme}://{host}"


def _client_address(request: AnyRequest) -> str:
    return request.client.host if request.client else "unknown"


async def _limit(request: AnyRequest, kind: str, per_minute: int) -> None:
    if await over_limit(request.app.state.aredis, kind, _client_address(request), per_minute):
        raise TooManyRequestsException("Too many attempts. Please wait a minute and try again.")


def _secret(state: State) -> str:
    settings: Settings = state.settings
    assert settings.secret_key is not None, "secret_key is set in every mode"
    return settings.secret_key


@get("/t/{tenant_slug:str}/login", name="login", opt=rule(PUBLIC))
async def login(
    tenant: CurrentTenant, db: DB, request: AnyRequest, state: State
) -> Response[Any] | Template:
    """Send the visitor to the tenant's identity provider. `login_hint` is passed on."""
    settings: Settings = state.settings
    await _limit(request, "login", settings.login_rate_per_minute)
    async with db.tenant(tenant.id) as session:
        config = await tenant_provider(session, _secret(state))
    if config is None:
        return Template("identity/no_provider.html", context={"tenant": tenant}, status_code=503)
    base = _base(request)
    redirect_uri = f"{_origin(request)}{base}/login/callback"
    hint = request.query_params.get("login_hint")
    try:
        url, pending = await state.oidc.start(config, redirect_uri, login_hint=hint)
    except OidcError as exc:
        return Template(
            "identity/login_failed.html",
            context={"tenant": tenant, "reason": str(exc)},
            status_code=502,
        )
    browser = secrets.token_urlsafe(24)
    record = {"pending": asdict(pending), "tenant_id": str(tenant.id), "browser": browser}
    await state.aredis.set(LOGIN_PREFIX + pending.state, json.dumps(record), ex=LOGIN_TTL)
    response: Response[Any] = Redirect(url, status_code=303)
    response.set_cookie(
        LOGIN_COOKIE,
        browser,
        path=f"{base}/login",
        max_age=LOGIN_TTL,
        httponly=True,
        secure=_secure(request),
        samesite="lax",
    )
    return response


async def _fail(db: DB, tenant: Any, reason: str, status: int = 400) -> Template:
    async with db.tenant(tenant.id) as session:
        audit.record(session, "login_failed", actor=None, details={"reason": reason})
    return Template(
        "identity/login_failed.html",
        context={"tenant": tenant, "reason": reason},
        status_code=status,
    )


@get("/t/{tenant_slug:str}/login/callback", name="login_callback", opt=rule(PUBLIC))
async def login_callback(
    tenant: CurrentTenant, db: DB, request: AnyRequest, state: State
) -> Response[Any] | Template:
    settings: Settings = state.settings
    await _limit(request, "login", settings.login_rate_per_minute)
    params = dict(request.query_params)
    raw = await state.aredis.getdel(LOGIN_PREFIX + params.get("state", "")[:100])
    if raw is None:
        return await _fail(db, tenant, "this sign-in has expired or was already used")
    record = json.loads(raw)
    if record["tenant_id"] != str(tenant.id):
        return await _fail(db, tenant, "this sign-in was started for another association")
    browser = request.cookies.get(LOGIN_COOKIE, "")
    if not secrets.compare_digest(browser.encode(), record["browser"].encode()):
        return await _fail(db, tenant, "this sign-in was started in another browser")
    pending = Pending(**record["pending"])
    async with db.tenant(tenant.id) as session:
        config = await tenant_provider(session, _secret(state))
    if config is None:
        return await _fail(db, tenant, "no identity provider is configured", 503)
    try:
        result = await state.oidc.finish(config, pending, params)
        async with db.tenant(tenant.id) as session:
            member = await sign_in_member(session, config, result.claims)
            audit.record(
                session,
                "login",
                actor=member.email,
                details={"issuer": config.issuer, "roles": sorted(member.roles)},
            )
    except OidcError as exc:
        return await _fail(db, tenant, str(exc))
    sessions: SessionStore = state.sessions
    await sessions.destroy(request.cookies.get(TENANT_COOKIE))
    token = await sessions.create(
        Identity(
            email=member.email,
            display_name=member.display_name,
            tenant_id=str(tenant.id),
            tenant_slug=tenant.slug,
            member_id=str(member.id),
            roles=tuple(sorted(member.roles)),
            id_token=result.id_token,
            issuer=config.issuer,
        )
    )
    base = _base(request)
    response: Response[Any] = Redirect(f"{base}/me", status_code=303)
    response.set_cookie(
        TENANT_COOKIE,
        token,
        path=f"{base}/",
        httponly=True,
        secure=_secure(request),
        samesite="lax",
    )
    response.delete_cookie(LOGIN_COOKIE, path=f"{base}/login")
    return response


@post("/t/{tenant_slug:str}/logout", name="logout", opt=rule(MEMBER), status_code=303)
async def logout(
    tenant: CurrentTenant, db: DB, identity: CurrentIdentity, request: AnyRequest, state: State
) -> Response[Any]:
    """End the session here, then at the provider (RP-initiated logout) where it offers it."""
    await state.sessions.destroy(request.cookies.get(TENANT_COOKIE))
    base = _base(request)
    target = f"{base}/"
    async with db.tenant(tenant.id) as session:
        audit.record(session, "logout", actor=identity.email)
        config = await tenant_provider(session, _secret(state))
    if config is not None and config.issuer == identity.issuer:
        try:
            at_provider = await state.oidc.logout_url(
                config, identity.id_token, f"{_origin(request)}{base}/"
            )
        except OidcError:
            at_provider = None
        target = at_provider or target
    response: Response[Any] = Redirect(target, status_code=303)
    response.delete_cookie(TENANT_COOKIE, path=f"{base}/")
    return response


@get("/t/{tenant_slug:str}/me", name="me", opt=rule(MEMBER))
async def me(tenant: CurrentTenant, db: DB, identity: CurrentIdentity) -> Template:
    async with db.tenant(tenant.id) as session:
        member = await session.get(
            Member, {"tenant_id": tenant.id, "id": uuid.UUID(identity.member_id or "")}
        )
    return Template(
        "identity/me.html", context={"tenant": tenant, "identity": identity, "member": member}
    )


@get("/t/{tenant_slug:str}/coordinator/members", name="coordinator_members", opt=rule(COORDINATOR))
async def coordinator_members(tenant: CurrentTenant, db: DB, identity: CurrentIdentity) -> Template:
    async with db.tenant(tenant.id) as session:
        members = list(
            (await session.execute(select(Member).order_by(Member.display_name))).scalars()
        )
    return Template(
        "identity/members.html",
        context={"tenant": tenant, "identity": identity, "members": members},
    )


@get("/t/{tenant_slug:str}/admin/audit", name="admin_audit", opt=rule(TENANT_ADMIN))
async def admin_audit(tenant: CurrentTenant, db: DB, identity: CurrentIdentity) -> Template:
    async with db.tenant(tenant.id) as session:
        entries = await audit.recent(session)
    return Template(
        "identity/audit.html",
        context={"tenant": tenant, "identity": identity, "entries": entries},
    )


@get("/t/{tenant_slug:str}/admin/roster", name="admin_roster", opt=rule(TENANT_ADMIN))
async def admin_roster(tenant: CurrentTenant, identity: CurrentIdentity) -> Template:
    return Template("identity/roster.html", context={"tenant": tenant, "identity": identity})


@post(
    "/t/{tenant_slug:str}/admin/roster",
    name="admin_roster_upload",
    opt=rule(TENANT_ADMIN),
    status_code=200,
)
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
    if report.problems:
        return Template(
            "identity/roster.html",
            context={"tenant": tenant, "identity": identity, "problems": report.problems},
            status_code=400,
        )
    async with db.tenant(tenant.id) as session:
        counts = await apply_roster(session, report.rows, identity.email)
    return Template(
        "identity/roster.html",
        context={"tenant": tenant, "identity": identity, "counts": counts},
    )


ASSIGNABLE_ROLES = ("tenant_admin", "coordinator", "mentor", "mentee")


@get("/t/{tenant_slug:str}/admin/members", name="admin_members", opt=rule(TENANT_ADMIN))
async def admin_members(tenant: CurrentTenant, db: DB, identity: CurrentIdentity) -> Template:
    async with db.tenant(tenant.id) as session:
        members = list(
            (await session.execute(select(Member).order_by(Member.display_name))).scalars()
        )
    return Template(
        "identity/admin_members.html",
        context={
            "tenant": tenant,
            "identity": identity,
            "members": members,
            "assignable": ASSIGNABLE_ROLES,
        },
    )


@post(
    "/t/{tenant_slug:str}/admin/members/{member_id:str}/roles",
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
) -> Response[Any]:
    """Set a member's roles; the change is audited and ends the member's sessions, so it
    holds at once. An admin cannot remove their own admin role (a tenant keeps one)."""
    form = await request.form()
    roles = sorted({r for r in form.getall("roles", []) if r in ASSIGNABLE_ROLES})
    async with db.tenant(tenant.id) as session:
        try:
            member = await get_in_tenant(session, Member, member_id, what="member")
        except NotFound:
            raise NotFoundException() from None
        if member.email == identity.email and "tenant_admin" not in roles:
            roles = sorted({*roles, "tenant_admin"})
        if roles != sorted(member.roles):
            audit.record(
                session,
                "role_change",
                actor=identity.email,
                subject=member.email,
                details={"from": sorted(member.roles), "to": roles},
            )
            member.roles = roles
            changed = True
        else:
            changed = False
    if changed:  # sessions carry roles: end the member's, so the change holds at once
        await request.app.state.sessions.revoke_member(str(tenant.id), str(member.id))
    return Redirect(f"{_base(request)}/admin/members", status_code=303)


@get("/t/{tenant_slug:str}/admin/sso", name="admin_sso", opt=rule(TENANT_ADMIN))
async def admin_sso(
    tenant: CurrentTenant, db: DB, identity: CurrentIdentity, state: State
) -> Template:
    async with db.tenant(tenant.id) as session:
        config = await tenant_provider(session, _secret(state))
    return Template(
        "identity/admin_sso.html",
        context={"tenant": tenant, "identity": identity, "config": config},
    )


@post(
    "/t/{tenant_slug:str}/admin/sso", name="admin_sso_save", opt=rule(TENANT_ADMIN), status_code=200
)
async def admin_sso_save(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    state: State,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template:
    """Save the association's provider after checking its discovery document answers."""
    issuer = data.get("issuer", "").strip().rstrip("/")
    values = {k: data.get(k, "").strip() for k in ("client_id", "client_secret", "scopes")}
    mapping = {k: data.get(k, "").strip() for k in ("membership",) if data.get(k, "").strip()}
    problems = []
    try:
        check_issuer_url(issuer)
    except ValueError as exc:
        problems.append(f"Issuer: {exc}.")
    if not values["client_id"] or not values["client_secret"]:
        problems.append("Client ID and client secret are both needed.")
    scopes = values["scopes"] or "openid email profile"
    if "openid" not in scopes.split():
        problems.append("The scopes must include openid.")
    if not problems:
        try:
            await state.oidc.metadata(issuer)
        except OidcError as exc:
            problems.append(f"Issuer: {exc}.")
    if problems:
        return Template(
            "identity/admin_sso.html",
            context={"tenant": tenant, "identity": identity, "problems": problems, "form": data},
            status_code=400,
        )
    async with db.tenant(tenant.id) as session:
        await save_provider(
            session,
            _secret(state),
            issuer=issuer,
            client_id=values["client_id"],
            client_secret=values["client_secret"],
            scopes=scopes,
            claim_mapping=mapping,
        )
        audit.record(session, "sso_configured", actor=identity.email, details={"issuer": issuer})
        config = await tenant_provider(session, _secret(state))
    return Template(
        "identity/admin_sso.html",
        context={"tenant": tenant, "identity": identity, "config": config, "saved": True},
    )


_LINK_PAGES = {
    "invalid": "This link is not valid here. It may have been copied incompletely.",
    "expired": "This link has expired. Ask the applicant's coordinator for a new one.",
    "used": "A decision has already been recorded through this link. Nothing was changed.",
}


def _link_problem(tenant: Any, reason: str) -> Template:
    return Template(
        "identity/link_problem.html",
        context={"tenant": tenant, "message": _LINK_PAGES[reason]},
        status_code=410 if reason in {"expired", "used"} else 404,
    )


@get("/t/{tenant_slug:str}/approvals/{token:str}", name="approval_page", opt=rule(PUBLIC))
async def approval_page(
    tenant: CurrentTenant, db: DB, token: FromPath[str], request: AnyRequest, state: State
) -> Template:
    """Shows what is being approved; never consumes the link (mail scanners open links)."""
    await _limit(request, "link", state.settings.link_rate_per_minute)
    async with db.tenant(tenant.id) as session:
        try:
            approval = await open_link(session, _secret(state), token)
        except LinkProblem as exc:
            return _link_problem(tenant, exc.reason)
    return Template("identity/approval.html", context={"tenant": tenant, "approval": approval})


@post(
    "/t/{tenant_slug:str}/approvals/{token:str}",
    name="approval_decide",
    opt=rule(PUBLIC),
    status_code=200,
)
async def approval_decide(
    tenant: CurrentTenant,
    db: DB,
    token: FromPath[str],
    request: AnyRequest,
    state: State,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template:
    await _limit(request, "link", state.settings.link_rate_per_minute)
    choice = data.get("decision", "")
    if choice not in {"approve", "decline"}:
        async with db.tenant(tenant.id) as session:
            try:
                approval = await open_link(session, _secret(state), token)
            except LinkProblem as exc:
                return _link_problem(tenant, exc.reason)
        return Template(
            "identity/approval.html",
            context={"tenant": tenant, "approval": approval, "error": "Choose approve or decline."},
            status_code=400,
        )
    try:
        async with db.tenant(tenant.id) as session:
            approval = await decide(
                session, _secret(state), token, decision=choice, comment=data.get("comment", "")
            )
    except LinkProblem as exc:
        return _link_problem(tenant, exc.reason)
    return Template("identity/approval_done.html", context={"tenant": tenant, "approval": approval})


def platform_provider(settings: Settings) -> ProviderConfig | None:
    """Platform admins sign in at the platform's own provider (settings), or at the demo
    provider on the embedded default."""
    if (
        settings.platform_oidc_issuer
        and settings.platform_oidc_client_id
        and settings.platform_oidc_client_secret
    ):
        return ProviderConfig(
            issuer=settings.platform_oidc_issuer,
            client_id=settings.platform_oidc_client_id,
            client_secret=settings.platform_oidc_client_secret,
        )
    return demo_idp.platform_config(settings)


def _platform_error(status: int, detail: str) -> Template:
    return Template(
        "errors/error.html", context={"status": status, "detail": detail}, status_code=status
    )


@get("/platform/login", name="platform_login", opt=rule(PUBLIC))
async def platform_login(request: AnyRequest, state: State) -> Response[Any] | Template:
    settings: Settings = state.settings
    await _limit(request, "login", settings.login_rate_per_minute)
    config = platform_provider(settings)
    if config is None:
        return _platform_error(503, "The platform sign-in is not configured.")
    redirect_uri = f"{_origin(request)}/platform/login/callback"
    try:
        url, pending = await state.oidc.start(
            config, redirect_uri, login_hint=request.query_params.get("login_hint")
        )
    except OidcError as exc:
        return _platform_error(502, f"Sign-in did not work: {exc}.")
    browser = secrets.token_urlsafe(24)
    record = {"pending": asdict(pending), "tenant_id": "platform", "browser": browser}
    await state.aredis.set(LOGIN_PREFIX + pending.state, json.dumps(record), ex=LOGIN_TTL)
    response: Response[Any] = Redirect(url, status_code=303)
    response.set_cookie(
        LOGIN_COOKIE,
        browser,
        path="/platform/login",
        max_age=LOGIN_TTL,
        httponly=True,
        secure=_secure(request),
        samesite="lax",
    )
    return response


@get("/platform/login/callback", name="platform_login_callback", opt=rule(PUBLIC))
async def platform_login_callback(
    db: DB, request: AnyRequest, state: State
) -> Response[Any] | Template:
    """Only a listed platform admin, with an e-mail the provider has verified, gets in."""
    settings: Settings = state.settings
    await _limit(request, "login", settings.login_rate_per_minute)
    params = dict(request.query_params)
    raw = await state.aredis.getdel(LOGIN_PREFIX + params.get("state", "")[:100])
    if raw is None:
        return _platform_error(400, "This sign-in has expired or was already used.")
    record = json.loads(raw)
    browser = request.cookies.get(LOGIN_COOKIE, "")
    if record["tenant_id"] != "platform" or not secrets.compare_digest(
        browser.encode(), record["browser"].encode()
    ):
        return _platform_error(400, "This sign-in was started elsewhere.")
    config = platform_provider(settings)
    if config is None:
        return _platform_error(503, "The platform sign-in is not configured.")
    try:
        result = await state.oidc.finish(config, Pending(**record["pending"]), params)
    except OidcError as exc:
        return _platform_error(400, f"Sign-in did not work: {exc}.")
    email = str(result.claims.get("email", "")).lower()
    async with db.platform() as session:
        admin = (
            await session.execute(select(PlatformAdmin).where(PlatformAdmin.email == email))
        ).scalar_one_or_none()
    if admin is None or result.claims.get("email_verified") is not True:
        return _platform_error(403, "This account is not a platform administrator.")
    sessions: SessionStore = state.sessions
    await sessions.destroy(request.cookies.get(PLATFORM_COOKIE))
    token = await sessions.create(
        Identity(
            email=admin.email,
            display_name=admin.display_name,
            platform_admin=True,
            id_token=result.id_token,
            issuer=config.issuer,
        )
    )
    response: Response[Any] = Redirect("/platform/activity", status_code=303)
    response.set_cookie(
        PLATFORM_COOKIE,
        token,
        path="/platform/",
        httponly=True,
        secure=_secure(request),
        samesite="lax",
    )
    response.delete_cookie(LOGIN_COOKIE, path="/platform/login")
    return response


@post("/platform/logout", name="platform_logout", opt=rule(PLATFORM_ADMIN), status_code=303)
async def platform_logout(request: AnyRequest, state: State) -> Response[Any]:
    await state.sessions.destroy(request.cookies.get(PLATFORM_COOKIE))
    response: Response[Any] = Redirect("/", status_code=303)
    response.delete_cookie(PLATFORM_COOKIE, path="/platform/")
    return response


@get("/platform/activity", name="platform_activity", opt=rule(PLATFORM_ADMIN))
async def platform_activity(db: DB, identity: CurrentIdentity) -> Template:
    """How many of each action happened per tenant; never what or by whom."""
    tenants = await list_tenants(db)
    counts = await audit.action_counts(db, [t.id for t in tenants])
    return Template(
        "identity/platform_activity.html",
        context={"tenants": tenants, "counts": counts, "identity": identity},
    )


ROUTES = [
    login,
    login_callback,
    logout,
    me,
    coordinator_members,
    admin_audit,
    admin_roster,
    admin_roster_upload,
    admin_members,
    admin_member_roles,
    admin_sso,
    admin_sso_save,
    approval_page,
    approval_decide,
    platform_activity,
    platform_login,
    platform_login_callback,
    platform_logout,
]
