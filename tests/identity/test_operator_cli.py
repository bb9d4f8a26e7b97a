"""Opening an association in production from the operator's shell: `mentorhub identity …`
lists a platform admin, stores the association's provider (secret encrypted, discovery
checked) and its first administrator, who then signs in through the real provider."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import select

from mentorhub.app import create_app
from mentorhub.core.audit import AuditEntry
from mentorhub.db import Database
from mentorhub.db.migrate import upgrade
from mentorhub.db.urls import with_database, with_user
from mentorhub.identity.models import IdentityProvider, Member
from mentorhub.identity.providers import save_provider, tenant_provider
from mentorhub.settings import Settings
from mentorhub.tenancy.models import PlatformAdmin, Tenant
from tests.conftest import Servers, admin_sql
from tests.embedded.test_embedded import CLEAN_ENV, ROOT
from tests.foundation.helpers import make_tenant
from tests.identity.conftest import BASE, SLUG_A, OidcProvider, email, sign_in
from tests.support import serving


@dataclasses.dataclass
class Fresh:
    env: dict[str, str]
    db: Database
    settings: Settings


@pytest.fixture
def fresh_urls(servers: Servers) -> Iterator[tuple[str, str]]:
    """A database of its own, migrated: the CLI commits, so it must not share the run's."""
    name = f"mh_operator_{uuid.uuid4().hex[:8]}"
    admin_sql(servers.owner_url, f'CREATE DATABASE "{name}"')
    owner = with_database(servers.owner_url, name)
    upgrade(owner, app_role="mentorhub_app")
    try:
        yield owner, with_user(owner, "mentorhub_app")
    finally:
        admin_sql(servers.owner_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def fresh(
    fresh_urls: tuple[str, str], servers: Servers, settings: Settings
) -> AsyncIterator[Fresh]:
    owner, app = fresh_urls
    assert settings.secret_key is not None
    env = {
        **CLEAN_ENV,
        "DATABASE_URL": owner,
        "MENTORHUB_APP_DATABASE_URL": app,
        "REDIS_URL": servers.redis_url,
        "MENTORHUB_SECRET_KEY": settings.secret_key,
        "MENTORHUB_OIDC_ALLOW_LOOPBACK": "true",  # production mode, test provider on loopback
    }
    db = Database.connect(app, pool_size=2)
    try:
        yield Fresh(
            env, db, dataclasses.replace(settings, database_url=owner, app_database_url=app)
        )
    finally:
        await db.dispose()


def operator(
    fresh: Fresh, *args: str, secret: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(fresh.env)
    if secret is not None:
        env["MENTORHUB_SSO_CLIENT_SECRET"] = secret
    return subprocess.run(
        [sys.executable, "-m", "mentorhub.cli", "identity", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


async def snapshot(db: Database, tenant: Tenant) -> tuple[int, int, int, int]:
    async with db.tenant(tenant.id) as session:
        members = len((await session.execute(select(Member))).all())
        providers = len((await session.execute(select(IdentityProvider))).all())
        audit = len((await session.execute(select(AuditEntry))).all())
    async with db.platform() as session:
        admins = len((await session.execute(select(PlatformAdmin))).all())
    return members, providers, audit, admins


async def test_an_operator_opens_an_association_and_its_admin_signs_in(
    fresh: Fresh, providers: dict[str, OidcProvider]
) -> None:
    tenant = await make_tenant(fresh.db, SLUG_A)
    a = providers["a"]

    done = operator(fresh, "platform-admin", "Ops@Example.org", "--name", "Olu Ops")
    assert done.returncode == 0, done.stderr
    assert "ops@example.org is now a platform administrator" in done.stdout
    again = operator(fresh, "platform-admin", "ops@example.org")
    assert again.returncode == 0 and "already is" in again.stdout

    done = operator(
        fresh,
        "sso",
        SLUG_A,
        "--issuer",
        a.issuer,
        "--client-id",
        a.client_id,
        "--membership-claim",
        "membership_status",
        secret=a.client_secret,
    )
    assert done.returncode == 0, done.stderr
    done = operator(fresh, "tenant-admin", SLUG_A, email(SLUG_A, "admin"), "--name", "Tess")
    assert done.returncode == 0, done.stderr
    assert "is now an administrator" in done.stdout

    async with fresh.db.tenant(tenant.id) as session:
        config = await tenant_provider(session, fresh.settings.secret_key or "")
        stored = (await session.execute(select(IdentityProvider))).scalar_one()
        actions = sorted(
            (e.action, e.actor) for e in (await session.execute(select(AuditEntry))).scalars()
        )
    assert config is not None and config.client_secret == a.client_secret
    assert a.client_secret not in stored.client_secret_enc
    assert config.claim_mapping["membership"] == "membership_status"
    assert actions == [
        ("role_change", "operator (command line)"),
        ("sso_configured", "operator (command line)"),
    ]

    app = create_app(fresh.settings, db=fresh.db)
    async with serving(app, base_url=BASE) as client:
        await sign_in(client, SLUG_A, "admin")
        page = await client.get(f"/t/{SLUG_A}/admin/members")
        assert page.status_code == 200
        assert email(SLUG_A, "admin") in page.text
    async with fresh.db.tenant(tenant.id) as session:
        admin = (
            await session.execute(select(Member).where(Member.email == email(SLUG_A, "admin")))
        ).scalar_one()
    assert admin.issuer == a.issuer and admin.roles == ["tenant_admin"]


async def test_the_tenant_admin_command_ends_the_members_sessions(
    fresh: Fresh, providers: dict[str, OidcProvider]
) -> None:
    """The role change holds at once: the member's session (carrying the old roles) ends,
    and one audit row records it."""
    tenant = await make_tenant(fresh.db, SLUG_A)
    a = providers["a"]
    async with fresh.db.tenant(tenant.id) as session:
        await save_provider(
            session,
            fresh.settings.secret_key or "",
            issuer=a.issuer,
            client_id=a.client_id,
            client_secret=a.client_secret,
        )
    mentor = email(SLUG_A, "mentor")
    app = create_app(fresh.settings, db=fresh.db)
    async with serving(app, base_url=BASE) as client:
        await sign_in(client, SLUG_A, "mentor")  # created at this first sign-in
        assert (await client.get(f"/t/{SLUG_A}/me")).status_code == 200
        done = operator(fresh, "tenant-admin", SLUG_A, mentor)
        assert done.returncode == 0, done.stderr
        assert (await client.get(f"/t/{SLUG_A}/me")).status_code == 303  # signed out
        await sign_in(client, SLUG_A, "mentor")
        assert (await client.get(f"/t/{SLUG_A}/admin/members")).status_code == 200
    async with fresh.db.tenant(tenant.id) as session:
        changes = list(
            (
                await session.execute(select(AuditEntry).where(AuditEntry.action == "role_change"))
            ).scalars()
        )
    assert [(e.actor, e.subject, e.details) for e in changes] == [
        ("operator (command line)", mentor, {"from": [], "to": ["tenant_admin"]})
    ]


@pytest.mark.parametrize(
    ("args", "secret", "message"),
    [
        (["platform-admin", "not-an-address"], None, "is not an e-mail address"),
        (["tenant-admin", "no-such-tenant", "a@example.org"], None, "no tenant 'no-such-tenant'"),
        (
            ["sso", "{slug}", "--issuer", "http://sso.example.org", "--client-id", "x"],
            "s",
            "--issuer: ",
        ),
        (
            ["sso", "{slug}", "--issuer", "https://127.0.0.1:1", "--client-id", "x"],
            "s",
            "--issuer: ",
        ),
        (
            ["sso", "{slug}", "--issuer", "{issuer}", "--client-id", "x", "--scopes", "email"],
            "s",
            "--scopes: Scopes must include openid",
        ),
        (["sso", "{slug}", "--issuer", "{issuer}", "--client-id", "x"], "", "no client secret"),
    ],
)
async def test_bad_operator_input_is_one_line_and_changes_nothing(
    fresh: Fresh,
    providers: dict[str, OidcProvider],
    args: list[str],
    secret: str | None,
    message: str,
) -> None:
    slug = f"op-{uuid.uuid4().hex[:8]}"
    tenant = await make_tenant(fresh.db, slug)
    before = await snapshot(fresh.db, tenant)
    filled = [x.format(slug=slug, issuer=providers["a"].issuer) for x in args]
    done = operator(fresh, *filled, secret=secret)
    assert done.returncode == 1
    # Less the warning that loopback providers are allowed (the fixture turns that on).
    lines = [x for x in done.stderr.strip().splitlines() if "OIDC_ALLOW_LOOPBACK" not in x]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], lines
    assert await snapshot(fresh.db, tenant) == before


def test_without_a_database_url_the_commands_say_so() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mentorhub.cli", "identity", "platform-admin", "a@example.org"],
        cwd=ROOT,
        env=CLEAN_ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "DATABASE_URL is not set" in done.stderr
