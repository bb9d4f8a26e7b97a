"""Run the Alembic migrations programmatically (no alembic.ini to keep in step)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str, *, app_role: str = "mentorhub_app") -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["app_role"] = app_role
    return config


def upgrade(database_url: str, *, app_role: str = "mentorhub_app", revision: str = "head") -> None:
    """Migrate `database_url` (the owner's URL) to `revision`."""
    command.upgrade(alembic_config(database_url, app_role=app_role), revision)
