"""A tenant's identity providers, stored with the client secret encrypted.

A tenant has at most one *active* provider (members sign in through it) and at most one
*pending* one (an admin's saved change, waiting for one successful test sign-in before it
replaces the active one); partial unique indexes enforce both (migration 0005). These are
the in-transaction steps; `services` holds the actions that call them and audit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.db.session import current_tenant
from mentorhub.identity.models import IdentityProvider, ProviderStatus
from mentorhub.identity.oidc import ProviderConfig, check_issuer_url
from mentorhub.identity.secrets import decrypt_secret, encrypt_secret

DEFAULT_MAPPING = {"email": "email", "name": "name"}
DEFAULT_SCOPES = "openid email profile"


@dataclass(frozen=True)
class StoredProvider:
    """A provider row as the pages and actions see it (the secret decrypted in `config`)."""

    id: uuid.UUID
    status: str
    config: ProviderConfig
    test_error: str | None
    tested_at: datetime | None


def to_config(row: IdentityProvider, secret_key: str) -> ProviderConfig:
    return ProviderConfig(
        issuer=row.issuer,
        client_id=row.client_id,
        client_secret=decrypt_secret(secret_key, row.tenant_id, row.client_secret_enc),
        scopes=row.scopes,
        claim_mapping=dict(row.claim_mapping),
    )


def stored(row: IdentityProvider, secret_key: str) -> StoredProvider:
    return StoredProvider(
        id=row.id,
        status=row.status,
        config=to_config(row, secret_key),
        test_error=row.test_error,
        tested_at=row.tested_at,
    )


async def rows_by_status(session: AsyncSession) -> dict[str, IdentityProvider]:
    """The tenant's provider rows: at most one per status."""
    rows = (await session.execute(select(IdentityProvider))).scalars()
    return {row.status: row for row in rows}


async def save_provider(
    session: AsyncSession,
    secret_key: str,
    *,
    issuer: str,
    client_id: str,
    client_secret: str,
    scopes: str = DEFAULT_SCOPES,
    claim_mapping: dict[str, str] | None = None,
    status: str = ProviderStatus.ACTIVE,
) -> IdentityProvider:
    """Store the tenant's provider of `status`, replacing the one it had (a new row, new id:
    a test sign-in started for the replaced settings cannot activate these)."""
    tenant_id = current_tenant(session)
    check_issuer_url(issuer)
    if "openid" not in scopes.split():
        raise ValueError("the scopes must include openid")
    await session.execute(delete(IdentityProvider).where(IdentityProvider.status == status))
    row = IdentityProvider(
        tenant_id=tenant_id,
        id=uuid.uuid4(),
        issuer=issuer,
        client_id=client_id,
        client_secret_enc=encrypt_secret(secret_key, tenant_id, client_secret),
        scopes=scopes,
        claim_mapping={**DEFAULT_MAPPING, **(claim_mapping or {})},
        status=status,
    )
    session.add(row)
    await session.flush()
    return row


async def promote(session: AsyncSession, pending: IdentityProvider) -> IdentityProvider | None:
    """Make `pending` the active provider; returns the replaced one (deleted), if any."""
    rows = await rows_by_status(session)
    previous = rows.get(ProviderStatus.ACTIVE)
    if previous is not None:
        await session.delete(previous)
        await session.flush()  # the old active row goes before the index sees a new one
    pending.status = ProviderStatus.ACTIVE
    pending.test_error = None
    await session.flush()
    return previous


async def tenant_provider(session: AsyncSession, secret_key: str) -> ProviderConfig | None:
    """The provider the tenant's members sign in through (the active one), if any."""
    row = (await rows_by_status(session)).get(ProviderStatus.ACTIVE)
    return None if row is None else to_config(row, secret_key)
