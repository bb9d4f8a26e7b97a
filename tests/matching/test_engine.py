"""Properties of the matching engine on small random inputs, against brute force."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from mentorhub.matching import InputError, parse_instance
from mentorhub.matching.cohort import assign_cohort
from mentorhub.matching.scoring import reference_scores, score_pair, score_people
from mentorhub.matching.suggest import suggest
from mentorhub.matching.vector import ScoreTable
from tests.matching.matching_helpers import brute_force, instances, try_parse

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(instances())
def test_vectorised_scores_equal_reference(data: dict[str, Any]) -> None:
    inst = try_parse(data)
    if inst is None or not inst.mentees:
        return
    table = ScoreTable(inst)
    scores, eligible = table.block(np.arange(len(inst.mentees)))
    for i in range(len(inst.mentees)):
        ref = reference_scores(inst, i)
        for j, r in enumerate(ref):
            assert eligible[i, j] == (r is not None)
            explained = score_people(inst, inst.mentees[i], inst.mentors[j])
            assert explained.eligible == (r is not None)
            if r is not None:
                assert scores[i, j] == pytest.approx(r, abs=1e-9)
                assert explained.score == pytest.approx(r, abs=1e-12)
                assert sum(c.points for c in explained.contributions) == pytest.approx(
                    r, abs=1e-9)


@SETTINGS
@given(instances())
def test_cohort_is_the_brute_force_optimum_and_breaks_no_rule(data: dict[str, Any]) -> None:
    inst = try_parse(data)
    if inst is None:
        return
    result = assign_cohort(inst)
    count, total = brute_force(inst)
    assert len(result.pairs) == count
    assert result.total_score == pytest.approx(total, abs=1e-9)
    # Every mentee exactly once, in pairs or unmatched (with a reason).
    seen = [p.mentee for p in result.pairs] + [u.mentee for u in result.unmatched]
    assert sorted(seen) == sorted(m.id for m in inst.mentees)
    assert all(u.reason for u in result.unmatched)
    load: dict[str, int] = {}
    for p in result.pairs:
        pair = score_pair(inst, p.mentee, p.mentor)
        assert pair.eligible, pair.excluded_by  # conflicts, declined, forbidden, hard criteria
        assert p.score == pytest.approx(pair.score, abs=1e-9)
        load[p.mentor] = load.get(p.mentor, 0) + 1
    for mentor_id, n in load.items():
        assert n <= inst.mentors[inst.mentor_index(mentor_id)].free
    pairs = {(p.mentee, p.mentor) for p in result.pairs}
    assert set(inst.pinned) <= pairs
    assert not (inst.forbidden & pairs)
    # Deterministic: the same input gives the same output.
    assert assign_cohort(parse_instance(data)).to_dict() == result.to_dict()


@SETTINGS
@given(instances(max_mentors=6), st_top := __import__("hypothesis").strategies.integers(1, 4))
def test_suggestions_are_the_sorted_brute_force_scores(data: dict[str, Any], top: int) -> None:
    inst = try_parse(data)
    if inst is None:
        return
    table = ScoreTable(inst)
    for mentee in inst.mentees:
        expected = []
        for mentor in inst.mentors:
            p = score_people(inst, mentee, mentor)
            if p.eligible and mentor.free > 0:
                expected.append((-p.score, mentor.id))
        expected.sort()
        got = suggest(inst, mentee.id, top, table)
        assert [s.mentor for s in got] == [mid for _, mid in expected[:top]]
        for s, (neg, _) in zip(got, expected, strict=False):
            assert s.score == pytest.approx(-neg, abs=1e-9)
            assert s.mentor not in mentee.declined and s.mentor not in mentee.conflicts
        assert [s.to_dict() for s in suggest(inst, mentee.id, top)] == [
            s.to_dict() for s in got]


def _base() -> dict[str, Any]:
    return {
        "criteria": [
            {"name": "experience", "kind": "min_gap", "field": "years", "min": 5},
            {"name": "needs", "kind": "overlap", "field": "topics", "weight": 2},
        ],
        "mentees": [{"id": f"e{i}", "years": 10, "topics": ["x"]} for i in range(3)],
        "mentors": [{"id": f"r{i}", "years": 12 + i % 3, "topics": ["x"]} for i in range(12)],
    }


def test_unmatched_reason_names_the_excluding_rule() -> None:
    result = assign_cohort(parse_instance(_base()))
    assert not result.pairs
    assert result.unmatched[0].reason == (
        "no eligible mentor: excluded by min_gap 'experience' for all 12 mentors")


def test_unmatched_reason_when_places_run_out() -> None:
    data = _base()
    data["mentors"] = [{"id": "r0", "years": 30, "topics": ["x"], "capacity": 2}]
    result = assign_cohort(parse_instance(data))
    assert len(result.pairs) == 2
    assert "at capacity" in result.unmatched[0].reason
    data["mentors"][0]["assigned"] = 2
    result = assign_cohort(parse_instance(data))
    assert all("at capacity before matching" in u.reason for u in result.unmatched)


def test_cardinality_beats_score() -> None:
    # e0 scores higher with r0, but only r0 suits e1: matching both needs e0 with r1.
    data = {
        "criteria": [{"name": "needs", "kind": "overlap", "field": "t", "weight": 10,
                      "hard": True}],
        "mentees": [{"id": "e0", "t": ["a", "b"]}, {"id": "e1", "t": ["b"]}],
        "mentors": [{"id": "r0", "t": ["a", "b"]}, {"id": "r1", "t": ["a"]}],
    }
    result = assign_cohort(parse_instance(data))
    assert {(p.mentee, p.mentor) for p in result.pairs} == {("e0", "r1"), ("e1", "r0")}
    assert json.loads(json.dumps(result.to_dict()))["total_score"] == 20


def test_inadmissible_pins_are_refused() -> None:
    data = _base()
    data["mentors"][0]["years"] = 30
    data["pinned"] = [{"mentee": "e0", "mentor": "r1"}, {"mentee": "e1", "mentor": "r0"},
                      {"mentee": "e2", "mentor": "r0"}]
    with pytest.raises(InputError) as info:
        parse_instance(data)
    text = "\n".join(info.value.problems)
    assert "excluded by min_gap 'experience'" in text
    assert "pinned 2 times but has 1 free place" in text
