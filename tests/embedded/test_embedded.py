"""The one-command product: `mentorhub` on embedded services, as a newcomer runs it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from mentorhub.db.urls import with_database, with_user
from tests.conftest import Servers, admin_sql
from tests.support import SLUGS

ROOT = Path(__file__).resolve().parents[2]
CLEAN_ENV = {
    k: v
    for k, v in os.environ.items()
    if not k.startswith("MENTORHUB_") and k not in ("DATABASE_URL", "REDIS_URL")
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def mentorhub(
    *args: str, env: dict[str, str] | None = None, **kwargs: object
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mentorhub.cli", *args],
        cwd=ROOT,
        env=env or CLEAN_ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,  # type: ignore[call-overload]
    )


def wait_until_serving(proc: subprocess.Popen[str], timeout: float = 60) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if "MentorHub is running at" in line:
            return line.split("at ", 1)[1].split()[0]
        if proc.poll() is not None:
            raise AssertionError(f"mentorhub exited: {proc.stderr.read() if proc.stderr else ''}")
    raise AssertionError("mentorhub did not start in time")


def leftovers(data_dir: Path) -> list[str]:
    """Processes that still use the data directory (its PostgreSQL or Redis)."""
    found = []
    for proc in psutil.process_iter(["cmdline", "open_files"]):
        try:
            cmd = " ".join(proc.info["cmdline"] or [])
            if str(data_dir) in cmd or any(str(data_dir) in f.path for f in proc.open_files()):
                found.append(cmd)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "data"
    for proc in psutil.process_iter(["cmdline"]):  # never leave a server behind a failed test
        if str(tmp_path) in " ".join(proc.info["cmdline"] or []):
            proc.kill()


def test_one_command_serves_all_five_tenants_and_stops_cleanly(data_dir: Path) -> None:
    port = free_port()
    proc = mentorhub("--data-dir", str(data_dir), "--port", str(port))
    try:
        base = wait_until_serving(proc)
        with httpx.Client(base_url=base, timeout=10) as client:
            landing = client.get("/")
            assert landing.status_code == 200
            for slug in SLUGS:
                assert f"/t/{slug}/" in landing.text
                assert client.get(f"/t/{slug}/").status_code == 200
            assert client.get("/healthz").json()["status"] == "ok"
        secret = (data_dir / "secret_key").read_text()
        assert oct((data_dir / "secret_key").stat().st_mode & 0o777) == "0o600"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert leftovers(data_dir) == []

    # Restart: same data, same secret key, nothing created twice.
    proc = mentorhub("--data-dir", str(data_dir), "--port", str(port))
    try:
        base = wait_until_serving(proc)
        assert httpx.get(base + "t/ahep/", timeout=10).status_code == 200
        assert (data_dir / "secret_key").read_text() == secret
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert leftovers(data_dir) == []


def one_line_failure(proc: subprocess.Popen[str]) -> str:
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_occupied_port_is_one_clear_line_and_makes_nothing(data_dir: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = one_line_failure(mentorhub("--data-dir", str(data_dir), "--port", str(port)))
    assert f"port {port} on 127.0.0.1 is already in use" in line
    assert not data_dir.exists()


def test_a_port_just_freed_is_not_taken_for_busy() -> None:
    """After a stop, the server's side of its last connections waits in TIME_WAIT; a
    restart on the same port must go ahead (uvicorn itself binds with SO_REUSEADDR)."""
    from mentorhub.embedded import check_port

    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        served, _ = listener.accept()
        served.close()  # the server closes first: its end goes to TIME_WAIT
        client.close()
    check_port("127.0.0.1", port)


def test_unwritable_data_dir_is_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    line = one_line_failure(
        mentorhub("--data-dir", str(blocker / "data"), "--port", str(free_port()))
    )
    assert "is not writable" in line and str(blocker) in line


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"DATABASE_URL": "mysql://db/x", "REDIS_URL": "redis://127.0.0.1"},
            "must be a postgresql:// URL",
        ),
        (
            {"DATABASE_URL": "postgresql://db:port/x", "REDIS_URL": "redis://127.0.0.1"},
            "malformed port",
        ),
        ({"DATABASE_URL": "postgresql://127.0.0.1/x"}, "REDIS_URL is not set"),
        (
            {
                "DATABASE_URL": "postgresql://root@127.0.0.1:1/x",
                "REDIS_URL": "redis://127.0.0.1:1",
                "MENTORHUB_SECRET_KEY": "k" * 40,
                "MENTORHUB_SMTP_URL": "smtp://127.0.0.1:1",
            },
            "cannot use PostgreSQL at 127.0.0.1:1/x",
        ),
        ({"MENTORHUB_OUTBOX_BATCH": "lots"}, "MENTORHUB_OUTBOX_BATCH='lots' is not a whole number"),
        ({"MENTORHUB_LOG_LEVEL": "loud"}, "MENTORHUB_LOG_LEVEL='LOUD' must be one of DEBUG"),
    ],
)
def test_bad_settings_are_one_clear_line(
    env: dict[str, str], expected: str, tmp_path: Path
) -> None:
    line = one_line_failure(
        mentorhub(
            "--data-dir", str(tmp_path / "d"), "--port", str(free_port()), env={**CLEAN_ENV, **env}
        )
    )
    assert expected in line
    assert not (tmp_path / "d").exists()


def test_db_upgrade_rejects_a_bad_url() -> None:
    proc = mentorhub(
        "db",
        "upgrade",
        env={
            **CLEAN_ENV,
            "DATABASE_URL": "postgresql://root@127.0.0.1:1/x",
            "REDIS_URL": "redis://127.0.0.1",
        },
    )
    line = one_line_failure(proc)
    assert "cannot reach PostgreSQL at 127.0.0.1:1/x" in line


def test_db_upgrade_migrates_a_plain_url_and_sets_the_runtime_password(servers: Servers) -> None:
    """`mentorhub db upgrade` on a `postgresql://` URL, as an operator writes it; run twice."""
    name = f"mh_upgrade_{uuid.uuid4().hex[:8]}"
    admin_sql(servers.owner_url, f'CREATE DATABASE "{name}"')
    target = with_database(servers.owner_url, name)
    env = {
        **CLEAN_ENV,
        "DATABASE_URL": target,
        "MENTORHUB_APP_DATABASE_URL": with_user(target, "mentorhub_app", "s3cret-runtime"),
        "REDIS_URL": servers.redis_url,
    }
    try:
        for _ in range(2):
            proc = mentorhub("db", "upgrade", env=env)
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            assert "is at revision head" in out
        tables = admin_sql(
            target, "SELECT count(*) FROM pg_tables WHERE tablename IN ('tenants', 'outbox')"
        )
        assert tables == 2
        has_password = admin_sql(
            target, "SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = 'mentorhub_app'"
        )
        assert has_password is True
    finally:
        admin_sql(servers.owner_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
