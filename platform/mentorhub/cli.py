"""The `mentorhub` command: the embedded default with no sub-command, and the operator tools."""

from __future__ import annotations

import asyncio
import importlib
import sys
from pathlib import Path
from typing import ClassVar

import click

from mentorhub.settings import Settings, SettingsError, get_settings


class LazyGroup(click.Group):
    """Sub-command groups imported only when used: `match` pulls in SciPy, and the plain
    `mentorhub` start-up should not pay for it."""

    lazy: ClassVar[dict[str, tuple[str, str]]] = {
        "scheme": ("mentorhub.schemes.cli", "scheme"),
        "match": ("mentorhub.matching.cli", "match"),
        "identity": ("mentorhub.identity.cli", "identity"),
        "clock": ("mentorhub.checkpoints.cli", "clock"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            module, attr = self.lazy[name]
            command: click.Command = getattr(importlib.import_module(module), attr)
            return command
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, invoke_without_command=True)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    envvar="MENTORHUB_DATA_DIR",
    help="Where the embedded default keeps its database, Redis file and secret key.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.pass_context
def main(ctx: click.Context, data_dir: str | None, host: str, port: int) -> None:
    """MentorHub. With no command, run the whole product on embedded services
    (or on DATABASE_URL / REDIS_URL when both are set)."""
    if ctx.invoked_subcommand is not None:
        return
    from mentorhub.embedded import run_embedded

    run_embedded(data_dir=data_dir, host=host, port=port)


def _settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _production_settings() -> Settings:
    settings = _settings()
    if settings.database_url is None:
        raise click.ClickException(
            "DATABASE_URL is not set (a postgresql:// URL of the owner role)"
        )
    return settings


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Migrate the database DATABASE_URL names (as its owner)."""
    from sqlalchemy.engine import make_url

    from mentorhub.db.migrate import set_role_password, upgrade
    from mentorhub.db.urls import describe

    settings = _production_settings()
    assert settings.database_url is not None
    try:
        upgrade(settings.database_url, app_role=settings.app_role, revision=revision)
        password = make_url(settings.app_database_url or "").password
        if password:
            set_role_password(settings.database_url, settings.app_role, str(password))
    except OSError as exc:
        raise click.ClickException(
            f"cannot reach PostgreSQL at {describe(settings.database_url)}: {exc}"
        ) from None
    except Exception as exc:
        raise click.ClickException(f"migration failed: {type(exc).__name__}: {exc}") from None
    click.echo(f"database at {describe(settings.database_url)} is at revision {revision}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default="auto",
    show_default=True,
    envvar="MENTORHUB_WEB_WORKERS",
    help="web processes: a number, or auto (one per CPU this process may use)",
)
def serve(host: str, port: int, workers: str) -> None:
    """Serve the web application (production: DATABASE_URL and REDIS_URL set)."""
    from mentorhub.embedded import EmbeddedError, check_port
    from mentorhub.server import parse_workers
    from mentorhub.server import serve as run

    try:
        count = parse_workers(workers)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--workers") from None
    _production_settings()
    try:
        check_port(host, port)
    except EmbeddedError as exc:
        raise click.ClickException(str(exc)) from None
    run(host=host, port=port, workers=count)


@main.group()
def tenants() -> None:
    """Tenants."""


@tenants.command("load")
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False))
def tenants_load(directory: str | None) -> None:
    """Create or update tenants from their files (default: the tenants/ folder)."""
    from mentorhub.db import Database
    from mentorhub.tenancy.errors import TenantConflict, TenantFilesError
    from mentorhub.tenancy.loading import load_tenants

    settings = _production_settings()
    assert settings.app_database_url is not None

    async def run() -> list[str]:
        # As the owner: the runtime role may read tenants but not write them.
        db = Database.connect(
            settings.database_url or "", pool_size=1, timeouts=settings.db_timeouts()
        )
        try:
            return [t.slug for t in await load_tenants(db, Path(directory or settings.tenants_dir))]
        finally:
            await db.dispose()

    try:
        slugs = asyncio.run(run())
    except (TenantFilesError, TenantConflict) as exc:
        # A conflict rolls the platform transaction back: no tenant is created or changed.
        raise click.ClickException(str(exc)) from None
    click.echo("loaded: " + ", ".join(slugs))


if __name__ == "__main__":
    sys.exit(main())
