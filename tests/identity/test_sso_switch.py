"""An association's single sign-on changes for real, and only once it is proven to work:
saved settings stay pending (members keep signing in through the active provider) until the
admin's test sign-in through them returns a valid ID token; a wrong secret leaves the old
provider in place and the page says why. Real oidc-provider instances on loopback."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
from sqlalchemy import select

from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.identity.models import IdentityProvider
from mentorhub.tenancy.models import Tenant
from tests.identity.conftest import (
    BASE,
    SLUG_A,
    OidcProvider,
    csrf_from,
    follow_provider,
    sign_in,
)

MIX_UP = "mix-up"  # a client at B's provider registered with A's callback (conftest)
MIX_UP_SECRET = "mix-up-secret"


async def _save(client: httpx.AsyncClient, issuer: str, secret: str) -> httpx.Response:
    page = await client.get(f"/t/{SLUG_A}/admin/sso")
    return await client.post(
        f"/t/{SLUG_A}/admin/sso",
        data={
            "_csrf_token": csrf_from(page.text),
            "issuer": issuer,
            "client_id": MIX_UP,
            "client_secret": secret,
            "scopes": "openid email profile",
        },
    )


async def _admin_saves(client: httpx.AsyncClient, issuer: str, secret: str) -> httpx.Response:
    """The admin signs in and saves `issuer` with `secret`; the page shown again (200)."""
    await sign_in(client, SLUG_A, "admin")
    saved = await _save(client, issuer, secret)
    assert saved.status_code == 200, saved.text[:300]
    return saved


def _another_browser(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """A second browser at the same application, with none of `client`'s cookies."""
    return httpx.AsyncClient(transport=client._transport, base_url=BASE)


async def _test_sign_in(client: httpx.AsyncClient, who: str) -> str:
    """Press "Test sign-in", play the browser at the provider, return where MentorHub sends
    the admin afterwards."""
    page = await client.get(f"/t/{SLUG_A}/admin/sso")
    assert "Test sign-in" in page.text
    started = await client.post(
        f"/t/{SLUG_A}/admin/sso/test",
        data={"_csrf_token": csrf_from(page.text), "login_hint": who},
    )
    assert started.status_code == 303, started.text[:300]
    back = await follow_provider(started.headers["location"])
    answered = await client.get(back.removeprefix(BASE))
    assert answered.status_code == 303, answered.text[:300]
    return str(answered.headers["location"])


async def _login_goes_to(slug: str, db_client: httpx.AsyncClient) -> str:
    """Where a new visitor's sign-in is sent (the provider's origin)."""
    started = await db_client.get(f"/t/{slug}/login", params={"login_hint": "mentor"})
    assert started.status_code == 303
    parts = urlsplit(started.headers["location"])
    return f"{parts.scheme}://{parts.netloc}"


async def _audit(db: Database, tenant: Tenant, action: str) -> list[AuditEntry]:
    async with db.tenant(tenant.id) as session:
        rows = await session.execute(select(AuditEntry).where(AuditEntry.action == action))
        return list(rows.scalars())


async def test_a_new_provider_takes_over_only_after_a_test_sign_in(
    client: httpx.AsyncClient,
    db: Database,
    tenant_a: Tenant,
    providers: dict[str, OidcProvider],
) -> None:
    a, b = providers["a"], providers["b"]
    saved = await _admin_saves(client, b.issuer, MIX_UP_SECRET)
    assert "Waiting for a test sign-in" in saved.text
    assert b.issuer in saved.text and a.issuer in saved.text  # pending and active both shown

    async with _another_browser(client) as visitor:
        assert await _login_goes_to(SLUG_A, visitor) == a.issuer  # still the active one

        landed = await _test_sign_in(client, "admin")
        assert landed == f"/t/{SLUG_A}/admin/sso?test=activated"
        page = await client.get(landed)
        assert f"Members now sign in at {b.issuer}" in page.text
        assert "Waiting for a test sign-in" not in page.text

        assert await _login_goes_to(SLUG_A, visitor) == b.issuer
        done = await sign_in(visitor, SLUG_A, "mentor")  # a member signs in through B
        assert done.status_code == 303 and done.headers["location"] == f"/t/{SLUG_A}/me"

    async with db.tenant(tenant_a.id) as session:
        rows = list((await session.execute(select(IdentityProvider))).scalars())
    assert [(r.status, r.issuer, r.client_id) for r in rows] == [("active", b.issuer, MIX_UP)]
    activated = await _audit(db, tenant_a, "sso_activated")
    assert len(activated) == 1
    assert activated[0].details["issuer"] == b.issuer
    assert activated[0].details["previous"] == a.issuer

    # The same settings again, secret left empty: the stored one is kept, nothing changes.
    again = await _save(client, b.issuer, "")
    assert again.status_code == 200, again.text[:300]
    assert "already the active settings" in again.text


