"""Serving the real application in-process on the test's own event loop."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from mentorhub.db import Database

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


@asynccontextmanager
async def as_owner(db: Database) -> AsyncIterator[Database]:
    """The owner's Database for the block: tenants, their hostnames and platform admins are
    written by the owner in production (tenant loading, operator commands); the runtime role
    may only read them. For the `db` fixture's one rolled-back transaction, that transaction
    takes the owner's role for the block and the runtime role back after it; for a Database
    that commits, a connection as the owner to the same database."""
    bind = db.sessionmaker.kw.get("bind")
    if isinstance(bind, AsyncConnection):
        before = (await bind.execute(text("SELECT current_user"))).scalar_one()
        await bind.execute(text("SET LOCAL ROLE NONE"))
        try:
            yield db
        finally:
            await bind.execute(text(f'SET LOCAL ROLE "{before}"'))
        return
    owner = make_url(os.environ["DATABASE_URL"])
    url = db.engine.url.set(username=owner.username, password=owner.password)
    owner_db = Database.connect(url.render_as_string(hide_password=False), pool_size=1)
    try:
        yield owner_db
    finally:
        await owner_db.dispose()
