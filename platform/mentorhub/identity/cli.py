"""`mentorhub identity …`: what an operator needs to open a new association in production.

A new tenant has no members, so nobody can sign in to its admin pages to configure its single
sign-on. These commands close that loop from the operator's shell:

- `platform-admin EMAIL` lists a platform administrator (they then sign in at
  `/platform/login` through the platform's own provider, `MENTORHUB_PLATFORM_OIDC_*`);
- `sso SLUG --issuer URL --client-id ID` stores the association's OpenID Connect provider
  (`services.configure_sso`, the same checks as the admin page) and makes it the *active*
  one at once: the operator needs no test sign-in, unlike an admin's change on the page; the
  client secret is read from `MENTORHUB_SSO_CLIENT_SECRET` or asked for without echo, never
  taken as an argument (it would show in the process list and the shell history);
- `tenant-admin SLUG EMAIL` lists the association's first administrator
  (`services.change_roles`): their first sign-in with that (verified) e-mail address links
  the account and they hold the tenant admin role; sessions they already have end, so the
  role holds at once.

Each change is recorded in the tenant's audit log with the actor "operator (command line)".
Bad input changes nothing and exits 1 with one line saying what is wrong.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
import httpx
from redis.asyncio import Redis
from sqlalchemy import func, select

from mentorhub.db import Database
from mentorhub.identity.membership import EMAIL
from mentorhub.identity.models import Role
from mentorhub.identity.oidc import OidcClient
from mentorhub.identity.providers import DEFAULT_SCOPES
from mentorhub.identity.services import SsoForm, SsoProblems, change_roles, configure_sso
from mentorhub.identity.sessions import SessionStore
from mentorhub.settings import Settings, SettingsError, get_settings
from mentorhub.tenancy.models import PlatformAdmin, Tenant
from mentorhub.tenancy.services import find_by_slug

OPERATOR = "operator (command line)"
SECRET_ENV = "MENTORHUB_SSO_CLIENT_SECRET"
T = TypeVar("T")


def _settings() -> Settings:
    try:
        settings = get_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    if settings.database_url is None or settings.app_database_url is None:
        raise click.ClickException(
            "DATABASE_URL is not set (a postgresql:// URL of the owner role)"
        )
    return settings


def _email(value: str) -> str:
    if not EMAIL.match(value):
        raise click.ClickException(f"{value!r} is not an e-mail address")
    return value.lower()


def _run(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    async def run() -> T:
        # Operator commands connect as the owner (DATABASE_URL): the runtime role may not
        # list platform administrators (migration 0006).
        db = Database.connect(
            settings.database_url or "", pool_size=1, timeouts=settings.db_timeouts()
        )
        try:
            return await work(db)
        except OSError as exc:
            raise click.ClickException(f"cannot reach PostgreSQL: {exc}") from None
        finally:
            await db.dispose()

    return asyncio.run(run())


async def _tenant(db: Database, slug: str) -> Tenant:
    tenant = await find_by_slug(db, slug)
    if tenant is None:
        raise click.ClickException(f"no tenant {slug!r} (load it with `mentorhub tenants load`)")
    return tenant


@click.group()
def identity() -> None:
    """Platform administrators, an association's single sign-on and first administrator."""


@identity.command("platform-admin")
@click.argument("email")
@click.option("--name", default=None, help="display name (default: the e-mail address)")
def platform_admin(email: str, name: str | None) -> None:
    """List EMAIL as a platform administrator."""
    settings = _settings()
    address = _email(email)

    async def work(db: Database) -> bool:
        async with db.platform() as session:
            found = (
                await session.execute(
                    select(PlatformAdmin).where(func.lower(PlatformAdmin.email) == address)
                )
            ).scalar_one_or_none()
            if found is not None:
                return False
            session.add(PlatformAdmin(id=uuid.uuid4(), email=address, display_name=name or address))
            return True

    added = _run(settings, work)
    click.echo(f"{address} {'is now' if added else 'already is'} a platform administrator")


@identity.command("sso")
@click.argument("slug")
@click.option("--issuer", required=True, help="the provider's issuer URL (https://)")
@click.option("--client-id", required=True)
@click.option("--scopes", default=DEFAULT_SCOPES, show_default=True)
@click.option("--membership-claim", default=None, help="ID-token claim giving membership status")
@click.option("--roles-claim", default=None, help="ID-token claim listing MentorHub roles")
def sso(
    slug: str,
    issuer: str,
    client_id: str,
    scopes: str,
    membership_claim: str | None,
    roles_claim: str | None,
) -> None:
    """Make SLUG's active OpenID Connect provider (checked like the admin page, discovery
    included). Active at once, without the test sign-in an admin's change waits for: you
    are the operator. Audited as "sso_configured" by the operator."""
    settings = _settings()
    if settings.secret_key is None:
        raise click.ClickException(
            "MENTORHUB_SECRET_KEY is not set (it encrypts the client secret at rest)"
        )
    secret = os.environ.get(SECRET_ENV)
    if secret is None and sys.stdin.isatty():
        secret = click.prompt("Client secret", hide_input=True, default="", show_default=False)
    if not (secret or "").strip():
        raise click.ClickException(f"no client secret (set {SECRET_ENV}, or run in a terminal)")
    form = SsoForm(
        issuer=issuer,
        client_id=client_id,
        client_secret=secret or "",
        scopes=scopes,
        membership_claim=membership_claim or "",
        roles_claim=roles_claim or "",
    )
    secret_key = settings.secret_key

    async def work(db: Database) -> str:
        tenant = await _tenant(db, slug)
        async with httpx.AsyncClient(timeout=10) as http:
            try:
                saved = await configure_sso(
                    db, tenant.id, secret_key, OidcClient(http), form, actor=OPERATOR, activate=True
                )
            except SsoProblems as exc:
                raise click.ClickException(
                    "; ".join(f"--{p.path.replace('_', '-')}: {p.message}" for p in exc.problems)
                ) from None
        return saved.issuer

    stored = _run(settings, work)
    click.echo(f"{slug}: members now sign in at {stored}")


@identity.command("tenant-admin")
@click.argument("slug")
@click.argument("email")
@click.option("--name", default=None, help="display name until their first sign-in")
def tenant_admin(slug: str, email: str, name: str | None) -> None:
    """Make EMAIL an administrator of SLUG (listed now, linked at first sign-in)."""
    settings = _settings()
    address = _email(email)

    async def work(db: Database) -> bool:
        tenant = await _tenant(db, slug)
        redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
        try:
            change = await change_roles(
                db,
                tenant.id,
                email=address,
                name=name,
                add=[Role.TENANT_ADMIN],
                actor=OPERATOR,
                sessions=_sessions(settings, redis),
            )
        finally:
            if redis is not None:
                await redis.aclose()
        return change.changed

    changed = _run(settings, work)
    click.echo(f"{address} {'is now' if changed else 'already is'} an administrator of {slug}")


def _sessions(settings: Settings, redis: Redis | None) -> SessionStore | None:
    """The session store, so a role change ends the member's sessions (production has
    REDIS_URL; without it there are no sessions to end)."""
    if redis is None:
        return None
    return SessionStore(
        redis,
        idle_seconds=settings.session_idle_seconds,
        absolute_seconds=settings.session_absolute_seconds,
    )
