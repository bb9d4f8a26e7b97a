"""The `mentorhub match` command: results on stdout, every input problem on stderr."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mentorhub.matching.cli import match

GOOD: dict[str, Any] = {
    "criteria": [
        {"name": "needs", "kind": "overlap", "field": "topics", "weight": 2},
        {"name": "region", "kind": "same", "field": "region"},
        # A gate only: weight 0 (a criterion's weight is 1 unless it says otherwise).
        {"name": "experience", "kind": "min_gap", "field": "years", "min": 5, "weight": 0},
    ],
    "mentees": [
        {"id": "e1", "topics": ["a", "b"], "region": "n", "years": 1, "conflicts": ["r2"]},
        {"id": "e2", "topics": ["b"], "region": "s", "years": 3, "declined": ["r1"]},
        {"id": "e3", "topics": ["c"], "region": "s", "years": 40},
    ],
    "mentors": [
        {"id": "r1", "topics": ["a", "b"], "region": "n", "years": 10, "capacity": 2},
        {"id": "r2", "topics": ["b", "c"], "region": "s", "years": 20},
    ],
}


def run(tmp_path: Path, data: Any, *args: str) -> Any:
    path = tmp_path / "input.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return CliRunner().invoke(match, [args[0], "--input", str(path), *args[1:]])


def test_cohort_json(tmp_path: Path) -> None:
    result = run(tmp_path, GOOD, "cohort", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["pairs"] == [
        {"mentee": "e1", "mentor": "r1", "score": 5.0},
        {"mentee": "e2", "mentor": "r2", "score": 3.0},
    ]
    assert out["unmatched"] == [{
        "mentee": "e3",
        "reason": "no eligible mentor: excluded by min_gap 'experience' for all 2 mentors",
    }]
    assert out["total_score"] == 8.0


def test_suggest_json_and_table(tmp_path: Path) -> None:
    result = run(tmp_path, GOOD, "suggest", "--mentee", "e2", "--top", "3", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert [s["mentor"] for s in out["suggestions"]] == ["r2"]  # r1 declined e2
    why = out["suggestions"][0]["why"]
    assert [w["criterion"] for w in why] == ["needs", "region", "experience"]
    assert why[0]["points"] == 2.0
    table = run(tmp_path, GOOD, "suggest", "--mentee", "e1")
    assert table.exit_code == 0 and "r1" in table.stdout and "r2" not in table.stdout
    cohort = run(tmp_path, GOOD, "cohort")
    assert cohort.exit_code == 0 and "unmatched e3" in cohort.stdout


BAD_CASES: dict[str, tuple[Any, list[str]]] = {
    "unknown kind": (
        GOOD | {"criteria": [{"name": "x", "kind": "telepathy", "field": "f"}]},
        ["criteria[0].kind: a string ('telepathy') is not one of"],
    ),
    "missing field": (
        GOOD | {"mentors": [{"id": "r1", "topics": [], "years": 3}, GOOD["mentors"][1]]},
        ["mentors[0] 'r1': field 'region' missing"],
    ),
    "duplicate id": (
        GOOD | {"mentors": [GOOD["mentors"][0], GOOD["mentors"][0]]},
        ["duplicate id"],
    ),
    "negative capacity": (
        GOOD | {"mentors": [GOOD["mentors"][0] | {"capacity": -1}, GOOD["mentors"][1]]},
        ["'capacity' must be a whole number ≥ 0"],
    ),
    "conflict naming no mentor": (
        GOOD | {"mentees": [GOOD["mentees"][0] | {"conflicts": ["ghost"]}]},
        ["conflicts names 'ghost', which is no mentor"],
    ),
    "several problems at once": (
        {
            "criteria": [{"name": "x", "kind": "nope", "field": "f"},
                         {"name": "y", "kind": "min_gap", "field": "years"}],
            "mentees": [{"id": "e1", "years": 1, "conflicts": ["ghost"]}, {"id": "e1"}],
            "mentors": [{"id": "r1", "years": 2, "capacity": -2}],
            "forbidden": [{"mentee": "nobody", "mentor": "r1"}],
        },
        ["criteria[0].kind: a string ('nope') is not one of",
         "criteria[1].min: required for kind 'min_gap'", "duplicate id",
         "mentees[1] 'e1': field 'years' missing", "'capacity' must be a whole number",
         "names 'ghost'", "forbidden: 'nobody' is no mentee"],
    ),
    "malformed JSON": ('{"criteria": [', ["malformed JSON at line 1"]),
    "not an object": ("[1, 2]", ["must be a JSON object"]),
}


@pytest.mark.parametrize("command", ["cohort", "suggest"])
@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_lists_every_problem(tmp_path: Path, case: str, command: str) -> None:
    data, expected = BAD_CASES[case]
    args = ["--mentee", "e1"] if command == "suggest" else []
    result = run(tmp_path, data, command, *args, "--json")
    assert result.exit_code == 1
    assert result.stdout == ""
    for text in expected:
        assert text in result.stderr, (text, result.stderr)


def test_unknown_mentee_and_unreadable_file(tmp_path: Path) -> None:
    result = run(tmp_path, GOOD, "suggest", "--mentee", "nobody", "--json")
    assert result.exit_code == 1 and result.stdout == ""
    assert "'nobody' is no mentee" in result.stderr
    missing = CliRunner().invoke(match, ["cohort", "--input", str(tmp_path / "no.json")])
    assert missing.exit_code == 1 and missing.stdout == ""
    assert "cannot read" in missing.stderr
