"""Sign-in and approval-link rate limits: who a client is (forwarded headers believed only
from trusted proxies), per address, per account and per tenant, 429 with Retry-After, and a
sign-in counted once, against the real application, Redis and OpenID Connect provider."""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import secrets
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from hypothesis import given
from hypothesis import strategies as st
from redis.asyncio import Redis

from mentorhub.app import create_app
from mentorhub.core.addresses import parse_networks
from mentorhub.db import Database
from mentorhub.identity import ratelimit
from mentorhub.server import _uvicorn_config
from mentorhub.settings import Settings
from mentorhub.tenancy.models import Tenant
from mentorhub.web.proxies import parse_address, resolve_client, trusted
from tests.conftest import Servers
from tests.identity.conftest import BASE, SLUG_A, SLUG_B, follow_provider
from tests.support import serving

DEFAULTS = {f.name: f.default for f in dataclasses.fields(Settings)}


class AsPeer:
    """What a server puts in the scope as the socket's peer, chosen by the test."""

    def __init__(self, app: Any, address: str = "198.51.100.1") -> None:
        self.app = app
        self.address = address

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope = dict(scope, client=(self.address, 40000))
        await self.app(scope, receive, send)


@pytest.fixture(autouse=True)
async def fresh_limits(servers: Servers) -> None:
    """Each test starts with empty buckets (earlier tests share addresses like 127.0.0.1)."""
    redis = Redis.from_url(servers.redis_url)
    keys = await redis.keys(f"{ratelimit.PREFIX}*")
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


def limits(settings: Settings, **changes: Any) -> Settings:
    return dataclasses.replace(settings, **changes)


PeerApp = Callable[..., tuple[AbstractAsyncContextManager[httpx.AsyncClient], AsPeer]]


@pytest.fixture
async def peer_app(db: Database, settings: Settings) -> PeerApp:
    """Build an app with `settings` changes behind a chosen peer; returns (client, peer)."""

    def build(**changes: Any) -> tuple[AbstractAsyncContextManager[httpx.AsyncClient], AsPeer]:
        app = AsPeer(create_app(limits(settings, **changes), db=db))
        return serving(app, base_url=BASE), app

    return build


def _redirect_uri(response: httpx.Response) -> str:
    return parse_qs(urlsplit(response.headers["location"]).query)["redirect_uri"][0]


# --- who the client is -------------------------------------------------------------------


