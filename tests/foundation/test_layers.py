"""The shared core's seams: the data layer takes its timeouts from whoever connects (it reads
no settings), and reading the settings needs no area of the product.

Before, `Database.connect` read `get_settings()` itself, so an app built with its own
settings (`create_app(settings)`) ran on the environment's timeouts instead of the ones it
was given; and importing the settings imported identity's and messages' modules. The
import-linter contracts in pyproject.toml (`uv run lint-imports`, run by `.ci/run`) hold the
layers as a whole; these tests pin the behaviour and the imports that the moves changed.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys

from mentorhub.app import create_app
from mentorhub.db import Database, Timeouts
from mentorhub.settings import Settings, get_settings
from tests.conftest import Servers
from tests.support import serving


def test_settings_give_the_database_timeouts() -> None:
    settings = dataclasses.replace(
        get_settings(),
        db_connect_timeout=1.5,
        db_statement_timeout=0.25,
        db_idle_transaction_timeout=7.0,
        db_pool_timeout=2.5,
    )
    assert settings.db_timeouts() == Timeouts(
        connect=1.5, statement=0.25, idle_in_transaction=7.0, pool=2.5
    )


async def _statement_timeout(db: Database) -> str:
    async with db.engine.connect() as conn:
        return str((await conn.exec_driver_sql("SHOW statement_timeout")).scalar_one())


async def test_the_app_connects_with_the_timeouts_of_the_settings_it_was_given(
    servers: Servers,
) -> None:
    settings: Settings = dataclasses.replace(
        get_settings(), app_database_url=servers.app_url, db_statement_timeout=0.25
    )
    app = create_app(settings)
    async with serving(app) as client:
        assert (await client.get("/healthz")).status_code == 200
        assert await _statement_timeout(app.directory.db_getter()) == "250ms"


async def test_a_database_connected_without_timeouts_has_the_defaults(servers: Servers) -> None:
    db = Database.connect(servers.app_url, pool_size=1)
    try:
        assert await _statement_timeout(db) == f"{round(Timeouts().statement)}s"
    finally:
        await db.dispose()


def test_reading_the_settings_imports_no_area_of_the_product() -> None:
    """In a fresh interpreter: the settings and the data layer load without identity,
    messages, web or tenancy (so they can never be part of an import cycle with them)."""
    probe = (
        "import sys, mentorhub.settings, mentorhub.db, mentorhub.core.audit, "
        "mentorhub.core.outage\n"
        "areas = ('identity', 'messages', 'web', 'tenancy', 'schemes', 'matching')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[:2] in "
        "[['mentorhub', a] for a in areas]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
