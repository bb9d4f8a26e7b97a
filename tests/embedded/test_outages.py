"""The running product meets a frozen PostgreSQL and a Redis killed outright.

A frozen database (every PostgreSQL process stopped with SIGSTOP, as a hung host or a
paused VM leaves it) made every page hang for 30–75 s; now pages answer the branded "briefly
unavailable" page (503, `Retry-After`) within the configured timeouts and work again by
themselves once it thaws. A Redis killed with SIGKILL stayed dead and signed-in pages
answered 500 until the product was restarted; now it is started again on the same socket
with the same data, and the member's session still works.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.embedded.test_embedded import data_dir, free_port, mentorhub, wait_until_serving
from tests.identity.test_demo_idp import demo_sign_in

__all__ = ["data_dir"]  # the fixture, shared with test_embedded

#: Generous: a request either answers within this or the test fails (it is not a timing test).
ANSWER_WITHIN = 20.0


class Product:
    """The one-command product on its own data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.proc = mentorhub("--data-dir", str(data_dir), "--port", str(free_port()))
        self.base = wait_until_serving(self.proc).rstrip("/")

    def stop(self) -> list[str]:
        """Stop it (as Ctrl-C would); its standard error, line by line."""
        for process in postgres_processes(self.data_dir):  # never leave a server stopped
            with contextlib.suppress(psutil.NoSuchProcess):
                process.resume()
        if self.proc.returncode is not None:
            return []
        self.proc.send_signal(signal.SIGTERM)
        _, err = self.proc.communicate(timeout=60)
        assert self.proc.returncode == 0, err
        return err.splitlines()


@pytest.fixture
def product(data_dir: Path) -> Iterator[Product]:
    running = Product(data_dir)
    try:
        yield running
    finally:
        running.stop()


def postgres_processes(data_dir: Path) -> list[psutil.Process]:
    """The embedded PostgreSQL's postmaster and every backend and helper it started."""
    pid_file = data_dir / "postgres" / "postmaster.pid"
    if not pid_file.exists():
        return []
    try:
        postmaster = psutil.Process(int(pid_file.read_text().split()[0]))
        return [postmaster, *postmaster.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def redis_process(data_dir: Path) -> psutil.Process:
    """The embedded redis-server: it runs in the data directory (its `dir`)."""
    for process in psutil.process_iter(["name"]):
        try:
            if "redis-server" in (process.info["name"] or "") and Path(process.cwd()) == data_dir:
                return process
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    raise AssertionError(f"no redis-server runs in {data_dir}")


def eventually(check: Callable[[], bool], attempts: int = 150) -> bool:
    """True once `check` passes; it is tried up to `attempts` times, 0.2 s apart."""
    import time

    for _ in range(attempts):
        if check():
            return True
        time.sleep(0.2)
    return False


def test_a_frozen_database_answers_the_unavailable_page_then_recovers(
    product: Product, data_dir: Path
) -> None:
    with httpx.Client(base_url=product.base, timeout=ANSWER_WITHIN) as client:
        assert client.get("/t/ahep/").status_code == 200
        assert client.get("/t/ahep/scheme").status_code == 200
        frozen = postgres_processes(data_dir)
        assert len(frozen) > 1  # the postmaster and its backends
        for process in frozen:
            process.suspend()
        try:
            # Tenant pages (found before Litestar routes), the landing page and a hostname.
            # The scheme page first: it waits out the timeouts, and by then routing's
            # in-memory tenant directory (served for up to a second) has to be read again.
            for path, host in (
                ("/t/ahep/scheme", None),
                ("/t/ahep/", None),
                ("/", None),
                ("/", "ahep.localhost"),
            ):
                page = client.get(path, headers={"host": host} if host else {})
                assert page.status_code == 503, (path, page.status_code, page.text[:300])
                assert "The service is briefly unavailable" in page.text
                assert page.headers["retry-after"].isdigit()
            health = client.get("/healthz")
            assert health.status_code == 503
            assert health.json()["postgres"].startswith("down")
            assert health.json()["redis"] == "ok"
        finally:
            for process in frozen:
                process.resume()
        # Nothing restarts: the pool replaces the connections that timed out.
        assert eventually(lambda: client.get("/t/ahep/scheme").status_code == 200)
        assert client.get("/t/ahep/").status_code == 200
        assert client.get("/").status_code == 200
        assert client.get("/healthz").status_code == 200
    errors = product.stop()
    # Each refused request is one line in the log, with no traceback.
    answered = [line for line in errors if "answered 503" in line]
    assert any("GET /t/ahep/scheme answered 503" in line for line in answered), errors
    assert not any("Traceback" in line for line in errors), "\n".join(errors)


def test_a_killed_redis_is_started_again_and_the_session_survives(
    product: Product, data_dir: Path
) -> None:
    base = product.base
    browser, me = demo_sign_in(base, "ahep", "mentee1")
    try:
        assert browser.get(me).status_code == 200
        dead = redis_process(data_dir)
        dead.send_signal(signal.SIGKILL)
        dead.wait(timeout=10)

        answers: list[int] = []

        def works_again() -> bool:
            answers.append(browser.get(me).status_code)
            return answers[-1] == 200

        assert eventually(works_again), answers
        # While it was away a signed-in page said "briefly unavailable", never 500.
        assert set(answers) <= {200, 503}, answers
        assert redis_process(data_dir).pid != dead.pid
        page = browser.get(me)
        assert page.status_code == 200  # same session cookie: the session came back too
        assert browser.get(f"{base}/t/ahep/").status_code == 200
    finally:
        browser.close()
    errors = product.stop()
    assert any("embedded Redis stopped unexpectedly" in line for line in errors), errors
