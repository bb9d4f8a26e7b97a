"""The demo identity provider of the embedded default: a real OpenID Connect provider, in
process, serving each tenant's demo members, so the demo signs in through exactly the code
path production uses (discovery, PKCE S256, state, nonce, RFC 9207 `iss`, signed ID token).

It exists only on the embedded default. The embedded start-up (`server.run_all`, reached
only when no DATABASE_URL was given) calls `provision`, which marks this process as the
embedded default; `create_app` mounts the routes only in such a process. `mentorhub serve`
(production) never calls `provision`, so no setting or variable can switch it on there.
Issuer per tenant:
`<origin>/demo-idp/<slug>`; there is no password, the page lists the tenant's members.
"""

from __future__ import annotations

import functools
import os
import secrets
import time
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from authlib.oauth2.rfc7636.challenge import compare_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import RSAKey
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Response, Template
from sqlalchemy import select

from mentorhub.db import Database
from mentorhub.identity.guards import PUBLIC
from mentorhub.identity.labels import role_labels
from mentorhub.identity.models import Member
from mentorhub.identity.oidc import ProviderConfig
from mentorhub.identity.secrets import derive_key
from mentorhub.identity.services import provision_default_provider
from mentorhub.settings import Settings
from mentorhub.tenancy.models import PlatformAdmin, Tenant
from mentorhub.tenancy.services import find_by_slug
from mentorhub.web.deps import DB

PATH = "/demo-idp"
CODE_TTL = 120
LOOPBACK = {"localhost", "127.0.0.1", "::1"}


class DemoProviderRefused(RuntimeError):
    """The demo identity provider was asked for outside the embedded default."""


_EMBEDDED_PROCESS = False


def enabled(settings: Settings) -> bool:
    return _EMBEDDED_PROCESS and os.environ.get("MENTORHUB_EMBEDDED") == "1"


def _refuse_unless_enabled(settings: Settings) -> None:
    if not enabled(settings):
        raise DemoProviderRefused(
            "the demo identity provider runs only on the embedded default (no DATABASE_URL)"
        )


def client_id(slug: str) -> str:
    return f"mentorhub-{slug}"


def client_secret(settings: Settings, tenant: Tenant) -> str:
    return derive_key(settings.secret_key or "", "demo-idp-client", tenant.id).hex()


@dataclass
class _Code:
    realm: str
    subject: str
    claims: dict[str, Any]
    redirect_uri: str
    code_challenge: str
    nonce: str
    expires: float


class DemoIdentityProvider:
    def __init__(self, settings: Settings) -> None:
        _refuse_unless_enabled(settings)
        self.settings = settings
        self.key = RSAKey.generate_key(
            2048,
            parameters={"kid": secrets.token_hex(8), "use": "sig", "alg": "RS256"},
            private=True,
        )
        self.codes: dict[str, _Code] = {}


async def provision(db: Database, settings: Settings, tenants: list[Tenant], origin: str) -> None:
    """The demo provider for each tenant that has no provider (embedded start-up). Rows that
    are the demo provider (`is_demo`) follow `origin` (a restart on another port); rows an
    admin chose are never touched. `services.provision_default_provider` audits changes."""
    global _EMBEDDED_PROCESS
    if os.environ.get("MENTORHUB_EMBEDDED") != "1":
        raise DemoProviderRefused(
            "the demo identity provider runs only on the embedded default (no DATABASE_URL)"
        )
    _EMBEDDED_PROCESS = True
    _PLATFORM_ORIGIN[:] = [origin]
    assert settings.secret_key is not None
    for tenant in tenants:
        await provision_default_provider(
            db,
            tenant.id,
            settings.secret_key,
            ProviderConfig(
                issuer=f"{origin}{PATH}/{tenant.slug}",
                client_id=client_id(tenant.slug),
                client_secret=client_secret(settings, tenant),
                scopes="openid email profile",
                claim_mapping={"membership": "membership_status"},
            ),
            is_default=functools.partial(is_demo, tenant.slug),
        )


def is_demo(slug: str, issuer: str, client: str) -> bool:
    """Whether a stored provider is this tenant's demo provider, at whatever port: a
    loopback issuer at the demo path with the demo client id."""
    parts = urlsplit(issuer)
    return (
        client == client_id(slug)
        and parts.hostname in LOOPBACK
        and parts.path.rstrip("/") == f"{PATH}/{slug}"
    )


