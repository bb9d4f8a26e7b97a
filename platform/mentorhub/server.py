"""Serving: the web alone (production), or web + worker + clock (embedded default)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from mentorhub.app import create_app
from mentorhub.applications.demo import fill_demo_applications
from mentorhub.db import Database
from mentorhub.demo import seed_demo_members
from mentorhub.identity import demo_idp
from mentorhub.messages.catcher import MailCatcher
from mentorhub.messages.delivery import require_smtp
from mentorhub.messages.demo import send_demo_mail
from mentorhub.pairs.storage import require_storage, storage_from
from mentorhub.schemes import TenantFile
from mentorhub.settings import Settings, get_settings
from mentorhub.tenancy.loading import load_tenants
from mentorhub.tenancy.routing import TenantRouting


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


def _uvicorn_options(host: str, port: int) -> dict[str, Any]:
    return {
        "host": host,
        "port": port,
        "log_level": "warning",
        "lifespan": "on",
        # uvicorn would believe X-Forwarded-For from 127.0.0.1 (or FORWARDED_ALLOW_IPS) and
        # rewrite the client; the app does that itself, from MENTORHUB_TRUSTED_PROXIES only
        # (mentorhub/web/proxies.py).
        "proxy_headers": False,
        "server_header": False,
    }


def _uvicorn_config(app: Any, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(app, **_uvicorn_options(host, port))


def default_workers() -> int:
    """One web process per CPU this process may use: the CPUs it is allowed to run on, and
    no more than a container's CPU quota (cgroup v2 `cpu.max`, rounded up) allows."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            cpus = min(cpus, -(-int(quota) // int(period)))
    except (OSError, ValueError):
        pass
    return max(1, cpus)


def parse_workers(value: str) -> int:
    """`--workers`: a whole number from 1 to 64, or `auto` (`default_workers()`)."""
    text = value.strip().lower()
    if text == "auto":
        return default_workers()
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise ValueError(f"--workers must be a number from 1 to 64 or 'auto', not {value!r}")
    return int(text)


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


def serving_app(settings: Settings | None = None) -> TenantRouting:
    """The application a serving process runs: `create_app()`, then everything built so far
    (modules, compiled templates, the app) frozen out of the garbage collector's sight
    (`gc.freeze()`): it lives as long as the process, and a full collection after a large
    page (the cockpit's 3,000 rows) no longer walks it. Measured on the cockpit at a
    3,000-pair cohort, one client: p95 207 → 78 ms (the p50 barely moves)."""
    app = create_app(settings)
    gc.freeze()
    return app


def serve(*, host: str, port: int, workers: int = 1) -> None:
    """Production serving: `workers` web processes on one listening socket (uvicorn's
    supervisor starts them, restarts one that dies and stops them all on SIGINT/SIGTERM).
    Each builds its own application from the environment (`create_app()`), so each has its
    own database pool, Redis clients and tenant directory."""
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
    require_storage(settings)  # documents: S3 or a shared directory, said now
    if workers == 1:
        uvicorn.Server(_uvicorn_config(serving_app(settings), host, port)).run()
        return
    # Worker processes import the app by name (uvicorn starts them fresh, not forked).
    config = uvicorn.Config(
        "mentorhub.server:serving_app",
        factory=True,
        workers=workers,
        **_uvicorn_options(host, port),
    )
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[listening_socket(host, port)]).run()


def listening_socket(host: str, port: int) -> socket.socket:
    """The socket the worker processes share, made as uvicorn's `Config.bind_socket` makes it
    but with the protocol named (IPPROTO_TCP). uvicorn leaves it 0; accepted connections
    inherit that, asyncio then does not set TCP_NODELAY on them, and every keep-alive
    response after the first waits ~40 ms for the client's delayed ACK (uvicorn issue
    #3149: measured here as 44 ms for every page, the bare reference app's too)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


async def _started(server: uvicorn.Server, serving: asyncio.Task[None]) -> None:
    """Wait until uvicorn listens (it offers a flag, not an event) or gives up."""
    while not server.started and not serving.done():  # noqa: ASYNC110
        await asyncio.sleep(0.02)


class ClockThread:
    """The embedded default's clock (the outbox relay) on a thread and event loop of its
    own, with its own small database pool, so its polling never queues behind (or in front
    of) a page on the web's event loop. The Dramatiq worker already runs on threads of its
    own (`workers/runtime.py`)."""

    def __init__(
        self,
        run: Callable[..., Any],
        settings: Settings,
        *,
        checkpoints_after: threading.Event | None = None,
    ) -> None:
        self._run = run
        self._settings = settings
        #: The checkpoints' pass waits for it (the demo filled in); the relay does not.
        self._checkpoints_after = checkpoints_after
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="mentorhub-clock", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(timeout=10)

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # its loop has already ended
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)

    def _main(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        settings = self._settings
        assert settings.app_database_url is not None
        try:
            db = Database.connect(
                settings.app_database_url, pool_size=2, timeouts=settings.db_timeouts()
            )
            self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        finally:
            self._ready.set()  # started (or failed to): start() waits no longer
        try:
            if self._checkpoints_after is None:
                await self._run(settings, db, self._stop)
            else:
                await self._run(settings, db, self._stop, checkpoints_after=self._checkpoints_after)
        finally:
            await db.dispose()


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
        if not settings.verify_resolve:  # no DNS names a demo hostname: the console's
            # hostname check asks this very server (MENTORHUB_VERIFY_RESOLVE overrides it)
            settings = replace(settings, verify_resolve=(("*", "127.0.0.1", port),))
        stop_worker = hooks["worker"](settings)
        await send_demo_mail(db, settings, tenants, f"http://localhost:{port}")
        # Made through the actions while the product serves (a first start makes ~70).
        demo = asyncio.create_task(
            fill_demo_applications(db, tenants, storage=storage_from(settings))
        )
        # The clock's checkpoints' pass starts once the demo is filled in (or failed, or was
        # cancelled): the demo makes its pairs' checkpoint history with the clock's own steps,
        # and a pass at the present reaching those pairs first (a slow first start) would
        # leave each item one catch-up mail instead of that history.
        filled = threading.Event()
        demo.add_done_callback(lambda _: filled.set())
        clock = ClockThread(hooks["clock"], settings, checkpoints_after=filled)
        clock.start()
        server = _OwnedServer(_uvicorn_config(serving_app(settings), host, port))
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
            demo.cancel()
            with contextlib.suppress(BaseException):
                await demo
            await asyncio.to_thread(clock.stop)
            await asyncio.to_thread(stop_worker)
            mail.stop()
    finally:
        await db.dispose()
