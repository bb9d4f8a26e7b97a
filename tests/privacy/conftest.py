"""Fixtures of the privacy tests: a document storage in the test's own folder, and the real
app serving with it (export and erase read and delete the documents' bytes there)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.pairs.storage import DirectoryStorage
from mentorhub.settings import Settings
from tests.identity.conftest import settings  # noqa: F401  (fixture)
from tests.support import serving

BASE = "https://localhost"


@pytest.fixture
def storage(tmp_path: Path) -> DirectoryStorage:
    return DirectoryStorage(tmp_path / "documents")


@pytest.fixture
async def client(
    db: Database,
    settings: Settings,  # noqa: F811
    storage: DirectoryStorage,
) -> AsyncIterator[httpx.AsyncClient]:
    """The app on `storage`, as a browser on https://localhost reaches it."""
    configured = dataclasses.replace(settings, storage_dir=storage.root)
    async with serving(create_app(configured, db=db), base_url=BASE) as c:
        yield c
