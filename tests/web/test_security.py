"""Security headers on every kind of response, and CSRF tokens bound to one session and one
tenant: a token from another session, another tenant, or from before sign-in is refused
and changes nothing. Real application, real PostgreSQL and Redis, real OIDC provider."""

from __future__ import annotations

import gc
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Response, get
from litestar.params import FromPath
from sqlalchemy import select

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.identity.guards import PUBLIC, rule
from mentorhub.identity.models import ApprovalRequest, Member
from mentorhub.identity.sessions import TENANT_COOKIE
from mentorhub.settings import Settings
from mentorhub.tenancy.models import Tenant
from mentorhub.web.security import CSRF_COOKIE
from tests.identity.conftest import (  # noqa: F401  (fixtures)
    BASE,
    SLUG_A,
    SLUG_B,
    OidcProvider,
    client,
    csrf_from,
    email,
    providers,
    settings,
    sign_in,
    tenant_a,
    tenant_b,
)
from tests.identity.test_approvals import new_request, status_of
from tests.support import serving

REFUSED = "This form had expired or did not come from this site"


async def test_a_refused_multipart_upload_leaves_no_open_file(
    client: httpx.AsyncClient,  # noqa: F811
    db: Database,
    tenant_a: Tenant,  # noqa: F811
) -> None:
    """A multipart post with a forged token is refused before any handler; the files the
    check spooled to read the token are closed (an unclosed one is a ResourceWarning, an
    error in this suite), and nothing changes."""
    await sign_in(client, SLUG_A, "admin")
    url, token = await roles_form(client, db, tenant_a)
    big = b"%PDF-1.7\n" + b"x" * 2_000_000  # past the in-memory spool: a real temporary file
    for _ in range(3):
        refused = await client.post(
            url,
            data={"_csrf_token": token[:-2] + "AA", "roles": "coordinator"},
            files={"file": ("report.pdf", big, "application/pdf")},
        )
        assert refused.status_code == 403

    gc.collect()  # an unclosed spooled file warns here
    assert await roles_of(db, tenant_a, "mentor") == ["mentor"]


