"""Every way a member's roles change goes through `services.change_roles`' step: one audit
row, and the member's existing sessions end (they carry the old roles). The admin page is
covered in test_admin.py, the operator's command in test_operator_cli.py; here the roles an
ID token's mapped claim grants at sign-in."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from sqlalchemy import select

from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.identity import services
from mentorhub.identity.models import Member
from mentorhub.identity.oidc import ProviderConfig
from mentorhub.identity.sessions import Identity, SessionStore
from mentorhub.tenancy.models import Tenant
from tests.conftest import Servers
from tests.identity.conftest import SLUG_A, email


@pytest.fixture
async def sessions(servers: Servers) -> AsyncIterator[SessionStore]:
    redis = Redis.from_url(servers.redis_url)
    try:
        yield SessionStore(redis, idle_seconds=600, absolute_seconds=3600)
    finally:
        await redis.aclose()


async def _member(db: Database, tenant: Tenant, who: str) -> Member:
    async with db.tenant(tenant.id) as session:
        found = await session.execute(select(Member).where(Member.email == email(SLUG_A, who)))
        return found.scalar_one()


async def _session_of(sessions: SessionStore, member: Member, roles: tuple[str, ...]) -> str:
    """A signed-in session of `member` (of tenant A) holding `roles`."""
    return await sessions.create(
        Identity(
            email=member.email,
            display_name=member.display_name,
            tenant_id=str(member.tenant_id),
            tenant_slug=SLUG_A,
            member_id=str(member.id),
            roles=roles,
        )
    )


async def test_a_roles_claim_that_changes_roles_ends_the_members_sessions(
    db: Database, tenant_a: Tenant, sessions: SessionStore
) -> None:
    mentee = await _member(db, tenant_a, "mentee")
    old = await _session_of(sessions, mentee, ("mentee",))
    config = ProviderConfig("http://127.0.0.1:1", "c", "s", claim_mapping={"roles": "groups"})
    claims = {
        "sub": "claims-sub",
        "email": mentee.email,
        "email_verified": True,
        "groups": ["mentee", "coordinator"],
    }
    done = await services.sign_in(db, tenant_a.id, config, claims, sessions=sessions)
    assert done.roles == ("coordinator", "mentee")
    assert await sessions.load(old) is None  # the session with the old roles is gone
    async with db.tenant(tenant_a.id) as session:
        entries = list(
            (
                await session.execute(select(AuditEntry).where(AuditEntry.action == "role_change"))
            ).scalars()
        )
    assert [(e.actor, e.subject, e.details) for e in entries] == [
        (config.issuer, mentee.email, {"from": ["mentee"], "to": ["coordinator", "mentee"]})
    ]

    # The same roles at the next sign-in: no change, no audit row, sessions kept.
    kept = await _session_of(sessions, mentee, done.roles)
    await services.sign_in(db, tenant_a.id, config, claims, sessions=sessions)
    assert await sessions.load(kept) is not None


async def test_change_roles_by_id_keeps_the_actors_own_admin_role_and_reports_it(
    db: Database, tenant_a: Tenant
) -> None:
    admin = await _member(db, tenant_a, "admin")
    change = await services.change_roles(
        db, tenant_a.id, member_id=admin.id, roles=["mentor"], actor=admin.email
    )
    assert change.kept_own_admin
    assert change.after == ("mentor", "tenant_admin")
