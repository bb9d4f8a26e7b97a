"""Serving the real application in-process on the test's own event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

#: The five reference tenants, in seed order (000–004).
SLUGS = [
    "arts-marketing",
    "museums-association",
    "advice-skills-academy",
    "ahep",
    "alberta-museums",
]


@asynccontextmanager
async def serving(app: Any, base_url: str = "http://localhost") -> AsyncIterator[httpx.AsyncClient]:
    """Run the ASGI lifespan (startup/shutdown) around an httpx client on this loop, so the
    app can share the test's database connection."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    task = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, outbox.put)
    )
    started = await outbox.get()
    if started["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"application did not start: {started}")
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=base_url, follow_redirects=False
        ) as client:
            yield client
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await task
