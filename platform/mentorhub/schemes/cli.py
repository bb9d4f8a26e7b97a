"""`mentorhub scheme …`: check tenant files, print a new pair's timeline."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from mentorhub.schemes.errors import FactsError, SchemeError
from mentorhub.schemes.loader import load_tenant, load_tenant_file
from mentorhub.schemes.timeline import Event, PairFacts, timeline


@click.group()
def scheme() -> None:
    """Check scheme files and print timelines."""


@scheme.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
def check(paths: tuple[str, ...]) -> None:
    """Validate tenant files; print one ok line per file, or every problem and exit 1."""
    failed = False
    for path in paths:
        try:
            tf = load_tenant_file(path)
        except SchemeError as exc:
            failed = True
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            continue
        kinds = ", ".join(m.kind for m in tf.messages)
        worded = f", own wording of: {kinds}" if kinds else ""
        click.echo(f"ok {path} ({tf.tenant.slug}, scheme version {tf.scheme.version}{worded})")
    if failed:
        raise SystemExit(1)


def _parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.ClickException(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from None


def _event_json(e: Event) -> dict[str, object]:
    return {
        "kind": e.kind,
        "due": e.due.isoformat(),
        "audience": e.audience,
        "title": e.title,
        "window_start": e.window_start.isoformat(),
        "window_end": e.window_end.isoformat(),
        "status": e.status,
        "checkpoint": e.checkpoint,
        "readers": list(e.readers),
    }


@scheme.command("timeline")
@click.argument("slug")
@click.option("--matched-on", required=True, metavar="YYYY-MM-DD", help="Date of matching.")
@click.option("--cohort-start", metavar="YYYY-MM-DD", help="Start of the cohort or programme.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array sorted by due date.")
@click.option(
    "--tenants-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="MENTORHUB_TENANTS_DIR",
    help="Directory of tenant files (default: the repository's tenants/).",
)
def timeline_command(
    slug: str, matched_on: str, cohort_start: str | None, as_json: bool, tenants_dir: Path | None
) -> None:
    """Print the timeline of a new pair of tenant SLUG matched on --matched-on."""
    matched = _parse_date(matched_on, "--matched-on")
    assert matched is not None
    start = _parse_date(cohort_start, "--cohort-start")
    try:
        tf = load_tenant(slug, tenants_dir)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None
    except SchemeError as exc:
        raise click.ClickException(
            f"tenant file is invalid ({len(exc.problems)} problem(s)); run `mentorhub scheme "
            f"check` on it: {exc.problems[0]}"
        ) from None
    try:
        events = timeline(
            tf.scheme,
            PairFacts(matched_on=matched, cohort_start=start),
            jurisdiction=tf.tenant.jurisdiction,
        )
    except FactsError as exc:
        raise click.ClickException("; ".join(exc.problems)) from None
    if as_json:
        click.echo(json.dumps([_event_json(e) for e in events], indent=2, ensure_ascii=False))
        return
    click.echo(f"{tf.tenant.name} — {tf.scheme.name or tf.tenant.branding.scheme_name} "
               f"(scheme version {tf.scheme.version}), matched on {matched.isoformat()}")
    rows = [
        (e.due.strftime("%a %Y-%m-%d"), e.kind, e.audience, e.title,
         f"{e.window_start.isoformat()} → {e.window_end.isoformat()}")
        for e in events
    ]
    headers = ("due", "kind", "audience", "title", "on time")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for r in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