@pytest.fixture
async def other(db: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    """A second browser."""
    async with serving(create_app(settings, db=db), base_url=BASE) as c:
        yield c


async def _member(db: Database, tenant: Tenant, who: str) -> Member:
    """The seeded member `who` of `tenant`, as the database has it now."""
    async with db.tenant(tenant.id) as session:
        member = (
            await session.execute(select(Member).where(Member.email == email(tenant.slug, who)))
        ).scalar_one()
        await session.refresh(member)
        return member


async def roles_of(db: Database, tenant: Tenant, who: str) -> list[str]:
    return sorted((await _member(db, tenant, who)).roles)


async def member_id(db: Database, tenant: Tenant, who: str) -> str:
    return str((await _member(db, tenant, who)).id)


async def approval_token(browser: httpx.AsyncClient, slug: str, link: str) -> str:
    """The CSRF token the approval page gives this browser."""
    return csrf_from((await browser.get(f"/t/{slug}/approvals/{link}")).text)


async def approve(
    browser: httpx.AsyncClient, url: str, token: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    """Post an approval's decision ("approve") with `token`."""
    return await browser.post(
        url, headers=headers or {}, data={"_csrf_token": token, "decision": "approve"}
    )


async def roles_form(browser: httpx.AsyncClient, db: Database, tenant: Tenant) -> tuple[str, str]:
    """Where the admin's form for the mentor's roles posts to, and the CSRF token the
    members page gives `browser` (signed in as the admin)."""
    mentor = await member_id(db, tenant, "mentor")
    page = await browser.get(f"/t/{tenant.slug}/admin/members")
    return f"/t/{tenant.slug}/admin/members/{mentor}/roles", csrf_from(page.text)


async def assert_mentor_made_coordinator(
    done: httpx.Response, db: Database, tenant: Tenant
) -> None:
    """The roles form went through: redirected, and the mentor is now a coordinator."""
    assert done.status_code == 303
    assert await roles_of(db, tenant, "mentor") == ["coordinator"]


async def assert_approved(
    browser: httpx.AsyncClient,
    url: str,
    token: str,
    db: Database,
    tenant: Tenant,
    request: ApprovalRequest,
) -> None:
    """Approving at `url` with `token` goes through and the request is approved."""
    done = await approve(browser, url, token)
    assert done.status_code == 200
    assert await status_of(db, tenant, request) == "approved"


# --- CSRF --------------------------------------------------------------------------------


async def test_a_token_from_another_session_is_refused(
    client: httpx.AsyncClient,  # noqa: F811
    other: httpx.AsyncClient,
    db: Database,
    tenant_a: Tenant,  # noqa: F811
) -> None:
    """Session A's whole cookie-and-token pair (every cookie but the session itself), used
    in session B: Litestar's check accepted it; ours refuses it."""
    await sign_in(client, SLUG_A, "admin")
    await sign_in(other, SLUG_A, "admin")
    url, token_a = await roles_form(client, db, tenant_a)
    for cookie in client.cookies.jar:
        if cookie.name != TENANT_COOKIE:
            other.cookies.set(
                cookie.name, cookie.value or "", domain=cookie.domain, path=cookie.path
            )
    refused = await other.post(url, data={"_csrf_token": token_a, "roles": ["coordinator"]})
    assert refused.status_code == 403
    assert REFUSED in refused.text
    assert await roles_of(db, tenant_a, "mentor") == ["mentor"]
    # The same request with session B's own token goes through.
    _, token_b = await roles_form(other, db, tenant_a)
    assert token_b != token_a
    done = await other.post(url, data={"_csrf_token": token_b, "roles": ["coordinator"]})
    await assert_mentor_made_coordinator(done, db, tenant_a)


async def test_a_token_from_another_tenant_is_refused(
    client: httpx.AsyncClient,  # noqa: F811
    db: Database,
    settings: Settings,  # noqa: F811
    tenant_a: Tenant,  # noqa: F811
    tenant_b: Tenant,  # noqa: F811
) -> None:
    """One browser, no session: the token from tenant A's approval page does not decide
    tenant B's approval, on B's prefix or on B's own host."""
    _, link_a = await new_request(db, settings, tenant_a)
    request_b, link_b = await new_request(db, settings, tenant_b)
    token_a = await approval_token(client, SLUG_A, link_a)
    for where, headers in ((f"/t/{SLUG_B}", {}), ("", {"host": f"{SLUG_B}.example.org"})):
        refused = await approve(client, f"{where}/approvals/{link_b}", token_a, headers)
        assert refused.status_code == 403
        assert REFUSED in refused.text
    assert await status_of(db, tenant_b, request_b) == "pending"
    token_b = await approval_token(client, SLUG_B, link_b)
    url_b = f"/t/{SLUG_B}/approvals/{link_b}"
    await assert_approved(client, url_b, token_b, db, tenant_b, request_b)


async def test_a_token_from_before_sign_in_is_refused_once_signed_in(
    client: httpx.AsyncClient,  # noqa: F811
    db: Database,
    settings: Settings,  # noqa: F811
    tenant_a: Tenant,  # noqa: F811
) -> None:
    request, link = await new_request(db, settings, tenant_a)
    url = f"/t/{SLUG_A}/approvals/{link}"
    anonymous = await approval_token(client, SLUG_A, link)
    assert client.cookies.get(CSRF_COOKIE)  # the pre-session cookie it is bound to
    await sign_in(client, SLUG_A, "mentor")
    refused = await approve(client, url, anonymous)
    assert refused.status_code == 403
    assert await status_of(db, tenant_a, request) == "pending"
    signed_in = await approval_token(client, SLUG_A, link)
    assert signed_in != anonymous
    await assert_approved(client, url, signed_in, db, tenant_a, request)


async def test_a_missing_or_forged_token_is_refused(
    client: httpx.AsyncClient,  # noqa: F811
    db: Database,
    tenant_a: Tenant,  # noqa: F811
) -> None:
    await sign_in(client, SLUG_A, "admin")
    url, token = await roles_form(client, db, tenant_a)
    for data, headers in (
        ({"roles": ["coordinator"]}, {}),
        ({"_csrf_token": token[:-2] + "AA", "roles": ["coordinator"]}, {}),
        ({"_csrf_token": "", "roles": ["coordinator"]}, {}),
        ({"roles": ["coordinator"]}, {"x-csrftoken": "nonsense"}),
    ):
        refused = await client.post(url, data=data, headers=headers)
        assert refused.status_code == 403, data
    assert await roles_of(db, tenant_a, "mentor") == ["mentor"]
    by_header = await client.post(
        url, data={"roles": ["coordinator"]}, headers={"x-csrftoken": token}
    )
    await assert_mentor_made_coordinator(by_header, db, tenant_a)


async def test_the_csrf_cookie_is_secure_where_the_session_cookie_is(
    client: httpx.AsyncClient,  # noqa: F811
    db: Database,
    settings: Settings,  # noqa: F811
    tenant_a: Tenant,  # noqa: F811
) -> None:
    _, link = await new_request(db, settings, tenant_a)
    on_host = await client.get(f"/approvals/{link}", headers={"host": f"{SLUG_A}.example.org"})
    cookie = on_host.headers["set-cookie"]
    assert cookie.startswith(f"{CSRF_COOKIE}=") and "Secure" in cookie and "HttpOnly" in cookie
    client.cookies.clear()
    local = await client.get(f"/t/{SLUG_A}/approvals/{link}")
    assert local.headers["set-cookie"].startswith(f"{CSRF_COOKIE}=")
    assert "Secure" not in local.headers["set-cookie"]


# --- headers -----------------------------------------------------------------------------


def check_headers(response: httpx.Response) -> str:
    """The headers every response carries; returns the CSP."""
    csp = response.headers["content-security-policy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ")}
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"][0] == "'self'"
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert re.fullmatch(r"'self' 'nonce-[A-Za-z0-9_-]{22}'", " ".join(directives["style-src"]))
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] in ("strict-origin-when-cross-origin", "no-referrer")
    assert "camera=()" in response.headers["permissions-policy"]
    assert len(response.headers.get_list("content-security-policy")) == 1
    return csp


