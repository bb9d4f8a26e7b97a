"""`mentorhub serve --workers`: how the number is read, the socket the worker processes
share, and two worker processes answering against the test database."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
import pytest
from click.testing import CliRunner

from mentorhub.cli import main
from mentorhub.server import default_workers, listening_socket, parse_workers
from tests.conftest import Servers

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("value", "expected"), [("1", 1), ("2", 2), (" 8 ", 8), ("64", 64)])
def test_workers_is_a_number(value: str, expected: int) -> None:
    assert parse_workers(value) == expected


def test_workers_auto_is_one_per_usable_cpu() -> None:
    assert parse_workers("auto") == parse_workers("AUTO") == default_workers()
    assert 1 <= default_workers() <= len(os.sched_getaffinity(0))


@pytest.mark.parametrize("value", ["0", "-1", "65", "two", "", "1.5", "auto2"])
def test_a_bad_workers_value_is_refused_in_one_line(value: str) -> None:
    with pytest.raises(ValueError, match="--workers must be a number from 1 to 64"):
        parse_workers(value)
    result = CliRunner().invoke(main, ["serve", "--workers", value])
    assert result.exit_code == 2
    assert "--workers must be a number from 1 to 64 or 'auto'" in result.output


async def test_connections_on_the_shared_socket_get_tcp_nodelay() -> None:
    """asyncio sets TCP_NODELAY only on connections accepted from a socket whose protocol is
    IPPROTO_TCP; uvicorn's own socket says 0, and every keep-alive response then waited
    ~40 ms for the client's delayed ACK."""
    listener = listening_socket("127.0.0.1", 0)
    accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
    try:
        port = listener.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        assert await asyncio.wait_for(accepted, 10) != 0
        writer.close()
    finally:
        server.close()
        await server.wait_closed()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_runs_the_given_number_of_worker_processes(servers: Servers) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MENTORHUB_")}
    env |= {
        "DATABASE_URL": servers.owner_url,
        "MENTORHUB_APP_DATABASE_URL": servers.app_url,
        "REDIS_URL": servers.redis_url,
        "MENTORHUB_SECRET_KEY": secrets.token_urlsafe(40),
        "MENTORHUB_SMTP_URL": "smtp://127.0.0.1:9",
        "MENTORHUB_STORAGE_DIR": tempfile.gettempdir(),  # documents (none uploaded)
    }
    command = [sys.executable, "-m", "mentorhub.cli", "serve", "--workers", "2"]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            while True:
                assert process.poll() is None, process.communicate()[1]
                try:
                    health = client.get("/healthz")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "serve did not answer within 60 s"
                    time.sleep(0.2)
            assert health.status_code == 200, health.text
            for _ in range(20):  # one keep-alive connection, answered by the workers
                assert client.get("/healthz").status_code == 200
        workers = [
            child
            for child in psutil.Process(process.pid).children()
            if "multiprocessing.resource_tracker" not in " ".join(child.cmdline())
        ]
        assert len(workers) == 2, [w.cmdline() for w in workers]
    finally:
        process.terminate()
        _, err = process.communicate(timeout=60)
    assert "Traceback" not in err, err


def test_serve_refuses_to_start_without_storage_for_documents(servers: Servers) -> None:
    """Production without MENTORHUB_S3_BUCKET or MENTORHUB_STORAGE_DIR: one line naming
    both, exit 1 — not documents left on one web machine's disk."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MENTORHUB_")}
    env |= {
        "DATABASE_URL": servers.owner_url,
        "MENTORHUB_APP_DATABASE_URL": servers.app_url,
        "REDIS_URL": servers.redis_url,
        "MENTORHUB_SECRET_KEY": secrets.token_urlsafe(40),
        "MENTORHUB_SMTP_URL": "smtp://127.0.0.1:9",
    }
    done = subprocess.run(
        [sys.executable, "-m", "mentorhub.cli", "serve", "--port", str(_free_port())],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "MENTORHUB_S3_BUCKET" in done.stderr and "MENTORHUB_STORAGE_DIR" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_serving_process_freezes_what_it_built_out_of_the_collector(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`serving_app` (what `mentorhub serve` and the embedded default run) is the app, with
    everything built by then frozen (`gc.freeze()`): a full collection after a large page no
    longer walks the modules, templates and app (the cockpit's p95 at one client: 207 → 78
    ms at a 3,000-pair cohort)."""
    import gc

    from mentorhub.server import serving_app
    from mentorhub.settings import get_settings
    from mentorhub.tenancy.routing import TenantRouting

    gc.unfreeze()
    try:
        app = serving_app(get_settings())
        assert isinstance(app, TenantRouting)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # the test process's own objects go back to the collector