PLATFORM_REALM = "_platform"  # tenant slugs never contain "_"
_PLATFORM_ORIGIN: list[str] = []


@dataclass(frozen=True)
class Realm:
    """Who the demo provider serves at one issuer: a tenant's members, or platform admins."""

    name: str
    title: str
    callback_path: str
    secret: str
    people: list[tuple[str, str, str]]  # (e-mail, name, what they are)


def platform_config(settings: Settings) -> ProviderConfig | None:
    """The platform admins' provider on the embedded default (set up by `provision`)."""
    if not enabled(settings) or not _PLATFORM_ORIGIN:
        return None
    return ProviderConfig(
        issuer=f"{_PLATFORM_ORIGIN[0]}{PATH}/{PLATFORM_REALM}",
        client_id=client_id(PLATFORM_REALM),
        client_secret=derive_key(settings.secret_key or "", "demo-idp-platform").hex(),
    )


async def _realm(db: Database, settings: Settings, name: str) -> Realm:
    if name == PLATFORM_REALM:
        async with db.platform() as session:
            admins = (await session.execute(select(PlatformAdmin))).scalars()
            people = [(a.email, a.display_name, "Platform administrator") for a in admins]
        return Realm(
            name=name,
            title="MentorHub platform",
            callback_path="/platform/login/callback",
            secret=derive_key(settings.secret_key or "", "demo-idp-platform").hex(),
            people=people,
        )
    tenant = await _tenant(db, name)
    async with db.tenant(tenant.id) as session:
        members = (  # an erased member's placeholder is nobody to sign in as
            await session.execute(
                select(Member).where(Member.erased_at.is_(None)).order_by(Member.display_name)
            )
        ).scalars()
        people = [(m.email, m.display_name, role_labels(m.roles, empty="Member")) for m in members]
    return Realm(
        name=name,
        title=tenant.name,
        callback_path=f"/t/{name}/login/callback",
        secret=client_secret(settings, tenant),
        people=people,
    )


def _issuer(request: Request[Any, Any, Any], realm: str) -> str:
    return f"{request.url.scheme}://{request.headers.get('host', 'localhost')}{PATH}/{realm}"


async def _tenant(db: Database, realm: str) -> Tenant:
    tenant = await find_by_slug(db, realm)
    if tenant is None:
        raise NotFoundException()
    return tenant


def _provider(state: State) -> DemoIdentityProvider:
    provider: DemoIdentityProvider = state.demo_idp
    return provider


OPT = {"rule": PUBLIC}


@get(f"{PATH}/{{realm:str}}/.well-known/openid-configuration", opt=OPT)
async def discovery(realm: FromPath[str], request: Request[Any, Any, Any]) -> dict[str, Any]:
    issuer = _issuer(request, realm)
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "jwks_uri": f"{issuer}/jwks",
        "end_session_endpoint": f"{issuer}/end-session",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "authorization_response_iss_parameter_supported": True,
        "scopes_supported": ["openid", "email", "profile"],
    }


@get(f"{PATH}/{{realm:str}}/jwks", opt=OPT)
async def jwks(realm: FromPath[str], state: State) -> dict[str, Any]:
    return {"keys": [_provider(state).key.as_dict(private=False)]}


def _check_authorization(realm: Realm, params: dict[str, str]) -> str | None:
    """What is wrong with an authorization request, if anything."""
    if params.get("client_id") != client_id(realm.name):
        return "unknown client"
    try:
        redirect = urlsplit(params.get("redirect_uri", ""))
        hostname = redirect.hostname
    except ValueError:  # not an address at all ("http://[::1")
        return "this redirect address is not registered"
    if hostname not in LOOPBACK or redirect.path != realm.callback_path:
        return "this redirect address is not registered"
    if params.get("response_type") != "code" or "openid" not in params.get("scope", "").split():
        return "only the authorization code flow with the openid scope is offered"
    if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
        return "PKCE with S256 is required"
    if not params.get("state") or not params.get("nonce"):
        return "state and nonce are required"
    return None


AUTH_FIELDS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
)