async def test_headers_on_every_kind_of_response(
    db: Database,
    settings: Settings,  # noqa: F811
    tenant_a: Tenant,  # noqa: F811
    providers: dict[str, OidcProvider],  # noqa: F811
) -> None:
    @get("/t/{tenant_slug:str}/boom", opt=rule(PUBLIC))
    async def boom(tenant_slug: FromPath[str]) -> str:
        raise RuntimeError("a bug")

    app = create_app(settings, db=db)
    app.app.register(boom)  # type: ignore[attr-defined]
    async with serving(app, base_url=BASE) as c:
        public = {
            "/": 200,
            f"/t/{SLUG_A}/": 200,
            "/static/app.css": 200,
            f"/t/{SLUG_A}/no-such-page": 404,
            "/t/no-such-association/": 404,
            "/nowhere": 404,
            f"/t/{SLUG_A}/boom": 500,
            f"/t/{SLUG_A}/me": 303,  # to sign in
        }
        for path, status in public.items():
            response = await c.get(path)
            assert response.status_code == status, path
            check_headers(response)
            private = path.endswith("/me")  # a signed-in area: never cached, even the redirect
            assert ("no-store" in response.headers.get("cache-control", "")) is private, path
            assert "strict-transport-security" not in response.headers, path  # localhost
        await sign_in(c, SLUG_A, "mentor")
        signed_in = {
            f"/t/{SLUG_A}/": 200,
            f"/t/{SLUG_A}/me": 200,
            f"/t/{SLUG_A}/admin/members": 403,
            f"/t/{SLUG_A}/no-such-page": 404,
            f"/t/{SLUG_A}/boom": 500,
        }
        for path, status in signed_in.items():
            response = await c.get(path)
            assert response.status_code == status, path
            csp = check_headers(response)
            assert response.headers["cache-control"] == "no-store", path
            if path.endswith(("/me", "/admin/members")):  # pages with the sign-out form:
                assert providers["a"].issuer in csp, path  # it may lead to the provider
        static = await c.get("/static/app.css")
        check_headers(static)
        assert "no-store" not in static.headers.get("cache-control", "")


async def test_the_nonce_is_fresh_and_matches_the_page(
    client: httpx.AsyncClient,  # noqa: F811
    tenant_a: Tenant,  # noqa: F811
) -> None:
    nonces = []
    for _ in range(2):
        page = await client.get(f"/t/{SLUG_A}/")
        csp = check_headers(page)
        nonce = re.search(r"'nonce-([^']+)'", csp)
        assert nonce is not None
        assert f'<style nonce="{nonce.group(1)}">' in page.text
        assert " style=" not in page.text
        nonces.append(nonce.group(1))
    assert nonces[0] != nonces[1]


async def test_hsts_only_off_local_hosts(
    client: httpx.AsyncClient,  # noqa: F811
    tenant_a: Tenant,  # noqa: F811
) -> None:
    on_host = await client.get("/", headers={"host": f"{SLUG_A}.example.org"})
    assert on_host.status_code == 200
    check_headers(on_host)
    assert on_host.headers["strict-transport-security"].startswith("max-age=")
    for host in ("localhost", "127.0.0.1:8000", "[::1]:8000", f"{SLUG_A}.localhost"):
        local = await client.get("/healthz", headers={"host": host})
        check_headers(local)
        assert "strict-transport-security" not in local.headers, host


async def test_approval_links_are_never_cached_nor_leaked_as_referrer(
    client: httpx.AsyncClient,  # noqa: F811
    db: Database,
    settings: Settings,  # noqa: F811
    tenant_a: Tenant,  # noqa: F811
) -> None:
    _, link = await new_request(db, settings, tenant_a)
    for url, headers in (
        (f"/t/{SLUG_A}/approvals/{link}", {}),
        (f"/approvals/{link}", {"host": f"{SLUG_A}.example.org"}),
        (f"/t/{SLUG_A}/approvals/not-a-link", {}),
    ):
        page = await client.get(url, headers=headers)
        check_headers(page)
        assert page.headers["cache-control"] == "no-store", url
        assert page.headers["referrer-policy"] == "no-referrer", url


async def test_a_response_that_sets_its_own_policy_keeps_it(
    db: Database,
    settings: Settings,  # noqa: F811
) -> None:
    """The embedded mail catcher frames an e-mail under its own, stricter policy."""
    policy = "default-src 'none'; sandbox; frame-ancestors 'self'"

    @get("/framed", opt=rule(PUBLIC))
    async def framed() -> Response[str]:
        return Response(
            "<p>mail</p>",
            media_type="text/html",
            headers={"content-security-policy": policy, "x-frame-options": "SAMEORIGIN"},
        )

    app = create_app(settings, db=db)
    app.app.register(framed)  # type: ignore[attr-defined]
    async with serving(app, base_url=BASE) as c:
        response = await c.get("/framed")
    assert response.headers.get_list("content-security-policy") == [policy]
    assert response.headers.get_list("x-frame-options") == ["SAMEORIGIN"]
    assert response.headers["x-content-type-options"] == "nosniff"
