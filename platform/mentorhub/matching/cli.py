"""``mentorhub match``: suggestions and cohort assignment from a JSON file.

Bad input exits with status 1, lists every problem on stderr and prints nothing on stdout,
so a script piping ``--json`` output never mistakes an error for a result.
"""

from __future__ import annotations

import json
import sys
from typing import NoReturn

import click

from mentorhub.matching.cohort import assign_cohort
from mentorhub.matching.criteria import InputError
from mentorhub.matching.input import Instance, parse_instance
from mentorhub.matching.suggest import suggest as suggest_for
from mentorhub.matching.vector import keep_freed_memory


def _fail(problems: list[str]) -> NoReturn:
    click.echo(f"error: the input has {len(problems)} problem(s):", err=True)
    for problem in problems:
        click.echo(f"  - {problem}", err=True)
    sys.exit(1)


def _load(path: str, extra_problems: list[str] | None = None) -> Instance:
    problems = list(extra_problems or [])
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        _fail([f"{path}: cannot read ({exc.strerror or exc})", *problems])
    except UnicodeDecodeError as exc:
        _fail([f"{path}: not UTF-8 text ({exc.reason})", *problems])
    except json.JSONDecodeError as exc:
        _fail([f"{path}: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
               *problems])
    try:
        instance = parse_instance(data)
    except InputError as exc:
        _fail([*exc.problems, *problems])
    if problems:
        _fail(problems)
    return instance


def _dump(obj: object) -> None:
    click.echo(json.dumps(obj, indent=2, ensure_ascii=False))


@click.group()
def match() -> None:
    """Score and match mentees with mentors."""
    keep_freed_memory()


@match.command("suggest")
@click.option("--input", "input_path", required=True, help="Matching input (JSON).")
@click.option("--mentee", "mentee_id", required=True, help="Mentee id to suggest mentors for.")
@click.option("--top", default=3, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def suggest_cmd(input_path: str, mentee_id: str, top: int, as_json: bool) -> None:
    """The best mentors for one mentee, with why (AHEP's top 3)."""
    instance = _load(input_path)
    if not instance.has_mentee(mentee_id):
        _fail([f"--mentee: '{mentee_id}' is no mentee of the input"])
    found = suggest_for(instance, mentee_id, top)
    if as_json:
        _dump({"suggestions": [s.to_dict() for s in found]})
        return
    if not found:
        click.echo(f"No eligible mentor with a free place for {mentee_id}.")
        return
    click.echo(f"Top {top} mentors for {mentee_id}:")
    width = max(len(s.mentor) for s in found)
    for n, s in enumerate(found, 1):
        why = "; ".join(f"{c.criterion} {c.points:+g} ({c.detail})" for c in s.why.contributions)
        click.echo(f"{n:>3}. {s.mentor:<{width}}  {s.score:8.3f}  {why}")


@match.command("cohort")
@click.option("--input", "input_path", required=True, help="Matching input (JSON).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def cohort_cmd(input_path: str, as_json: bool) -> None:
    """Match the whole cohort: most mentees first, then highest total score."""
    instance = _load(input_path)
    result = assign_cohort(instance)
    if as_json:
        _dump(result.to_dict())
        return
    rows = [(p.mentee, p.mentor, f"{p.score:.3f}" + (" (pinned)" if p.pinned else ""))
            for p in result.pairs]
    if rows:
        w1 = max(len("mentee"), *(len(r[0]) for r in rows))
        w2 = max(len("mentor"), *(len(r[1]) for r in rows))
        click.echo(f"{'mentee':<{w1}}  {'mentor':<{w2}}  score")
        for a, b, c in rows:
            click.echo(f"{a:<{w1}}  {b:<{w2}}  {c}")
    click.echo(
        f"{len(result.pairs)} pair(s), total score {result.total_score:.3f}; "
        f"{len(result.unmatched)} unmatched"
    )
    for u in result.unmatched:
        click.echo(f"  unmatched {u.mentee}: {u.reason}")
