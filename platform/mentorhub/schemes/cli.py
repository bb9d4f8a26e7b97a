import click


@click.group()
def scheme() -> None:
    """Check scheme files and print timelines."""
