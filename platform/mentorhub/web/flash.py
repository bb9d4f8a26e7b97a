"""A one-time notice for the page a form's redirect leads to ("Roles saved for …").

After a POST the browser is sent on with 303 (reloading never resubmits); what the action
did is kept here for that next page: in Redis for a minute, under the SHA-256 of the
browser's session cookie (so only that session sees it), and read once. Nothing goes in
the URL, so a link cannot fake a confirmation.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from litestar import Request
from redis.asyncio import Redis

PREFIX = "mentorhub:flash:"
TTL_SECONDS = 60


def _key(request: Request[Any, Any, Any], cookie: str) -> str | None:
    token = request.cookies.get(cookie)
    if not token:
        return None
    return PREFIX + hashlib.sha256(token.encode()).hexdigest()


async def put(
    redis: Redis, request: Request[Any, Any, Any], cookie: str, notice: dict[str, Any]
) -> None:
    """Keep `notice` (JSON-able) for this browser session's next page."""
    key = _key(request, cookie)
    if key is not None:
        await redis.set(key, json.dumps(notice), ex=TTL_SECONDS)


async def take(redis: Redis, request: Request[Any, Any, Any], cookie: str) -> dict[str, Any] | None:
    """The notice kept for this session, removed as it is read; None if there is none."""
    key = _key(request, cookie)
    if key is None:
        return None
    pipe = redis.pipeline(transaction=True)
    pipe.get(key)
    pipe.delete(key)
    raw, _ = await pipe.execute()
    if raw is None:
        return None
    notice = json.loads(raw)
    return notice if isinstance(notice, dict) else None
