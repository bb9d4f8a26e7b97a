"""Sign-in and sign-out, for a tenant's members and for platform admins: one flow.

`begin` sends the browser to a provider (PKCE, state, nonce) and remembers the sign-in in
Redis under its `state`, bound to this browser by a cookie and to its realm (a tenant's id,
or "platform"); `take_answer` finds that record again, once, and checks the binding. What
differs per realm is only which provider, who may get in, and where they land. A tenant
admin's *test* sign-in through a pending provider is the same flow, marked `test` in the
record; its answer activates the provider instead of opening a session.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from typing import Any

from litestar import get, post
from litestar.response import Redirect, Response, Template
from redis.asyncio import Redis

from mentorhub.identity import demo_idp, services
from mentorhub.identity.forms import CallbackAnswer, LoginQuery
from mentorhub.identity.guards import MEMBER, PLATFORM_ADMIN, PUBLIC, rule
from mentorhub.identity.oidc import OidcClient, OidcError, Pending, ProviderConfig
from mentorhub.identity.queries import platform_admin
from mentorhub.identity.sessions import PLATFORM_COOKIE, TENANT_COOKIE, Identity
from mentorhub.identity.views._common import (
    AnyRequest,
    AppSettings,
    AsyncRedis,
    Oidc,
    Sessions,
    base,
    limit,
    origin,
    secret_key,
    secure,
    sign_in_buckets,
)
from mentorhub.settings import Settings
from mentorhub.tenancy.models import Tenant
from mentorhub.web.deps import DB, CurrentIdentity, CurrentTenant
from mentorhub.web.forms import FormErrors, read_query

LOGIN_COOKIE = "mentorhub_login"
LOGIN_TTL = 600
LOGIN_PREFIX = "mentorhub:login:"


@dataclass(frozen=True)
class Realm:
    """Where a sign-in belongs: `key` is the tenant's id or "platform"; `root` the URL
    prefix its login, callback and session cookie live under."""

    key: str
    root: str

    @property
    def callback(self) -> str:
        return f"{self.root}/login/callback"


def tenant_realm(request: AnyRequest, tenant: Tenant) -> Realm:
    return Realm(str(tenant.id), base(request))


PLATFORM = Realm("platform", "/platform")


class Refused(Exception):
    """The answer does not belong to a sign-in this browser started here."""


class Unreadable(Refused):
    """The answer cannot be read at all (checked before anything is looked up)."""


async def begin(
    request: AnyRequest,
    redis: Redis,
    oidc: OidcClient,
    config: ProviderConfig,
    realm: Realm,
    *,
    login_hint: str | None = None,
    extra: dict[str, str] | None = None,
) -> Response[Any]:
    """Redirect to the provider; OidcError if its discovery document cannot be read."""
    redirect_uri = f"{origin(request)}{realm.callback}"
    url, pending = await oidc.start(config, redirect_uri, login_hint=login_hint or None)
    browser = secrets.token_urlsafe(24)
    record = {"pending": asdict(pending), "tenant_id": realm.key, "browser": browser}
    await redis.set(
        LOGIN_PREFIX + pending.state, json.dumps({**record, **(extra or {})}), ex=LOGIN_TTL
    )
    response: Response[Any] = Redirect(url, status_code=303)
    response.set_cookie(
        LOGIN_COOKIE,
        browser,
        path=f"{realm.root}/login",
        max_age=LOGIN_TTL,
        httponly=True,
        secure=secure(request),
        samesite="lax",
    )
    return response


def _unreadable(errors: FormErrors, what: str = "request") -> str:
    """Why a sign-in request or answer was refused unread, in words for the failure page:
    "the sign-in request cannot be used: Login hint must be 320 characters or fewer"."""
    found = "; ".join(p.message for p in errors.problems)
    return f"the sign-in {what} cannot be used: {found}"


async def take_answer(
    request: AnyRequest, settings: Settings, redis: Redis, realm: Realm
) -> tuple[dict[str, Any], Pending, dict[str, str]]:
    """The sign-in this answer belongs to (consumed: an answer is good once). An answer that
    cannot be read (`Unreadable`) or belongs to no sign-in started here (`Refused`) counts
    as one more attempt at the realm: the start counted the attempt itself."""
    try:
        return await _take_answer(request, redis, realm)
    except Refused:
        await limit(redis, sign_in_buckets(request, settings, realm.key))
        raise


async def _take_answer(
    request: AnyRequest, redis: Redis, realm: Realm
) -> tuple[dict[str, Any], Pending, dict[str, str]]:
    try:
        read_query(request, CallbackAnswer)
    except FormErrors as errors:
        raise Unreadable(_unreadable(errors, "answer")) from None
    params = dict(request.query_params)
    raw = await redis.getdel(LOGIN_PREFIX + params.get("state", "")[:100])
    if raw is None:
        raise Refused("this sign-in has expired or was already used")
    record: dict[str, Any] = json.loads(raw)
    if record["tenant_id"] != realm.key:
        raise Refused("this sign-in was started for another association")
    browser = request.cookies.get(LOGIN_COOKIE, "")
    if not secrets.compare_digest(browser.encode(), record["browser"].encode()):
        raise Refused("this sign-in was started in another browser")
    return record, Pending(**record["pending"]), params


def land(
    request: AnyRequest, realm: Realm, target: str, *, cookie: str | None = None, token: str = ""
) -> Response[Any]:
    """Redirect after an answer: set the new session cookie, drop the login cookie."""
    response: Response[Any] = Redirect(target, status_code=303)
    if cookie is not None:
        response.set_cookie(
            cookie,
            token,
            path=f"{realm.root}/",
            httponly=True,
            secure=secure(request),
            samesite="lax",
        )
    response.delete_cookie(LOGIN_COOKIE, path=f"{realm.root}/login")
    return response


async def _count_refused_account(
    request: AnyRequest, settings: Settings, redis: Redis, realm: Realm, claims: dict[str, Any]
) -> None:
    """A sign-in refused for who they are: a failure for that account, from any address."""
    account = str(claims.get("email") or "")
    await limit(
        redis, sign_in_buckets(request, settings, realm.key, account=account, attempt=False)
    )


# --- a tenant's members ------------------------------------------------------------------


def _failed(tenant: Tenant, reason: str, status: int) -> Template:
    return Template(
        "identity/login_failed.html",
        context={"tenant": tenant, "reason": reason},
        status_code=status,
    )


async def _fail(db: DB, tenant: Tenant, reason: str, status: int = 400) -> Template:
    await services.record_login_failure(db, tenant.id, reason)
    return _failed(tenant, reason, status)


@get("/login", name="login", opt=rule(PUBLIC))
async def login(
    tenant: CurrentTenant,
    db: DB,
    request: AnyRequest,
    settings: AppSettings,
    oidc: Oidc,
    aredis: AsyncRedis,
) -> Response[Any] | Template:
    """Send the visitor to the tenant's identity provider. `login_hint` is passed on."""
    try:
        hint = read_query(request, LoginQuery).login_hint
    except FormErrors as errors:
        return _failed(tenant, _unreadable(errors), 400)
    await limit(aredis, sign_in_buckets(request, settings, str(tenant.id), account=hint))
    config = await services.active_config(db, tenant.id, secret_key(settings))
    if config is None:
        return Template("identity/no_provider.html", context={"tenant": tenant}, status_code=503)
    try:
        realm = tenant_realm(request, tenant)
        return await begin(request, aredis, oidc, config, realm, login_hint=hint)
    except OidcError as exc:
        return _failed(tenant, str(exc), 502)


