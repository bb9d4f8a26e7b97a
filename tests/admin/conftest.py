"""The tenant admin's tests: the real app over HTTP (httpx on the ASGI app)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.settings import Settings
from tests.admin.helpers import BASE
from tests.identity.conftest import settings  # noqa: F401  (fixture)
from tests.support import serving


@pytest.fixture
async def client(db: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    async with serving(create_app(settings, db=db), base_url=BASE) as c:
        yield c
