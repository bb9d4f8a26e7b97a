"""Sign-in through a real OpenID Connect provider on loopback, and everything it must refuse."""

from __future__ import annotations

import dataclasses
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import select

from mentorhub.app import create_app
from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.identity.oidc import OidcClient, OidcError, ProviderConfig
from mentorhub.identity.sessions import TENANT_COOKIE
from mentorhub.settings import Settings
from mentorhub.tenancy.models import Tenant
from tests.conftest import Servers
from tests.identity.conftest import (
    BASE,
    SLUG_A,
    SLUG_B,
    OidcProvider,
    callback,
    csrf_from,
    email,
    follow_provider,
    sign_in,
    start_login,
)
from tests.support import serving

ROLE_PAGES = {
    # who: (pages they may open, pages they may not)
    "admin": (["/me", "/coordinator/members", "/admin/audit", "/admin/roster"], []),
    "coordinator": (["/me", "/coordinator/members"], ["/admin/audit", "/admin/roster"]),
    "mentor": (["/me"], ["/coordinator/members", "/admin/audit"]),
    "mentee": (["/me"], ["/coordinator/members", "/admin/roster"]),
}


async def audit_actions(db: Database, tenant: Tenant) -> list[str]:
    async with db.tenant(tenant.id) as session:
        rows = await session.execute(select(AuditEntry.action).order_by(AuditEntry.created_at))
        return list(rows.scalars())


