"""Serving: the web alone (production), or web + worker + clock (embedded default)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import uvicorn

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.demo import seed_demo_members
from mentorhub.identity import demo_idp
from mentorhub.messages.catcher import MailCatcher
from mentorhub.messages.delivery import require_smtp
from mentorhub.messages.demo import send_demo_mail
from mentorhub.schemes import TenantFile
from mentorhub.settings import Settings, get_settings
from mentorhub.tenancy.loading import load_tenants


class _OwnedServer(uvicorn.Server):
    """uvicorn re-raises the stop signal after shutting down, so that a bare server exits
    the way a signal would. The embedded default has cleanup to do after serving (worker,
    clock, PostgreSQL, Redis), so here a signal only ends serving."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {
            sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _uvicorn_config(app: Any, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        lifespan="on",
        # uvicorn would believe X-Forwarded-For from 127.0.0.1 (or FORWARDED_ALLOW_IPS) and
        # rewrite the client; the app does that itself, from MENTORHUB_TRUSTED_PROXIES only
        # (mentorhub/web/proxies.py).
        proxy_headers=False,
        server_header=False,
    )


class PreflightError(RuntimeError):
    pass


async def preflight(settings: Settings) -> None:
    """Reach PostgreSQL (as the runtime role) and Redis before serving, so a wrong address
    is one clear line at startup rather than an error on every request."""
    import redis

    from mentorhub.db.urls import describe

    assert settings.app_database_url is not None and settings.redis_url is not None
    db = Database.connect(settings.app_database_url, pool_size=1, timeouts=settings.db_timeouts())
    try:
        async with asyncio.timeout(5), db.engine.connect() as conn:
            await conn.exec_driver_sql("SELECT 1 FROM tenants LIMIT 1")
    except Exception as exc:
        reason = _reason(exc)
        if "does not exist" in reason:
            reason += " (has `mentorhub db upgrade` run on this database?)"
        raise PreflightError(
            f"cannot use PostgreSQL at {describe(settings.app_database_url)}: {reason}"
        ) from None
    finally:
        await db.dispose()
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=3, socket_timeout=3)
    try:
        await asyncio.to_thread(client.ping)
    except redis.RedisError as exc:
        raise PreflightError(f"cannot reach Redis at {settings.redis_url}: {exc}") from None
    finally:
        client.close()


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def serve(*, host: str, port: int) -> None:
    settings = get_settings()
    if settings.secret_key is None:
        print(
            "mentorhub: MENTORHUB_SECRET_KEY is not set (production mode needs one)",
            file=sys.stderr,
        )
        raise SystemExit(1)
    require_smtp(settings)  # one line now, not a failure at the first message
    try:
        asyncio.run(preflight(settings))
    except PreflightError as exc:
        print(f"mentorhub: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    uvicorn.Server(_uvicorn_config(create_app(settings), host, port)).run()


async def _started(server: uvicorn.Server, serving: asyncio.Task[None]) -> None:
    """Wait until uvicorn listens (it offers a flag, not an event) or gives up."""
    while not server.started and not serving.done():  # noqa: ASYNC110
        await asyncio.sleep(0.02)


async def run_all(
    settings: Settings,
    *,
    host: str,
    port: int,
    hooks: dict[str, Callable[..., Any]],
    data_dir: Path,
    files: list[TenantFile] | None = None,
) -> None:
    assert settings.app_database_url is not None and settings.database_url is not None
    # Tenants and platform admins are the owner's to write; the runtime role only reads them.
    owner = Database.connect(settings.database_url, pool_size=1, timeouts=settings.db_timeouts())
    try:
        tenants = await load_tenants(owner, settings.tenants_dir, files=files)
        await seed_demo_members(owner, tenants)
    finally:
        await owner.dispose()
    db = Database.connect(
        settings.app_database_url, pool_size=settings.db_pool_size, timeouts=settings.db_timeouts()
    )
    try:
        await demo_idp.provision(db, settings, tenants, f"http://127.0.0.1:{port}")
        # The mail catcher: every e-mail goes to it, readable at /mail (embedded only).
        mail = MailCatcher(data_dir).start()
        os.environ["MENTORHUB_SMTP_URL"] = mail.url
        os.environ["MENTORHUB_BASE_URL"] = f"http://localhost:{port}"
        get_settings.cache_clear()
        settings = replace(get_settings(), data_dir=data_dir)
        stop_worker = hooks["worker"](settings)
        await send_demo_mail(db, settings, tenants, f"http://localhost:{port}")
        stop = asyncio.Event()
        clock = asyncio.create_task(hooks["clock"](settings, db, stop))
        server = _OwnedServer(_uvicorn_config(create_app(settings), host, port))
        serving = asyncio.create_task(server.serve())
        try:
            await _started(server, serving)
            if server.started:
                shown = "localhost" if host in ("127.0.0.1", "::1") else host
                print(
                    f"MentorHub is running at http://{shown}:{port}/  (data: {data_dir})",
                    flush=True,
                )
                print("Press Ctrl-C to stop.", flush=True)
            await serving
        finally:
            stop.set()
            await clock
            await asyncio.to_thread(stop_worker)
            mail.stop()
    finally:
        await db.dispose()
