"""The tenant admin's pages: roles (audited) and the association's single sign-on."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select

from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.identity.models import IdentityProvider, Member
from mentorhub.identity.sessions import TENANT_COOKIE
from mentorhub.tenancy.models import Tenant
from tests.identity.conftest import SLUG_A, OidcProvider, csrf_from, email, sign_in


async def member(db: Database, tenant: Tenant, key: str) -> Member:
    async with db.tenant(tenant.id) as session:
        return (
            await session.execute(select(Member).where(Member.email == email(SLUG_A, key)))
        ).scalar_one()


async def test_role_change_is_audited_and_ends_the_members_sessions(
    client: httpx.AsyncClient, db: Database, tenant_a: Tenant
) -> None:
    await sign_in(client, SLUG_A, "mentor")
    mentor_token = client.cookies.get(TENANT_COOKIE)
    client.cookies.clear()
    await sign_in(client, SLUG_A, "admin")
    page = await client.get(f"/t/{SLUG_A}/admin/members")
    assert page.status_code == 200
    mentor = await member(db, tenant_a, "mentor")
    saved = await client.post(
        f"/t/{SLUG_A}/admin/members/{mentor.id}/roles",
        data={"_csrf_token": csrf_from(page.text), "roles": ["mentor", "coordinator"]},
    )
    assert saved.status_code == 303
    assert sorted((await member(db, tenant_a, "mentor")).roles) == ["coordinator", "mentor"]
    async with db.tenant(tenant_a.id) as session:
        entry = (
            await session.execute(select(AuditEntry).where(AuditEntry.action == "role_change"))
        ).scalar_one()
    assert entry.actor == email(SLUG_A, "admin")
    assert entry.details == {"from": ["mentor"], "to": ["coordinator", "mentor"]}
    client.cookies.clear()
    stale = await client.get(
        f"/t/{SLUG_A}/me", headers={"cookie": f"{TENANT_COOKIE}={mentor_token}"}
    )
    assert stale.status_code == 303  # the session with the old roles is gone
    await sign_in(client, SLUG_A, "mentor")
    assert (await client.get(f"/t/{SLUG_A}/coordinator/members")).status_code == 200


async def test_an_admin_keeps_their_own_admin_role(
    client: httpx.AsyncClient, db: Database, tenant_a: Tenant
) -> None:
    await sign_in(client, SLUG_A, "admin")
    page = await client.get(f"/t/{SLUG_A}/admin/members")
    admin = await member(db, tenant_a, "admin")
    await client.post(
        f"/t/{SLUG_A}/admin/members/{admin.id}/roles",
        data={"_csrf_token": csrf_from(page.text), "roles": ["mentor"]},
    )
    assert sorted((await member(db, tenant_a, "admin")).roles) == ["mentor", "tenant_admin"]


async def test_sso_settings_are_checked_and_the_secret_encrypted(
    client: httpx.AsyncClient,
    db: Database,
    tenant_a: Tenant,
    providers: dict[str, OidcProvider],
) -> None:
    await sign_in(client, SLUG_A, "admin")
    page = await client.get(f"/t/{SLUG_A}/admin/sso")
    assert page.status_code == 200
    token = csrf_from(page.text)
    bad = await client.post(
        f"/t/{SLUG_A}/admin/sso",
        data={
            "_csrf_token": token,
            "issuer": "http://sso.example.org",
            "client_id": "",
            "client_secret": "",
        },
    )
    assert bad.status_code == 400
    assert "Nothing was saved" in bad.text
    assert "https://" in bad.text and "Client ID is needed" in bad.text
    b = providers["b"]
    good = await client.post(
        f"/t/{SLUG_A}/admin/sso",
        data={
            "_csrf_token": token,
            "issuer": b.issuer,
            "client_id": "new-client",
            "client_secret": "a-very-secret-value",
            "scopes": "openid email",
            "membership": "membership_status",
        },
    )
    assert good.status_code == 200, good.text[:300]
    async with db.tenant(tenant_a.id) as session:
        rows = {p.issuer: p for p in (await session.execute(select(IdentityProvider))).scalars()}
    assert rows[b.issuer].client_id == "new-client"
    assert "a-very-secret-value" not in rows[b.issuer].client_secret_enc
    assert not re.search("a-very-secret-value", good.text)


async def test_roles_from_a_mapped_claim_are_audited(db: Database, tenant_a: Tenant) -> None:
    from mentorhub.identity.oidc import ProviderConfig
    from mentorhub.identity.services import sign_in as sign_in_action

    config = ProviderConfig("http://127.0.0.1:1", "c", "s", claim_mapping={"roles": "groups"})
    claims = {
        "sub": "from-claims",
        "email": email(SLUG_A, "mentee"),
        "email_verified": True,
        "groups": ["mentee", "coordinator", "superuser"],
    }
    signed_in = await sign_in_action(db, tenant_a.id, config, claims)
    assert signed_in.roles == ("coordinator", "mentee")  # unknown roles are dropped
    async with db.tenant(tenant_a.id) as session:
        entry = (
            await session.execute(select(AuditEntry).where(AuditEntry.action == "role_change"))
        ).scalar_one()
    assert entry.details == {"from": ["mentee"], "to": ["coordinator", "mentee"]}