@get(f"{PATH}/{{realm:str}}/authorize", opt=OPT)
async def authorize_page(
    realm: FromPath[str], request: Request[Any, Any, Any], db: DB, state: State
) -> Template:
    served = await _realm(db, state.settings, realm)
    params = {k: request.query_params.get(k, "") for k in AUTH_FIELDS}
    problem = _check_authorization(served, params)
    if problem is not None:
        return Template(
            "identity/demo_idp.html",
            context={"problem": problem, "realm": served},
            status_code=400,
        )
    return Template("identity/demo_idp.html", context={"realm": served, "params": params})


@post(f"{PATH}/{{realm:str}}/authorize", opt=OPT, status_code=303)
async def authorize(
    realm: FromPath[str],
    request: Request[Any, Any, Any],
    db: DB,
    state: State,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[Any]:
    served = await _realm(db, state.settings, realm)
    params = {k: data.get(k, "") for k in AUTH_FIELDS}
    if _check_authorization(served, params) is not None:
        raise NotFoundException()
    person = next((p for p in served.people if p[0] == data.get("member")), None)
    if person is None:
        raise NotFoundException()
    code = secrets.token_urlsafe(32)
    _provider(state).codes[code] = _Code(
        realm=realm,
        subject=person[0],
        claims={
            "email": person[0],
            "email_verified": True,
            "name": person[1],
            "membership_status": "active",
        },
        redirect_uri=params["redirect_uri"],
        code_challenge=params["code_challenge"],
        nonce=params["nonce"],
        expires=time.time() + CODE_TTL,
    )
    query = urlencode({"code": code, "state": params["state"], "iss": _issuer(request, realm)})
    return Redirect(f"{params['redirect_uri']}?{query}", status_code=303)


def _token_error(error: str, status: int = 400) -> Response[dict[str, str]]:
    return Response({"error": error}, status_code=status)


@post(
    f"{PATH}/{{realm:str}}/token",
    opt={**OPT, "exclude_from_csrf": True},  # server to server, authenticated by the secret
    status_code=200,
)
async def token(
    realm: FromPath[str],
    request: Request[Any, Any, Any],
    db: DB,
    state: State,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[dict[str, Any]]:
    import base64
    from urllib.parse import unquote

    served = await _realm(db, state.settings, realm)
    provider = _provider(state)
    try:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        user, _, password = base64.b64decode(encoded).decode().partition(":")
    except ValueError:
        return _token_error("invalid_client", 401)  # type: ignore[return-value]
    if (
        scheme.lower() != "basic"
        or unquote(user) != client_id(realm)
        or not secrets.compare_digest(unquote(password).encode(), served.secret.encode())
    ):
        return _token_error("invalid_client", 401)  # type: ignore[return-value]
    grant = provider.codes.pop(data.get("code", ""), None)
    if (
        data.get("grant_type") != "authorization_code"
        or grant is None
        or grant.realm != realm
        or grant.expires < time.time()
        or grant.redirect_uri != data.get("redirect_uri")
    ):
        return _token_error("invalid_grant")  # type: ignore[return-value]
    if not compare_s256_code_challenge(data.get("code_verifier", ""), grant.code_challenge):
        return _token_error("invalid_grant")  # type: ignore[return-value]
    now = int(time.time())
    claims = {
        "iss": _issuer(request, realm),
        "sub": grant.subject,
        "aud": client_id(realm),
        "iat": now,
        "exp": now + 300,
        "nonce": grant.nonce,
        **grant.claims,
    }
    id_token = jwt.encode({"alg": "RS256", "kid": provider.key.kid}, claims, provider.key)
    return Response(
        {
            "access_token": secrets.token_urlsafe(24),
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": id_token,
        },
        headers={"Cache-Control": "no-store"},
    )


@get(f"{PATH}/{{realm:str}}/end-session", opt=OPT)
async def end_session(realm: FromPath[str], request: Request[Any, Any, Any]) -> Response[Any]:
    target = request.query_params.get("post_logout_redirect_uri", "")
    home = "/" if realm == PLATFORM_REALM else f"/t/{realm}/"
    try:
        parts = urlsplit(target)
        back = parts.hostname in LOOPBACK and parts.path == home
    except ValueError:  # not an address: home
        back = False
    if back:
        return Redirect(target, status_code=303)
    return Redirect(home, status_code=303)


ROUTES = [discovery, jwks, authorize_page, authorize, token, end_session]
