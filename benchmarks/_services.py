"""The embedded PostgreSQL and Redis a benchmark runs against, in a fresh temporary folder:
the database migrated, and the environment pointing the application's settings at them (plus
the benchmark's own variables). Shared by `messages.py`, `identity.py` and `tenancy.py`."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mentorhub.db.migrate import upgrade
from mentorhub.db.urls import with_database, with_user
from mentorhub.embedded import EmbeddedServices
from mentorhub.settings import get_settings


@dataclass(frozen=True)
class BenchServices:
    tmp: Path  #: the temporary folder; the services' data is in `tmp / "services"`
    owner_url: str
    app_url: str
    redis_url: str

    @property
    def data_dir(self) -> Path:
        return self.tmp / "services"


@contextmanager
def bench_services(**env: str) -> Iterator[BenchServices]:
    """Start the services, migrate, set DATABASE_URL, MENTORHUB_APP_DATABASE_URL, REDIS_URL
    and `env` in the environment (settings cache cleared); stop the services after."""
    tmp = Path(tempfile.mkdtemp(prefix="mentorhub-bench-"))
    os.chmod(tmp, 0o755)
    (tmp / "services").mkdir()
    services = EmbeddedServices(tmp / "services")
    try:
        server_url, redis_url = services.start()
        owner_url = with_database(server_url, "mentorhub")
        upgrade(owner_url)
        app_url = with_user(owner_url, "mentorhub_app")
        os.environ.update(
            DATABASE_URL=owner_url,
            MENTORHUB_APP_DATABASE_URL=app_url,
            REDIS_URL=redis_url,
            **env,
        )
        get_settings.cache_clear()
        yield BenchServices(tmp, owner_url, app_url, redis_url)
    finally:
        services.stop()