@pytest.mark.parametrize("who", sorted(ROLE_PAGES))
async def test_happy_path_per_role(
    client: httpx.AsyncClient, tenant_a: Tenant, db: Database, who: str
) -> None:
    done = await sign_in(client, SLUG_A, who)
    assert done.status_code == 303, done.text[:500]
    assert done.headers["location"] == f"/t/{SLUG_A}/me"
    set_cookie = done.headers["set-cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie
    allowed, denied = ROLE_PAGES[who]
    for page in allowed:
        response = await client.get(f"/t/{SLUG_A}{page}")
        assert response.status_code == 200, (who, page)
    for page in denied:
        response = await client.get(f"/t/{SLUG_A}{page}")
        assert response.status_code == 403, (who, page)
        # The refusal keeps the association's page, says why and leads back.
        assert "You do not have access to this page" in response.text
        assert tenant_a.name in response.text
        assert f'href="/t/{SLUG_A}/me"' in response.text
        assert "Go to my page" in response.text and "Sign out" in response.text
    me = await client.get(f"/t/{SLUG_A}/me")
    assert email(SLUG_A, who) in me.text
    async with db.tenant(tenant_a.id) as session:
        member = (
            await session.execute(select(Member).where(Member.email == email(SLUG_A, who)))
        ).scalar_one()
    assert member.issuer.startswith("http://127.0.0.1:")
    assert member.subject == who
    assert member.membership_status == "active"  # from the configured ID-token claim
    assert "login" in await audit_actions(db, tenant_a)


async def test_first_sign_in_creates_the_member(
    client: httpx.AsyncClient, tenant_a: Tenant, db: Database
) -> None:
    done = await sign_in(client, SLUG_A, "newcomer")
    assert done.status_code == 303
    async with db.tenant(tenant_a.id) as session:
        member = (
            await session.execute(select(Member).where(Member.subject == "newcomer"))
        ).scalar_one()
    assert member.display_name == "Nia Newcomer"
    assert member.email == email(SLUG_A, "newcomer")
    assert member.roles == []
    assert (await client.get(f"/t/{SLUG_A}/me")).status_code == 200
    assert (await client.get(f"/t/{SLUG_A}/coordinator/members")).status_code == 403


async def test_pages_need_a_session(client: httpx.AsyncClient, tenant_a: Tenant) -> None:
    response = await client.get(f"/t/{SLUG_A}/me")
    assert response.status_code == 303
    assert response.headers["location"] == f"/t/{SLUG_A}/login"


async def test_login_redirect_uses_pkce_s256_state_and_nonce(
    client: httpx.AsyncClient, tenant_a: Tenant, providers: dict[str, OidcProvider]
) -> None:
    response = await client.get(f"/t/{SLUG_A}/login")
    target = urlsplit(response.headers["location"])
    query = parse_qs(target.query)
    assert f"{target.scheme}://{target.netloc}" == providers["a"].issuer
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["state"][0] and query["nonce"][0]
    assert query["redirect_uri"] == [callback(SLUG_A)]


async def test_wrong_state_is_refused(
    client: httpx.AsyncClient, tenant_a: Tenant, db: Database
) -> None:
    back = await start_login(client, SLUG_A, "mentor")
    parts = urlsplit(back)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["state"] = "not-the-state"
    response = await client.get(f"{parts.path}?{urlencode(query)}")
    assert response.status_code == 400
    assert "expired or was already used" in response.text
    assert TENANT_COOKIE not in response.headers.get("set-cookie", "")
    assert (await client.get(f"/t/{SLUG_A}/me")).status_code == 303
    assert "login_failed" in await audit_actions(db, tenant_a)


async def test_replayed_answer_and_nonce_are_refused(
    client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    """The state (and the nonce stored with it) is spent on first use: replaying the same
    answer, code and ID token nonce included, gets nothing."""
    back = await start_login(client, SLUG_A, "mentor")
    first = await client.get(back.removeprefix(BASE))
    assert first.status_code == 303
    client.cookies.clear()
    again = await client.get(back.removeprefix(BASE))
    assert again.status_code == 400
    assert "expired or was already used" in again.text


async def test_answer_started_in_another_browser_is_refused(
    client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    back = await start_login(client, SLUG_A, "mentor")
    client.cookies.clear()  # the victim's browser has no login cookie of this sign-in
    response = await client.get(back.removeprefix(BASE))
    assert response.status_code == 400
    assert "another browser" in response.text


async def _real_id_token(provider: OidcProvider, oidc: OidcClient) -> tuple[str, str]:
    """Run the flow directly against the provider; returns (ID token, nonce)."""
    config = ProviderConfig(provider.issuer, provider.client_id, provider.client_secret)
    url, pending = await oidc.start(config, callback(provider.slug), login_hint="mentor")
    back = await follow_provider(url)
    params = {k: v[0] for k, v in parse_qs(urlsplit(back).query).items()}
    result = await oidc.finish(config, pending, params)
    return result.id_token, pending.nonce


async def test_expired_and_wrong_audience_tokens_are_refused(
    providers: dict[str, OidcProvider],
) -> None:
    provider = providers["a"]
    async with httpx.AsyncClient() as http:
        oidc = OidcClient(http)
        id_token, nonce = await _real_id_token(provider, oidc)
        config = ProviderConfig(provider.issuer, provider.client_id, provider.client_secret)
        claims = await oidc.verify_id_token(config, id_token, nonce=nonce)
        assert claims["sub"] == "mentor"
        with pytest.raises(OidcError, match="exp"):
            await oidc.verify_id_token(config, id_token, nonce=nonce, now=int(claims["exp"]) + 3600)
        with pytest.raises(OidcError, match="issued in the future"):
            await oidc.verify_id_token(config, id_token, nonce=nonce, now=int(time.time()) - 3600)
        other_audience = ProviderConfig(provider.issuer, "someone-else", "x")
        with pytest.raises(OidcError, match="aud"):
            await oidc.verify_id_token(other_audience, id_token, nonce=nonce)
        with pytest.raises(OidcError, match="nonce"):
            await oidc.verify_id_token(config, id_token, nonce="another-nonce")


async def test_token_from_tenant_b_provider_is_refused_for_tenant_a(
    providers: dict[str, OidcProvider],
) -> None:
    a, b = providers["a"], providers["b"]
    async with httpx.AsyncClient() as http:
        oidc = OidcClient(http)
        id_token_b, nonce = await _real_id_token(b, oidc)
        config_a = ProviderConfig(a.issuer, a.client_id, a.client_secret)
        with pytest.raises(OidcError):
            await oidc.verify_id_token(config_a, id_token_b, nonce=nonce)


async def test_answer_from_tenant_b_provider_is_refused_by_iss(
    client: httpx.AsyncClient,
    tenant_a: Tenant,
    providers: dict[str, OidcProvider],
    db: Database,
) -> None:
    """Mix-up: tenant A's sign-in is answered by B's provider (a client there that answers to
    A's callback). RFC 9207's `iss` shows where the answer came from; nothing is spent."""
    started = await client.get(f"/t/{SLUG_A}/login", params={"login_hint": "mentor"})
    state_a = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]
    b = providers["b"]
    at_b = f"{b.issuer}/auth?" + urlencode(
        {
            "client_id": "mix-up",
            "response_type": "code",
            "redirect_uri": callback(SLUG_A),
            "scope": "openid email",
            "state": state_a,
            "nonce": "n",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
            "login_hint": "mentor",
        }
    )
    back = await follow_provider(at_b)
    assert parse_qs(urlsplit(back).query)["iss"] == [b.issuer]
    response = await client.get(back.removeprefix(BASE))
    assert response.status_code == 400
    assert "another identity provider" in response.text
    assert (await client.get(f"/t/{SLUG_A}/me")).status_code == 303


async def test_rotated_signing_keys_are_fetched(
    client: httpx.AsyncClient, tenant_a: Tenant, providers: dict[str, OidcProvider]
) -> None:
    first = await sign_in(client, SLUG_A, "mentor")
    assert first.status_code == 303
    providers["a"].rotate()  # new key id: the cached JWKS no longer has it
    second = await sign_in(client, SLUG_A, "mentor")
    assert second.status_code == 303, second.text[:500]


async def test_session_cookie_is_rotated_at_login(
    client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    await sign_in(client, SLUG_A, "mentor")
    before = client.cookies.get(TENANT_COOKIE)
    await sign_in(client, SLUG_A, "mentee")
    after = client.cookies.get(TENANT_COOKIE)
    assert before and after and before != after
    client.cookies.clear()
    old = await client.get(f"/t/{SLUG_A}/me", headers={"cookie": f"{TENANT_COOKIE}={before}"})
    assert old.status_code == 303  # the old session is gone


async def test_session_cookie_replayed_on_another_tenant_is_worthless(
    client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    await sign_in(client, SLUG_A, "admin")
    token = client.cookies.get(TENANT_COOKIE)
    assert token
    client.cookies.clear()
    cookie = {"cookie": f"{TENANT_COOKIE}={token}"}
    on_b = await client.get(f"/t/{SLUG_B}/me", headers=cookie)
    assert on_b.status_code == 303
    assert on_b.headers["location"] == f"/t/{SLUG_B}/login"
    on_b_host = await client.get(
        "/admin/audit", headers={"host": f"{SLUG_B}.example.org", **cookie}
    )
    assert on_b_host.status_code == 303
    on_a_host = await client.get(
        "/admin/audit", headers={"host": f"{SLUG_A}.example.org", **cookie}
    )
    assert on_a_host.status_code == 200


async def test_state_changing_request_without_csrf_is_refused(
    client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    await sign_in(client, SLUG_A, "mentor")
    refused = await client.post(f"/t/{SLUG_A}/logout")
    assert refused.status_code == 403
    assert "This form had expired" in refused.text  # not the framework's wording
    assert "CSRF" not in refused.text
    assert (await client.get(f"/t/{SLUG_A}/me")).status_code == 200  # still signed in


async def test_logout_ends_the_session_and_signs_out_at_the_provider(
    client: httpx.AsyncClient, tenant_a: Tenant, providers: dict[str, OidcProvider]
) -> None:
    await sign_in(client, SLUG_A, "mentor")
    token = client.cookies.get(TENANT_COOKIE)
    page = await client.get(f"/t/{SLUG_A}/me")
    response = await client.post(f"/t/{SLUG_A}/logout", data={"_csrf_token": csrf_from(page.text)})
    assert response.status_code == 303
    target = response.headers["location"]
    assert target.startswith(f"{providers['a'].issuer}/session/end?")
    assert "id_token_hint=" in target
    assert parse_qs(urlsplit(target).query)["post_logout_redirect_uri"] == [f"{BASE}/t/{SLUG_A}/"]
    client.cookies.clear()
    replay = await client.get(f"/t/{SLUG_A}/me", headers={"cookie": f"{TENANT_COOKIE}={token}"})
    assert replay.status_code == 303


async def test_login_is_rate_limited(
    db: Database, tenant_a: Tenant, settings: Settings, servers: Servers
) -> None:
    redis = Redis.from_url(servers.redis_url)
    for key in await redis.keys("mentorhub:rate:login:*"):
        await redis.delete(key)
    await redis.aclose()
    strict = dataclasses.replace(settings, login_rate_per_minute=3)
    async with serving(create_app(strict, db=db), base_url=BASE) as c:
        codes = [(await c.get(f"/t/{SLUG_A}/login")).status_code for _ in range(5)]
    assert codes[:3] == [303, 303, 303]
    assert codes[3:] == [429, 429]


async def test_cookies_are_secure_outside_localhost(
    client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    on_host = await client.get("/login", headers={"host": f"{SLUG_A}.example.org"})
    assert on_host.status_code == 303
    assert "Secure" in on_host.headers["set-cookie"]
    assert "Path=/login" in on_host.headers["set-cookie"]
    on_localhost = await client.get(f"/t/{SLUG_A}/login")
    assert "Secure" not in on_localhost.headers["set-cookie"]
