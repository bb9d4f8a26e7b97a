"""Serving: the web alone (production), or web + worker + clock (embedded default)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.settings import Settings, get_settings
from mentorhub.tenancy.demo import load_tenants, seed_demo_members


def _uvicorn_config(app: Any, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on",
                          proxy_headers=True, server_header=False)


def serve(*, host: str, port: int) -> None:
    settings = get_settings()
    if settings.secret_key is None:
        print("mentorhub: MENTORHUB_SECRET_KEY is not set (production mode needs one)", file=sys.stderr)
        raise SystemExit(1)
    uvicorn.Server(_uvicorn_config(create_app(settings), host, port)).run()


async def run_all(
    settings: Settings,
    *,
    host: str,
    port: int,
    hooks: dict[str, Callable[..., Any]],
    data_dir: Path,
) -> None:
    assert settings.app_database_url is not None
    db = Database.connect(settings.app_database_url, pool_size=settings.db_pool_size)
    try:
        tenants = await load_tenants(db, settings.tenants_dir)
        await seed_demo_members(db, tenants)
        stop_worker = hooks["worker"](settings)
        stop = asyncio.Event()
        clock = asyncio.create_task(hooks["clock"](settings, db, stop))
        server = uvicorn.Server(_uvicorn_config(create_app(settings), host, port))
        shown = "localhost" if host in ("127.0.0.1", "::1") else host
        print(f"MentorHub is running at http://{shown}:{port}/  (data: {data_dir})", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        try:
            await server.serve()
        finally:
            stop.set()
            await clock
            await asyncio.to_thread(stop_worker)
    finally:
        await db.dispose()
