"""`mentorhub clock run [--tenant SLUG] [--as-of YYYY-MM-DD] [--dry-run]`: one pass of the
clock (`checkpoints.clock.run_pass`) from the operator's shell — catching up after downtime,
or a coordinator's "what would go out on…" with `--dry-run`.

It prints one line per tenant worked on (its counts), and with `--dry-run` one line per
message it would have written (kind, address, subject), then rolls everything back. It
connects as the runtime role (`MENTORHUB_APP_DATABASE_URL`, or DATABASE_URL's database with
the runtime role), as the clock process does: the clock's discovery scope is granted to it.

Exit status: 0 when every tenant's work was committed (or, dry run, done and rolled back);
1 when a tenant's work failed (its line says why; the others went on) or the database
cannot be reached; 2 for a bad date or a tenant that does not exist or is suspended
(nothing is done).
"""

from __future__ import annotations

import asyncio
import sys
from datetime import date

import click

from mentorhub.checkpoints.clock import ClockError, PassResult, run_pass
from mentorhub.db import Database
from mentorhub.settings import Settings, SettingsError, get_settings


def _settings() -> Settings:
    try:
        settings = get_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    if settings.app_database_url is None:
        raise click.ClickException(
            "DATABASE_URL is not set (a postgresql:// URL of the owner role)"
        )
    return settings


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint="--as-of"
        ) from None


@click.group()
def clock() -> None:
    """The clock: checkpoints opened, reminders, missed items, coordinator tasks, quiet pairs."""


@clock.command("run")
@click.option("--tenant", "tenant_slug", default=None, help="only this tenant (its slug)")
@click.option(
    "--as-of",
    "as_of",
    default=None,
    metavar="YYYY-MM-DD",
    help="run as of this day, at each tenant's send time in its time zone (default: now)",
)
@click.option(
    "--dry-run", is_flag=True, help="print the messages instead of sending them; change nothing"
)
def run(tenant_slug: str | None, as_of: str | None, dry_run: bool) -> None:
    """Run one pass of the clock."""
    day = _day(as_of)
    settings = _settings()

    async def work() -> PassResult:
        db = Database.connect(
            settings.app_database_url or "", pool_size=1, timeouts=settings.db_timeouts()
        )
        try:
            return await run_pass(db, as_of=day, tenant_slug=tenant_slug, dry_run=dry_run)
        finally:
            await db.dispose()

    try:
        result = asyncio.run(work())
    except ClockError as exc:
        raise click.BadParameter(str(exc), param_hint="--tenant") from None
    except OSError as exc:
        raise click.ClickException(f"cannot reach PostgreSQL: {exc}") from None
    report(result, dry_run=dry_run)
    if result.failures:
        sys.exit(1)


def report(result: PassResult, *, dry_run: bool) -> None:
    """The pass in lines: one per tenant, one per message (dry run), one per failure."""
    if not result.tenants and not result.failures:
        click.echo("nothing due")
    for t in result.tenants:
        at = t.now.isoformat(timespec="minutes") if t.now else ""
        if t.skipped:
            click.echo(f"{t.slug} at {at}: skipped (another clock is working on it)")
            continue
        counts = ", ".join(f"{name} {value}" for name, value in t.counts().items())
        click.echo(f"{t.slug} at {at}: {counts}" + (" (dry run: nothing kept)" if dry_run else ""))
        if dry_run:
            for m in t.messages:
                click.echo(f"  {m.kind}  to {m.to_address}  {m.subject}")
    for failure in result.failures:
        click.echo(
            f"{failure.slug}: FAILED ({type(failure.error).__name__}: {failure.error}); "
            "its changes were rolled back",
            err=True,
        )
