"""Keys derived from the one `secret_key`: one per purpose (and per tenant where a value
must be worthless on another tenant), so no key is ever used for two things."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import uuid

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def derive_key(secret_key: str, purpose: str, tenant_id: uuid.UUID | None = None) -> bytes:
    info = purpose.encode() + (b":" + tenant_id.bytes if tenant_id is not None else b"")
    return hmac.new(secret_key.encode(), info, hashlib.sha256).digest()


def encrypt_secret(secret_key: str, tenant_id: uuid.UUID, plaintext: str) -> str:
    """AES-256-GCM with a tenant's key; the tenant id is bound in as associated data."""
    nonce = os.urandom(12)
    key = derive_key(secret_key, "idp-client-secret", tenant_id)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), tenant_id.bytes)
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt_secret(secret_key: str, tenant_id: uuid.UUID, stored: str) -> str:
    raw = base64.urlsafe_b64decode(stored.encode())
    key = derive_key(secret_key, "idp-client-secret", tenant_id)
    return AESGCM(key).decrypt(raw[:12], raw[12:], tenant_id.bytes).decode()
