"""`mentorhub identity …`: what an operator needs to open a new association in production.

A new tenant has no members, so nobody can sign in to its admin pages to configure its single
sign-on. These commands close that loop from the operator's shell:

- `platform-admin EMAIL` lists a platform administrator (they then sign in at
  `/platform/login` through the platform's own provider, `MENTORHUB_PLATFORM_OIDC_*`);
- `sso SLUG --issuer URL --client-id ID` stores the association's OpenID Connect provider after
  fetching its discovery document; the client secret is read from
  `MENTORHUB_SSO_CLIENT_SECRET` or asked for without echo, never taken as an argument (it
  would show in the process list and the shell history);
- `tenant-admin SLUG EMAIL` lists the association's first administrator: their first sign-in
  with that (verified) e-mail address links the account and they hold the tenant admin role.

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
from sqlalchemy import func, select

from mentorhub.db import Database
from mentorhub.identity import audit
from mentorhub.identity.membership import EMAIL
from mentorhub.identity.models import Member
from mentorhub.identity.oidc import OidcClient, OidcError, check_issuer_url
from mentorhub.identity.providers import save_provider
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
        db = Database.connect(settings.app_database_url or "", pool_size=1)
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
@click.option("--scopes", default="openid email profile", show_default=True)
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
    """Store SLUG's OpenID Connect provider (its discovery document must answer)."""
    settings = _settings()
    if settings.secret_key is None:
        raise click.ClickException(
            "MENTORHUB_SECRET_KEY is not set (it encrypts the client secret at rest)"
        )
    issuer = issuer.strip().rstrip("/")
    try:
        check_issuer_url(issuer)
    except ValueError as exc:
        raise click.ClickException(f"--issuer: {exc}") from None
    if "openid" not in scopes.split():
        raise click.ClickException("--scopes must include openid")
    secret = os.environ.get(SECRET_ENV)
    if secret is None and sys.stdin.isatty():
        secret = click.prompt("Client secret", hide_input=True, default="", show_default=False)
    if not (secret or "").strip():
        raise click.ClickException(f"no client secret (set {SECRET_ENV}, or run in a terminal)")
    assert secret is not None
    mapping = {
        key: claim
        for key, claim in (("membership", membership_claim), ("roles", roles_claim))
        if claim
    }
    secret_key = settings.secret_key

    async def work(db: Database) -> None:
        tenant = await _tenant(db, slug)
        async with httpx.AsyncClient(timeout=10) as http:
            try:
                await OidcClient(http).metadata(issuer)
            except OidcError as exc:
                raise click.ClickException(f"--issuer: {exc}") from None
        async with db.tenant(tenant.id) as session:
            await save_provider(
                session,
                secret_key,
                issuer=issuer,
                client_id=client_id,
                client_secret=secret.strip(),
                scopes=scopes,
                claim_mapping=mapping,
            )
            audit.record(session, "sso_configured", actor=OPERATOR, details={"issuer": issuer})

    _run(settings, work)
    click.echo(f"{slug}: members now sign in at {issuer}")


@identity.command("tenant-admin")
@click.argument("slug")
@click.argument("email")
@click.option("--name", default=None, help="display name until their first sign-in")
def tenant_admin(slug: str, email: str, name: str | None) -> None:
    """Make EMAIL an administrator of SLUG (listed now, linked at first sign-in)."""
    settings = _settings()
    address = _email(email)

    async def work(db: Database) -> str:
        tenant = await _tenant(db, slug)
        async with db.tenant(tenant.id) as session:
            member = (
                await session.execute(select(Member).where(func.lower(Member.email) == address))
            ).scalar_one_or_none()
            if member is not None and "tenant_admin" in member.roles:
                return "already is"
            before = sorted(member.roles) if member is not None else []
            if member is None:
                member = Member(
                    tenant_id=tenant.id,
                    id=uuid.uuid4(),
                    email=address,
                    display_name=(name or address)[:200],
                    roles=[],
                )
                session.add(member)
            member.roles = sorted({*before, "tenant_admin"})
            audit.record(
                session,
                "role_change",
                actor=OPERATOR,
                subject=address,
                details={"from": before, "to": member.roles},
            )
            return "is now"

    outcome = _run(settings, work)
    click.echo(f"{address} {outcome} an administrator of {slug}")
