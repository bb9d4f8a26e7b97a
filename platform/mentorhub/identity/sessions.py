"""Server-side sessions in Redis.

The cookie holds only a random token; Redis holds the session under the token's SHA-256, so
a Redis dump does not hand out live cookies. Each lookup refreshes the idle timeout (GETEX,
one round trip) and checks the absolute one. A session names its tenant (or the platform),
and the guard refuses it anywhere else.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from redis.asyncio import Redis

PREFIX = "mentorhub:session:"
TENANT_COOKIE = "mentorhub_session"
PLATFORM_COOKIE = "mentorhub_platform"


@dataclass(frozen=True)
class Identity:
    """Who a session belongs to. `tenant_id` is None for a platform admin's session."""

    email: str
    display_name: str
    tenant_id: str | None = None
    tenant_slug: str | None = None
    member_id: str | None = None
    roles: tuple[str, ...] = ()
    platform_admin: bool = False
    id_token: str | None = None
    issuer: str | None = None
    created: float = field(default_factory=time.time)


def _key(token: str) -> str:
    return PREFIX + hashlib.sha256(token.encode()).hexdigest()


def _member_index(tenant_id: str | None, member_id: str) -> str:
    return f"mentorhub:member-sessions:{tenant_id}:{member_id}"


class SessionStore:
    def __init__(self, redis: Redis, *, idle_seconds: int, absolute_seconds: int) -> None:
        self.redis = redis
        self.idle = idle_seconds
        self.absolute = absolute_seconds

    async def create(self, identity: Identity) -> str:
        token = secrets.token_urlsafe(32)
        data = asdict(identity)
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(_key(token), json.dumps(data), ex=self.idle)
        if identity.member_id is not None:
            index = _member_index(identity.tenant_id, identity.member_id)
            pipe.sadd(index, _key(token))
            pipe.expire(index, self.absolute)
        await pipe.execute()
        return token

    async def revoke_member(self, tenant_id: str, member_id: str) -> int:
        """End every session of one member (their roles changed); returns how many."""
        index = _member_index(tenant_id, member_id)
        keys = list(await self.redis.smembers(index))
        if keys:
            await self.redis.delete(*keys)
        await self.redis.delete(index)
        return len(keys)

    async def load(self, token: str | None) -> Identity | None:
        if not token or len(token) > 100:
            return None
        raw = await self.redis.getex(_key(token), ex=self.idle)
        if raw is None:
            return None
        data: dict[str, Any] = json.loads(raw)
        if time.time() - float(data["created"]) > self.absolute:
            await self.redis.delete(_key(token))
            return None
        data["roles"] = tuple(data["roles"])
        return Identity(**data)

    async def destroy(self, token: str | None) -> None:
        if token:
            await self.redis.delete(_key(token))

