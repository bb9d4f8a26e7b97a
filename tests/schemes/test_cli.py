"""`mentorhub scheme check` and `mentorhub scheme timeline`, through click's CliRunner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from mentorhub.schemes.cli import scheme
from tests.schemes.conftest import SLUGS


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_check_all_shipped_files(runner: CliRunner, tenants_dir: Path) -> None:
    paths = [str(tenants_dir / f"{slug}.toml") for slug in SLUGS]
    result = runner.invoke(scheme, ["check", *paths])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 5 and all(line.startswith("ok ") for line in lines)


def test_check_lists_every_error_and_exits_1(
    runner: CliRunner, tenants_dir: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "ahep.toml"
    text = (tenants_dir / "ahep.toml").read_text(encoding="utf-8")
    text = text.replace('top_n = 3', 'top_n = 0').replace('jurisdiction = "GB-ENG"',
                                                         'jurisdiction = "ZZ"')
    bad.write_text(text, encoding="utf-8")
    good = tenants_dir / "alberta-museums.toml"
    result = runner.invoke(scheme, ["check", str(bad), str(good)])
    assert result.exit_code == 1
    assert f"{bad}: scheme.matching.top_n: must be ≥ 1" in result.output
    assert f"{bad}: tenant.jurisdiction: unknown country 'ZZ'" in result.output
    assert f"ok {good}" in result.output


def test_timeline_json_for_alberta(runner: CliRunner) -> None:
    result = runner.invoke(
        scheme, ["timeline", "alberta-museums", "--matched-on", "2026-09-15", "--json"]
    )
    assert result.exit_code == 0, result.output
    events = json.loads(result.output)
    assert [e["due"] for e in events] == sorted(e["due"] for e in events)
    for e in events:
        assert {"kind", "due", "audience", "title", "window_start", "window_end"} <= set(e)
    updates = [e["due"] for e in events if e["kind"] == "quarterly_update"]
    assert updates == ["2027-01-04", "2027-04-01", "2027-07-02"]


def test_timeline_table_with_cohort_start(runner: CliRunner) -> None:
    result = runner.invoke(scheme, [
        "timeline", "advice-skills-academy", "--matched-on", "2026-05-11",
        "--cohort-start", "2026-04-01",
    ])
    assert result.exit_code == 0, result.output
    assert "Pilot review at 12 months" in result.output
    assert "Wed 2026-11-11" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["timeline", "ahep", "--matched-on", "2026-13-01"],
         "--matched-on: '2026-13-01' is not a date (YYYY-MM-DD)"),
        (["timeline", "ahep", "--matched-on", "2026-06-01", "--cohort-start", "soon"],
         "--cohort-start: 'soon' is not a date (YYYY-MM-DD)"),
        (["timeline", "nobody", "--matched-on", "2026-06-01"], "unknown tenant 'nobody'"),
        (["timeline", "../etc/passwd", "--matched-on", "2026-06-01"], "unknown tenant"),
        (["timeline", "alberta-museums", "--matched-on", "2026-06-01", "--cohort-start",
          "2026-09-01"], "is not in October"),
    ],
)
def test_timeline_bad_input_is_one_clear_line(
    runner: CliRunner, args: list[str], message: str
) -> None:
    result = runner.invoke(scheme, args)
    assert result.exit_code == 1
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_tenants_dir_option_and_environment(
    runner: CliRunner, tenants_dir: Path, tmp_path: Path
) -> None:
    shutil.copy(tenants_dir / "ahep.toml", tmp_path / "ahep.toml")
    args = ["timeline", "ahep", "--matched-on", "2026-06-01", "--json"]
    result = runner.invoke(scheme, [*args, "--tenants-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(scheme, args, env={"MENTORHUB_TENANTS_DIR": str(empty)})
    assert result.exit_code == 1 and "unknown tenant 'ahep'" in result.output


def test_registered_as_mentorhub_scheme(runner: CliRunner) -> None:
    from mentorhub.cli import main

    result = runner.invoke(main, ["scheme", "timeline", "ahep", "--matched-on", "2026-06-01"])
    assert result.exit_code == 0, result.output
    assert "Review at 6 months" in result.output
