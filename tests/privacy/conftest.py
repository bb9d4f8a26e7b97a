"""Fixtures of the privacy tests: a document storage in the test's own folder, the real app
serving with it (export and erase read and delete the documents' bytes there), the privacy
world, another tenant's with the same names, and the world's viewers signed in."""

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
from tests.pairs.confidentiality_helpers import Viewer, viewers_of
from tests.privacy.helpers import PrivacyWorld, privacy_world
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


@pytest.fixture
async def world(db: Database, storage: DirectoryStorage) -> PrivacyWorld:
    """The privacy world (tests/privacy/helpers.py), its documents in `storage`."""
    return await privacy_world(db, storage)


@pytest.fixture
async def elsewhere(db: Database, storage: DirectoryStorage, world: PrivacyWorld) -> PrivacyWorld:
    """Another tenant's privacy world, with the same names as `world`'s (made after it)."""
    return await privacy_world(db, storage)


@pytest.fixture
async def viewers(settings: Settings, world: PrivacyWorld) -> dict[str, Viewer]:  # noqa: F811
    """Each of `world`'s viewers with a live session (none for the anonymous visitor)."""
    return await viewers_of(settings, world.pw)