@pytest.fixture
async def uvicorn_url(db: Database, settings: Settings) -> AsyncIterator[str]:
    """The product's own uvicorn configuration (`mentorhub serve`) on loopback, where
    uvicorn's default trusts proxy headers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(limits(settings, login_rate_per_minute=3), db=db)
    server = uvicorn.Server(_uvicorn_config(app, "127.0.0.1", port))
    server.capture_signals = _NoSignals  # type: ignore[method-assign,assignment]
    task = asyncio.create_task(server.serve())
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


class _NoSignals:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


async def test_forged_forwarded_for_gets_no_fresh_bucket(
    uvicorn_url: str, tenant_a: Tenant
) -> None:
    """Under the real server, a client on loopback (not a configured proxy) adding a new
    X-Forwarded-For each time is still one client; its X-Forwarded-Proto is ignored too."""
    async with httpx.AsyncClient(base_url=uvicorn_url) as c:
        answers = [
            await c.get(
                f"/t/{SLUG_A}/login",
                headers={"x-forwarded-for": f"203.0.113.{i}", "x-forwarded-proto": "https"},
            )
            for i in range(5)
        ]
    assert [a.status_code for a in answers] == [303, 303, 303, 429, 429]
    assert _redirect_uri(answers[0]).startswith("http://127.0.0.1:")


async def test_a_trusted_proxy_forwards_each_client_to_its_own_bucket(
    peer_app: PeerApp, tenant_a: Tenant
) -> None:
    client, peer = peer_app(login_rate_per_minute=3, trusted_proxies=("10.0.0.0/8",))
    peer.address = "10.0.0.2"
    login = f"/t/{SLUG_A}/login"
    async with client as c:

        async def via(forwarded: str, **headers: str) -> httpx.Response:
            return await c.get(login, headers={"x-forwarded-for": forwarded, **headers})

        first = await via("203.0.113.5", **{"x-forwarded-proto": "https"})
        assert first.status_code == 303
        assert _redirect_uri(first).startswith("https://")
        assert [(await via("203.0.113.5")).status_code for _ in range(2)] == [303, 303]
        assert (await via("203.0.113.5")).status_code == 429
        # Another client behind the same proxy has its own bucket.
        assert (await via("203.0.113.6")).status_code == 303
        # What the client writes to the left of the proxy's entry is not believed; a chain of
        # trusted proxies is walked through.
        assert (await via("192.0.2.77, 203.0.113.5")).status_code == 429
        assert (await via("203.0.113.5, 10.9.9.9")).status_code == 429
        # The proxy itself, talking without the header, is one more client.
        assert (await c.get(login)).status_code == 303


NETWORKS = parse_networks("10.0.0.0/8, 192.168.0.0/16, fd00::/8")
any_address = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6))
untrusted = any_address.filter(lambda a: not trusted(parse_address(str(a)), NETWORKS))
trusted_v4 = st.ip_addresses(network="10.0.0.0/8")
header_text = st.one_of(
    st.text(max_size=40),
    st.lists(any_address.map(str), max_size=4).map(", ".join),
)


@given(peer=untrusted, headers=st.lists(header_text, max_size=4))
def test_headers_never_change_an_untrusted_peer(
    peer: ipaddress.IPv4Address | ipaddress.IPv6Address, headers: list[str]
) -> None:
    client, chosen = resolve_client(str(peer), headers, NETWORKS)
    expected = peer.ipv4_mapped if isinstance(peer, ipaddress.IPv6Address) else None
    assert client == str(expected or peer)
    assert chosen is None


@given(
    client=untrusted,
    proxies=st.lists(trusted_v4, min_size=1, max_size=4),
    forged=st.lists(header_text, max_size=3),
)
def test_through_trusted_proxies_the_client_is_the_last_untrusted_hop(
    client: ipaddress.IPv4Address | ipaddress.IPv6Address,
    proxies: list[ipaddress.IPv4Address],
    forged: list[str],
) -> None:
    """Whatever the client sent itself comes before its own address in the list."""
    hops = [str(client), *map(str, proxies[:-1])]
    headers = [*forged, ", ".join(hops)]
    found, _ = resolve_client(str(proxies[-1]), headers, NETWORKS)
    expected = client.ipv4_mapped if isinstance(client, ipaddress.IPv6Address) else None
    assert found == str(expected or client)


# --- 429, buckets ------------------------------------------------------------------------


async def test_too_many_attempts_answer_429_with_retry_after(
    peer_app: PeerApp, tenant_a: Tenant
) -> None:
    client, _ = peer_app(login_rate_per_minute=1)
    async with client as c:
        assert (await c.get(f"/t/{SLUG_A}/login")).status_code == 303
        refused = await c.get(f"/t/{SLUG_A}/login")
    assert refused.status_code == 429
    wait = int(refused.headers["retry-after"])
    assert 1 <= wait <= 60
    assert "Too many attempts" in refused.text
    assert f"wait {wait} second" in refused.text
    assert tenant_a.name in refused.text  # the association's own error page


async def test_the_account_limit_holds_across_addresses(
    peer_app: PeerApp, tenant_a: Tenant
) -> None:
    client, peer = peer_app(login_account_rate_per_minute=2)
    login = f"/t/{SLUG_A}/login"
    async with client as c:
        codes = []
        for i, hint in enumerate(["mentor", " Mentor", "MENTOR"]):
            peer.address = f"198.51.100.{10 + i}"
            codes.append((await c.get(login, params={"login_hint": hint})).status_code)
        assert codes == [303, 303, 429]
        assert (await c.get(login, params={"login_hint": "mentee"})).status_code == 303
        assert (await c.get(login)).status_code == 303


async def test_the_tenant_ceiling_is_shared_but_a_refused_address_does_not_fill_it(
    peer_app: PeerApp, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    client, peer = peer_app(login_rate_per_minute=1, login_tenant_rate_per_minute=3)
    async with client as c:

        async def start(address: str, slug: str = SLUG_A) -> int:
            peer.address = address
            return (await c.get(f"/t/{slug}/login")).status_code

        assert [await start("198.51.100.20") for _ in range(4)] == [303, 429, 429, 429]
        assert [await start("198.51.100.21"), await start("198.51.100.22")] == [303, 303]
        assert await start("198.51.100.23") == 429  # A's ceiling is reached
        assert await start("198.51.100.23", SLUG_B) == 303  # B has its own


async def _round_trip(c: httpx.AsyncClient, who: str) -> httpx.Response:
    started = await c.get(f"/t/{SLUG_A}/login", params={"login_hint": who})
    assert started.status_code == 303, started.status_code
    back = await follow_provider(started.headers["location"])
    return await c.get(back.removeprefix(BASE))


async def test_a_full_sign_in_counts_once(peer_app: PeerApp, tenant_a: Tenant) -> None:
    client, _ = peer_app(login_rate_per_minute=2)
    async with client as c:
        for who in ("mentor", "mentee"):
            landed = await _round_trip(c, who)
            assert landed.status_code == 303
            assert landed.headers["location"].endswith(f"/t/{SLUG_A}/me")
        assert (await c.get(f"/t/{SLUG_A}/login")).status_code == 429


async def test_an_answer_to_no_started_sign_in_counts_as_an_attempt(
    peer_app: PeerApp, tenant_a: Tenant
) -> None:
    client, _ = peer_app(login_rate_per_minute=2)
    bogus = f"/t/{SLUG_A}/login/callback?state={secrets.token_urlsafe(16)}&code=x"
    async with client as c:
        assert (await c.get(bogus)).status_code == 400
        assert (await c.get(f"/t/{SLUG_A}/login")).status_code == 303
        assert (await c.get(bogus)).status_code == 429


async def test_switching_roles_twenty_times_a_minute_is_not_limited(
    peer_app: PeerApp, tenant_a: Tenant
) -> None:
    """The default limits let a person try every role, as on the embedded default."""
    defaults = {
        name: DEFAULTS[name]
        for name in (
            "login_rate_per_minute",
            "login_account_rate_per_minute",
            "login_tenant_rate_per_minute",
        )
    }
    client, _ = peer_app(**defaults)
    async with client as c:
        for i in range(20):
            who = ("admin", "coordinator", "mentor", "mentee")[i % 4]
            c.cookies.clear()
            landed = await _round_trip(c, who)
            assert landed.status_code == 303, (i, landed.status_code)


async def test_approval_links_are_limited_per_address_and_tenant(
    peer_app: PeerApp, tenant_a: Tenant
) -> None:
    client, peer = peer_app(link_rate_per_minute=2, link_tenant_rate_per_minute=3)
    link = f"/t/{SLUG_A}/approvals/not-a-real-token"
    async with client as c:

        async def open_link(address: str) -> httpx.Response:
            peer.address = address
            return await c.get(link)

        assert [(await open_link("198.51.100.30")).status_code for _ in range(3)] == [
            404,
            404,
            429,
        ]
        assert (await open_link("198.51.100.31")).status_code == 404
        refused = await open_link("198.51.100.32")
        assert refused.status_code == 429
        assert "retry-after" in refused.headers
