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


def set_role_password(database_url: str, role: str, password: str) -> None:
    """Give the runtime role the password its own URL carries (production, password auth)."""
    import asyncio

    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    from mentorhub.db.urls import async_url

    async def run() -> None:
        engine = create_async_engine(async_url(database_url), poolclass=NullPool)
        try:
            async with engine.begin() as conn:
                quote = text("SELECT quote_literal(:p)")
                quoted = (await conn.execute(quote, {"p": password})).scalar_one()
                await conn.execute(text(f'ALTER ROLE "{role}" PASSWORD {quoted}'))
        finally:
            await engine.dispose()

    asyncio.run(run())
