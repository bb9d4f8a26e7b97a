"""The `mentorhub` command: the embedded default with no sub-command, and the operator tools."""

from __future__ import annotations

import click

from mentorhub.matching.cli import match
from mentorhub.schemes.cli import scheme


@click.group(invoke_without_command=True)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    envvar="MENTORHUB_DATA_DIR",
    help="Where the embedded default keeps its database, Redis file and secret key.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.pass_context
def main(ctx: click.Context, data_dir: str | None, host: str, port: int) -> None:
    """MentorHub. With no command, run the whole product on embedded services."""
    if ctx.invoked_subcommand is not None:
        return
    from mentorhub.embedded import run_embedded

    run_embedded(data_dir=data_dir, host=host, port=port)


main.add_command(scheme)
main.add_command(match)