@get("/login/callback", name="login_callback", opt=rule(PUBLIC))
async def login_callback(
    tenant: CurrentTenant,
    db: DB,
    request: AnyRequest,
    settings: AppSettings,
    oidc: Oidc,
    aredis: AsyncRedis,
    sessions: Sessions,
) -> Response[Any] | Template:
    realm = tenant_realm(request, tenant)
    try:
        record, pending, params = await take_answer(request, settings, aredis, realm)
    except Unreadable as exc:
        # Nothing looked up, so nothing recorded.
        return _failed(tenant, str(exc), 400)
    except Refused as exc:
        return await _fail(db, tenant, str(exc))
    if "test" in record:
        return await _test_answer(db, tenant, request, settings, oidc, record, pending, params)
    config = await services.active_config(db, tenant.id, secret_key(settings))
    if config is None:
        return await _fail(db, tenant, "no identity provider is configured", 503)
    try:
        result = await oidc.finish(config, pending, params)
    except OidcError as exc:
        return await _fail(db, tenant, str(exc))
    try:
        member = await services.sign_in(db, tenant.id, config, result.claims, sessions=sessions)
    except OidcError as exc:
        await _count_refused_account(request, settings, aredis, realm, result.claims)
        return await _fail(db, tenant, str(exc))
    await sessions.destroy(request.cookies.get(TENANT_COOKIE))
    token = await sessions.create(
        Identity(
            email=member.email,
            display_name=member.display_name,
            tenant_id=str(tenant.id),
            tenant_slug=tenant.slug,
            member_id=str(member.member_id),
            roles=member.roles,
            id_token=result.id_token,
            issuer=config.issuer,
        )
    )
    return land(request, realm, f"{realm.root}/me", cookie=TENANT_COOKIE, token=token)


