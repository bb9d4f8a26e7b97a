"""Fixtures for messages: a real SMTP sink on loopback, settings pointing delivery at it,
and a runtime-role Database whose transactions really commit."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from mentorhub.db import Database
from mentorhub.settings import get_settings
from tests.conftest import Servers
from tests.messages.sink import Sink


@pytest.fixture(scope="session")
def sink(servers: Servers) -> Iterator[Sink]:
    sink = Sink().start()
    previous = os.environ.get("MENTORHUB_SMTP_URL")
    os.environ["MENTORHUB_SMTP_URL"] = sink.url
    get_settings.cache_clear()
    yield sink
    sink.stop()
    if previous is None:
        os.environ.pop("MENTORHUB_SMTP_URL", None)
    else:
        os.environ["MENTORHUB_SMTP_URL"] = previous
    get_settings.cache_clear()


@pytest.fixture
def inbox(sink: Sink) -> Iterator[Sink]:
    sink.clear()
    sink.refuse.clear()
    yield sink
    sink.refuse.clear()


@pytest.fixture
async def live_db(servers: Servers, owner_engine: AsyncEngine) -> AsyncIterator[Database]:
    """Transactions that commit (delivery records transient failures in a transaction of its
    own). Earlier tests' unfinished outbox rows are set aside first."""
    async with owner_engine.begin() as conn:
        await conn.execute(
            text("UPDATE outbox SET failed_at = now() WHERE done_at IS NULL AND failed_at IS NULL")
        )
    db = Database.connect(servers.app_url, pool_size=4)
    yield db
    await db.dispose()
