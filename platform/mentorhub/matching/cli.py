import click


@click.group()
def match() -> None:
    """Score and match mentees with mentors."""
