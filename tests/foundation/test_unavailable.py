"""A request that meets an unavailable PostgreSQL or Redis answers the branded 503 page.

In-process, on the real servers: Redis is "down" by pointing the app at a closed port, and a
statement runs into the runtime role's `statement_timeout` behind a real lock. Before, both
answered the 500 page ("something went wrong on our side") and logged a traceback. The
frozen-server cases run against the real product in tests/embedded/test_outages.py.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
import uuid
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from mentorhub.app import create_app
from mentorhub.db import Database, Timeouts
from mentorhub.identity.sessions import TENANT_COOKIE
from mentorhub.settings import get_settings
from mentorhub.tenancy.loading import load_tenants
from mentorhub.web.unavailable import RETRY_AFTER, log_exception, unavailable_reason
from tests.conftest import Servers
from tests.support import as_owner, serving

UNAVAILABLE = "The service is briefly unavailable"


@pytest.fixture
async def loaded(db: Database) -> None:
    async with as_owner(db):
        await load_tenants(db, get_settings().tenants_dir)


async def test_a_signed_in_page_answers_503_when_redis_is_down(
    db: Database, loaded: None
) -> None:
    settings = dataclasses.replace(get_settings(), redis_url="redis://127.0.0.1:1/0")
    async with serving(create_app(settings, db=db)) as client:
        client.cookies.set(TENANT_COOKIE, "a-session-cookie")
        page = await client.get("/t/ahep/me")
        assert page.status_code == 503
        assert UNAVAILABLE in page.text
        assert page.headers["retry-after"] == str(RETRY_AFTER)
        assert "AHEP" in page.text  # the association was found: its layout is kept
        assert (await client.get("/t/ahep/")).status_code == 200  # needs no Redis


async def test_a_statement_over_the_timeout_answers_503_with_the_tenant_s_branding(
    servers: Servers, owner_engine: AsyncEngine, tmp_path: Path
) -> None:
    """Committed data (a lock the test's own transaction held would block the locker)."""
    slug = f"slow-{uuid.uuid4().hex[:8]}"
    source = (get_settings().tenants_dir / "ahep.toml").read_text()
    (tmp_path / f"{slug}.toml").write_text(
        source.replace('slug = "ahep"', f'slug = "{slug}"')
        .replace('name = "Association of Higher Education Professionals"', 'name = "Slow Ltd"')
        .replace('"ahep.localhost", "mentoring.ahep.example"', f'"{slug}.localhost"')
    )
    owner = Database.connect(servers.owner_url, pool_size=1)
    try:
        await load_tenants(owner, tmp_path)
    finally:
        await owner.dispose()
    runtime = Database.connect(
        servers.app_url, pool_size=2, timeouts=Timeouts(statement=0.3, connect=3, pool=3)
    )
    try:
        async with serving(create_app(get_settings(), db=runtime)) as client:
            assert (await client.get(f"/t/{slug}/scheme")).status_code == 200
            async with owner_engine.connect() as locker:
                await locker.begin()
                await locker.execute(text("LOCK TABLE scheme_versions IN ACCESS EXCLUSIVE MODE"))
                page = await client.get(f"/t/{slug}/scheme")
                await locker.rollback()
            assert page.status_code == 503
            assert UNAVAILABLE in page.text
            assert "Slow Ltd" in page.text  # the association was found: its layout is kept
            assert (await client.get(f"/t/{slug}/scheme")).status_code == 200  # lock gone
    finally:
        await runtime.dispose()


async def test_the_internal_unavailable_route_is_not_a_page(db: Database, loaded: None) -> None:
    async with serving(create_app(get_settings(), db=db)) as client:
        for method in ("GET", "POST"):
            assert (await client.request(method, "/_unavailable")).status_code == 404


async def test_bugs_are_not_taken_for_outages() -> None:
    assert unavailable_reason(ValueError("a bug")) is None
    assert unavailable_reason(FileNotFoundError("templates/missing.html")) is None
    assert unavailable_reason(TimeoutError()) is None  # not raised by the database driver
    assert unavailable_reason(redis.ConnectionError("refused")) == "Redis unreachable"
    try:
        await httpx.AsyncClient().get("http://127.0.0.1:1/")
    except httpx.ConnectError as exc:  # an identity provider away is not our outage
        assert unavailable_reason(exc) is None


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_an_outage_is_logged_as_one_line_and_a_bug_with_its_traceback() -> None:
    logger = logging.getLogger("test.unavailable")
    logger.propagate = False
    lines = Lines()
    logger.addHandler(lines)
    scope = {"type": "http", "method": "GET", "path": "/t/ahep/me", "state": {}}
    try:
        raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:1")
    except redis.ConnectionError:
        log_exception(logger, scope, [])
    try:
        raise ValueError("a bug")
    except ValueError:
        log_exception(logger, scope, [])
    outage, bug = lines.records
    assert outage.levelno == logging.WARNING and outage.exc_info is None
    assert outage.getMessage() == "GET /t/ahep/me answered 503: Redis unreachable"
    assert bug.levelno == logging.ERROR and bug.exc_info is not None
    assert sys.exc_info() == (None, None, None)
