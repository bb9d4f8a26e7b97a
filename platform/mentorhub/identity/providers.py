"""A tenant's identity providers, stored with the client secret encrypted."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.db.session import current_tenant
from mentorhub.identity.models import IdentityProvider
from mentorhub.identity.oidc import ProviderConfig, check_issuer_url
from mentorhub.identity.secrets import decrypt_secret, encrypt_secret

DEFAULT_MAPPING = {"email": "email", "name": "name"}


async def save_provider(
    session: AsyncSession,
    secret_key: str,
    *,
    issuer: str,
    client_id: str,
    client_secret: str,
    scopes: str = "openid email profile",
    claim_mapping: dict[str, str] | None = None,
) -> IdentityProvider:
    """Create or replace the tenant's provider for `issuer`."""
    tenant_id = current_tenant(session)
    check_issuer_url(issuer)
    if "openid" not in scopes.split():
        raise ValueError("the scopes must include openid")
    found = (
        await session.execute(select(IdentityProvider).where(IdentityProvider.issuer == issuer))
    ).scalar_one_or_none()
    row = found or IdentityProvider(tenant_id=tenant_id, id=uuid.uuid4(), issuer=issuer)
    row.client_id = client_id
    row.client_secret_enc = encrypt_secret(secret_key, tenant_id, client_secret)
    row.scopes = scopes
    row.claim_mapping = {**DEFAULT_MAPPING, **(claim_mapping or {})}
    if found is None:
        session.add(row)
    await session.flush()
    return row


async def tenant_provider(session: AsyncSession, secret_key: str) -> ProviderConfig | None:
    """The tenant's provider (the first configured, if several)."""
    row = (
        (await session.execute(select(IdentityProvider).order_by(IdentityProvider.created_at)))
        .scalars()
        .first()
    )
    if row is None:
        return None
    return ProviderConfig(
        issuer=row.issuer,
        client_id=row.client_id,
        client_secret=decrypt_secret(secret_key, row.tenant_id, row.client_secret_enc),
        scopes=row.scopes,
        claim_mapping=dict(row.claim_mapping),
    )