async def _test_answer(
    db: DB,
    tenant: Tenant,
    request: AnyRequest,
    settings: Settings,
    oidc: OidcClient,
    record: dict[str, Any],
    pending: Pending,
    params: dict[str, str],
) -> Response[Any]:
    """The answer to an admin's test sign-in: activate the pending provider, or say why not
    on the single sign-on page. No session is opened or changed."""
    outcome = await services.complete_sso_test(
        db,
        tenant.id,
        secret_key(settings),
        oidc,
        str(record["test"]),
        pending,
        params,
        actor=str(record.get("actor", "")),
    )
    realm = tenant_realm(request, tenant)
    result = "activated" if outcome.activated else "failed"
    return land(request, realm, f"{realm.root}/admin/sso?test={result}")


@post("/logout", name="logout", opt=rule(MEMBER), status_code=303)
async def logout(
    tenant: CurrentTenant,
    db: DB,
    identity: CurrentIdentity,
    request: AnyRequest,
    settings: AppSettings,
    oidc: Oidc,
    sessions: Sessions,
) -> Response[Any]:
    """End the session here, then at the provider (RP-initiated logout) where it offers it."""
    await sessions.destroy(request.cookies.get(TENANT_COOKIE))
    target = f"{base(request)}/"
    await services.record_logout(db, tenant.id, identity.email)
    config = await services.active_config(db, tenant.id, secret_key(settings))
    if config is not None and config.issuer == identity.issuer:
        try:
            at_provider = await oidc.logout_url(config, identity.id_token, origin(request) + target)
        except OidcError:
            at_provider = None
        target = at_provider or target
    response: Response[Any] = Redirect(target, status_code=303)
    response.delete_cookie(TENANT_COOKIE, path=f"{base(request)}/")
    return response


# --- platform admins ---------------------------------------------------------------------


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
async def platform_login(
    request: AnyRequest, settings: AppSettings, oidc: Oidc, aredis: AsyncRedis
) -> Response[Any] | Template:
    try:
        hint = read_query(request, LoginQuery).login_hint
    except FormErrors as errors:
        return _platform_error(400, f"{_unreadable(errors).capitalize()}.")
    await limit(aredis, sign_in_buckets(request, settings, PLATFORM.key, account=hint))
    config = platform_provider(settings)
    if config is None:
        return _platform_error(503, "The platform sign-in is not configured.")
    try:
        return await begin(request, aredis, oidc, config, PLATFORM, login_hint=hint)
    except OidcError as exc:
        return _platform_error(502, f"Sign-in did not work: {exc}.")


@get("/platform/login/callback", name="platform_login_callback", opt=rule(PUBLIC))
async def platform_login_callback(
    db: DB,
    request: AnyRequest,
    settings: AppSettings,
    oidc: Oidc,
    aredis: AsyncRedis,
    sessions: Sessions,
) -> Response[Any] | Template:
    """Only a listed platform admin, with an e-mail the provider has verified, gets in."""
    try:
        _, pending, params = await take_answer(request, settings, aredis, PLATFORM)
    except Refused as exc:
        return _platform_error(400, f"{str(exc).capitalize()}.")
    config = platform_provider(settings)
    if config is None:
        return _platform_error(503, "The platform sign-in is not configured.")
    try:
        result = await oidc.finish(config, pending, params)
    except OidcError as exc:
        return _platform_error(400, f"Sign-in did not work: {exc}.")
    admin = await platform_admin(db, str(result.claims.get("email", "")))
    if admin is None or result.claims.get("email_verified") is not True:
        await _count_refused_account(request, settings, aredis, PLATFORM, result.claims)
        return _platform_error(403, "This account is not a platform administrator.")
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
    return land(request, PLATFORM, "/platform/tenants", cookie=PLATFORM_COOKIE, token=token)


@post("/platform/logout", name="platform_logout", opt=rule(PLATFORM_ADMIN), status_code=303)
async def platform_logout(request: AnyRequest, sessions: Sessions) -> Response[Any]:
    await sessions.destroy(request.cookies.get(PLATFORM_COOKIE))
    response: Response[Any] = Redirect("/", status_code=303)
    response.delete_cookie(PLATFORM_COOKIE, path="/platform/")
    return response


TENANT_ROUTES = [login, login_callback, logout]
PLATFORM_ROUTES = [platform_login, platform_login_callback, platform_logout]
