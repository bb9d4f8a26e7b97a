"""One log line per refused or failed request, from the real application: what it holds
(method, public path, status, tenant, client, time) and what it never holds (query strings,
link tokens, cookies, sign-in codes)."""

from __future__ import annotations

import dataclasses
import logging
import re
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
from httpx import AsyncClient

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.settings import get_settings
from mentorhub.tenancy.models import Tenant
from mentorhub.web.requestlog import RequestLog
from tests.foundation.helpers import make_tenant
from tests.support import serving

LOGGER = "mentorhub.requests"
LINE = re.compile(
    r"^(?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}) tenant=(?P<tenant>\S+) "
    r"client=(?P<client>\S+) (?P<ms>\d+)ms$"
)


@pytest.fixture
async def tenant(db: Database) -> Tenant:
    return await make_tenant(db)


@pytest.fixture
async def client(db: Database) -> AsyncIterator[AsyncClient]:
    settings = dataclasses.replace(
        get_settings(), login_rate_per_minute=100_000, link_rate_per_minute=100_000
    )
    async with serving(create_app(settings, db=db)) as c:
        yield c


def lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, dict[str, str]]]:
    found = []
    for record in caplog.records:
        if record.name == LOGGER:
            match = LINE.match(record.getMessage())
            assert match, record.getMessage()
            found.append((record.levelno, match.groupdict()))
    return found


async def test_refused_requests_are_logged_one_line_each(
    client: AsyncClient, tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    token = secrets.token_urlsafe(24)
    code = secrets.token_urlsafe(12)
    cookie = secrets.token_urlsafe(12)
    assert (await client.get(f"/t/{tenant.slug}/")).status_code == 200
    assert (await client.get(f"/t/{tenant.slug}/no-such-page?q={code}")).status_code == 404
    link = await client.get(
        f"/t/{tenant.slug}/approvals/{token}", headers={"cookie": f"x={cookie}"}
    )
    assert link.status_code == 404
    answer = await client.get(f"/t/{tenant.slug}/login/callback?state=nope&code={code}")
    assert answer.status_code == 400
    assert (await client.get("/t/no-such-association/")).status_code == 404

    logged = lines(caplog)
    assert [
        (level, line["method"], line["path"], line["status"], line["tenant"])
        for level, line in logged
    ] == [
        (logging.INFO, "GET", f"/t/{tenant.slug}/no-such-page", "404", tenant.slug),
        (logging.INFO, "GET", f"/t/{tenant.slug}/approvals/[token]", "404", tenant.slug),
        (logging.INFO, "GET", f"/t/{tenant.slug}/login/callback", "400", tenant.slug),
        (logging.INFO, "GET", "/t/no-such-association", "404", "-"),
    ]
    assert {line["client"] for _, line in logged} == {"127.0.0.1"}
    text = caplog.text
    for secret in (token, code, cookie):
        assert secret not in text


async def test_a_path_cannot_forge_log_lines(
    client: AsyncClient, tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    await client.get(f"/t/{tenant.slug}/x%0AGET%20/forged%20500")
    [(_, line)] = lines(caplog)
    assert line["path"] == f"/t/{tenant.slug}/x%0AGET%20/forged%20500"


async def test_failures_are_warnings(caplog: pytest.LogCaptureFixture) -> None:
    """A 5xx answer, and an error no one answered, are logged as warnings."""

    async def answers_503(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 503, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def raises(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    async def ignore(message: Any) -> None:
        return None

    caplog.set_level(logging.INFO, logger=LOGGER)
    scope = {"type": "http", "method": "POST", "path": "/healthz", "client": ("192.0.2.1", 1)}
    await RequestLog(answers_503)(dict(scope), None, ignore)
    with pytest.raises(RuntimeError):
        await RequestLog(raises)(dict(scope), None, ignore)
    assert [(level, line["status"], line["client"]) for level, line in lines(caplog)] == [
        (logging.WARNING, "503", "192.0.2.1"),
        (logging.WARNING, "500", "192.0.2.1"),
    ]
