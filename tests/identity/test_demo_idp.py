"""The demo identity provider: the embedded default signs in every demo role through the
real OIDC code path; production mode cannot switch it on."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.identity import demo_idp
from mentorhub.settings import get_settings
from tests.conftest import Servers

ROOT = Path(__file__).resolve().parents[2]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mentorhub.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def _wait_http(url: str, proc: subprocess.Popen[str], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("did not start in time")


def demo_sign_in(base: str, slug: str | None, who: str) -> tuple[httpx.Client, str]:
    """`slug` None: the platform sign-in."""
    browser = httpx.Client(follow_redirects=False, timeout=15)
    started = browser.get(f"{base}/t/{slug}/login" if slug else f"{base}/platform/login")
    assert started.status_code == 303, started.text[:300]
    at_idp = started.headers["location"]
    assert "/demo-idp/" in at_idp and "code_challenge_method=S256" in at_idp
    page = browser.get(at_idp)
    assert page.status_code == 200
    assert "<legend>Demo members</legend>" in page.text
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    fields["member"] = f"{who}@{slug}.localhost" if slug else who
    answered = browser.post(at_idp.split("?")[0], data=fields)
    assert answered.status_code == 303, answered.text[:300]
    assert "iss=" in answered.headers["location"]
    back = browser.get(answered.headers["location"])
    assert back.status_code == 303, back.text[:500]
    return browser, urljoin(base, back.headers["location"])


def test_newcomer_signs_in_as_each_demo_role_on_the_embedded_default(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MENTORHUB_") and k not in ("DATABASE_URL", "REDIS_URL")
    }
    port = _port()
    proc = _start(["--data-dir", str(tmp_path / "data"), "--port", str(port)], env)
    base = f"http://localhost:{port}"
    try:
        _wait_http(f"http://127.0.0.1:{port}/healthz", proc)
        expected = {
            "admin": ("/admin/audit", 200),
            "coordinator": ("/coordinator/members", 200),
            "mentor1": ("/coordinator/members", 403),
            "mentee1": ("/admin/roster", 403),
        }
        for who, (page, status) in expected.items():
            browser, me = demo_sign_in(base, "ahep", who)
            try:
                assert me == f"{base}/t/ahep/me"
                assert browser.get(me).status_code == 200
                assert browser.get(f"{base}/t/ahep{page}").status_code == status, who
            finally:
                browser.close()
        browser, landing = demo_sign_in(base, None, "platform.admin@mentorhub.localhost")
        try:
            assert landing == f"{base}/platform/tenants"
            page = browser.get(landing)
            assert page.status_code == 200
            assert "Alberta Museums Association" in page.text
        finally:
            browser.close()
    finally:
        _stop(proc)


def test_demo_provider_cannot_be_enabled_in_production_mode(
    servers: Servers, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DATABASE_URL set (production), even with MENTORHUB_EMBEDDED=1 forced: no routes, no
    provider object, and `mentorhub serve` answers 404 where the demo provider would be."""
    monkeypatch.setenv("MENTORHUB_EMBEDDED", "1")
    settings = get_settings()
    assert not settings.embedded
    assert not demo_idp.enabled(settings)
    paths = [route.path for route in create_app(settings).app.routes]  # type: ignore[attr-defined]
    assert not [p for p in paths if p.startswith("/demo-idp")]
    with pytest.raises(demo_idp.DemoProviderRefused):
        demo_idp.DemoIdentityProvider(settings)
    port = _port()
    proc = _start(["serve", "--port", str(port)], dict(os.environ))
    try:
        _wait_http(f"http://127.0.0.1:{port}/healthz", proc)
        answer = httpx.get(
            f"http://127.0.0.1:{port}/demo-idp/ahep/.well-known/openid-configuration"
        )
        assert answer.status_code == 404
    finally:
        _stop(proc)


async def test_provisioning_outside_the_embedded_default_is_refused(
    servers: Servers, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MENTORHUB_EMBEDDED", raising=False)
    with pytest.raises(demo_idp.DemoProviderRefused):
        await demo_idp.provision(db, get_settings(), [], "http://127.0.0.1:1")