async def test_a_wrong_secret_leaves_the_old_provider_working_and_says_why(
    client: httpx.AsyncClient,
    db: Database,
    tenant_a: Tenant,
    providers: dict[str, OidcProvider],
) -> None:
    a, b = providers["a"], providers["b"]
    await _admin_saves(client, b.issuer, "not-the-secret")

    landed = await _test_sign_in(client, "admin")
    assert landed == f"/t/{SLUG_A}/admin/sso?test=failed"
    page = await client.get(landed)
    assert "The test sign-in did not work" in page.text
    assert "refused the client ID or client secret (invalid_client)" in page.text
    assert "Members still sign in through the active provider" in page.text

    async with _another_browser(client) as visitor:
        assert await _login_goes_to(SLUG_A, visitor) == a.issuer
        done = await sign_in(visitor, SLUG_A, "mentor")  # the old provider keeps working
        assert done.headers["location"] == f"/t/{SLUG_A}/me"

    failed = await _audit(db, tenant_a, "sso_test_failed")
    assert len(failed) == 1 and "invalid_client" in failed[0].details["reason"]
    assert await _audit(db, tenant_a, "sso_activated") == []

    # Corrected, then tested: now it takes over.
    fixed = await _save(client, b.issuer, MIX_UP_SECRET)
    assert fixed.status_code == 200
    assert await _test_sign_in(client, "admin") == f"/t/{SLUG_A}/admin/sso?test=activated"


async def test_the_secret_is_needed_for_a_new_issuer_or_client(
    client: httpx.AsyncClient,
    db: Database,
    tenant_a: Tenant,
    providers: dict[str, OidcProvider],
) -> None:
    await sign_in(client, SLUG_A, "admin")
    refused = await _save(client, providers["b"].issuer, "")
    assert refused.status_code == 400
    assert "Client secret is needed for a new issuer or client ID" in refused.text
    async with db.tenant(tenant_a.id) as session:
        statuses = [r.status for r in (await session.execute(select(IdentityProvider))).scalars()]
    assert statuses == ["active"]


async def test_a_test_answer_for_replaced_settings_activates_nothing(
    client: httpx.AsyncClient,
    db: Database,
    tenant_a: Tenant,
    providers: dict[str, OidcProvider],
) -> None:
    """Settings saved again while a test sign-in was under way: its answer was for the
    replaced ones and must not activate the new ones untested."""
    b = providers["b"]
    await sign_in(client, SLUG_A, "admin")
    await _save(client, b.issuer, MIX_UP_SECRET)
    page = await client.get(f"/t/{SLUG_A}/admin/sso")
    started = await client.post(
        f"/t/{SLUG_A}/admin/sso/test",
        data={"_csrf_token": csrf_from(page.text), "login_hint": "admin"},
    )
    back = await follow_provider(started.headers["location"])
    await _save(client, b.issuer, "changed-meanwhile")  # a new pending row
    answered = await client.get(back.removeprefix(BASE))
    assert answered.headers["location"] == f"/t/{SLUG_A}/admin/sso?test=failed"
    async with db.tenant(tenant_a.id) as session:
        rows = {r.status: r for r in (await session.execute(select(IdentityProvider))).scalars()}
    assert rows["active"].issuer == providers["a"].issuer
    assert rows["pending"].issuer == b.issuer
