"""The report's arithmetic (reports.aggregate, pure): percentages, suppression below the
minimum group size, and the change from a baseline answer to a final one — unit cases and
hypothesis properties, plus the SVG charts (reports.charts) they draw."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from mentorhub.reports.aggregate import (
    MIN_GROUP,
    change,
    count_figure,
    mean_of,
    percent,
    suppressed_words,
    table,
)
from mentorhub.reports.charts import bar_chart, change_chart

SCALE = ["Strongly disagree", "Disagree", "Neither", "Agree", "Strongly agree"]
LABELS = [(v, v) for v in SCALE]


def test_percent_rounds_to_one_decimal_and_nothing_of_nothing() -> None:
    assert percent(1, 3) == 33.3
    assert percent(2, 3) == 66.7
    assert percent(0, 0) == 0.0
    assert percent(5, 5) == 100.0


def test_a_table_of_enough_respondents_counts_every_answer_in_order() -> None:
    t = table("Q", LABELS, {"Agree": 4, "Neither": 1, "Other": 9}, 5, mean_scale=SCALE)
    assert [(r.label, r.count, r.percent) for r in t.rows] == [
        ("Strongly disagree", 0, 0.0),
        ("Disagree", 0, 0.0),
        ("Neither", 1, 20.0),
        ("Agree", 4, 80.0),
        ("Strongly agree", 0, 0.0),
    ]
    assert t.mean == 3.8  # (3 + 4 * 4) / 5
    assert not t.suppressed


def test_a_table_under_the_minimum_keeps_nothing() -> None:
    t = table("Q", LABELS, {"Agree": 4}, 4)
    assert t.suppressed and t.rows == () and t.respondents == 0 and t.mean is None
    assert suppressed_words() == "fewer than 5 — not shown"
    assert count_figure("Pairs", "4", 4).value == "fewer than 5 — not shown"
    assert count_figure("Pairs", "5", 5).value == "5"


def test_a_rating_mean_is_on_its_values() -> None:
    assert mean_of({1: 1, 5: 1}, [1, 2, 3, 4, 5]) == 3.0
    assert mean_of({}, [1, 2]) is None


def test_a_change_counts_only_the_people_who_answered_both_times() -> None:
    moves: dict[tuple[Any, Any], int] = {
        ("Neither", "Agree"): 4,
        ("Agree", "Agree"): 1,
        ("Agree", "Disagree"): 1,
        (None, "Agree"): 7,  # answered only the final survey
        ("Agree", None): 3,  # answered only the baseline
    }
    c = change("Confident", LABELS, moves, before_title="Baseline", after_title="Final")
    assert c.people == 6
    assert (c.rose, c.same, c.fell) == (4, 1, 1)
    assert c.rose_percent == 66.7
    assert [s.count for s in c.before] == [0, 0, 4, 2, 0]
    assert [s.count for s in c.after] == [0, 1, 0, 5, 0]
    assert c.mean_before == 3.33 and c.mean_after == 3.67 and c.mean_change == 0.34


def test_a_yes_after_a_no_rose() -> None:
    c = change(
        "Q",
        [(False, "No"), (True, "Yes")],
        {(False, True): 5, (True, True): 1},
        before_title="a",
        after_title="b",
    )
    assert c.rose == 5 and c.same == 1 and c.rose_percent == 83.3


def test_a_change_of_too_few_people_is_suppressed() -> None:
    c = change("Q", LABELS, {("Neither", "Agree"): 4}, before_title="a", after_title="b")
    assert c.suppressed and c.people == 0 and c.before == () and c.rose == 0
    assert change_chart(c) == ""


counts = st.dictionaries(st.sampled_from(SCALE), st.integers(min_value=0, max_value=500))


@given(counts)
def test_percentages_of_a_single_answer_question_add_up_to_about_100(given: dict[str, int]) -> None:
    respondents = sum(given.values())
    t = table("Q", LABELS, given, respondents)
    if t.suppressed:
        return
    assert abs(sum(r.percent for r in t.rows) - 100.0) <= 0.05 * len(t.rows) + 1e-9
    assert t.total == respondents


@given(counts, st.integers(min_value=1, max_value=20))
def test_suppression_never_shows_a_group_under_the_minimum(
    given: dict[str, int], min_group: int
) -> None:
    respondents = sum(given.values())
    t = table("Q", LABELS, given, respondents, min_group=min_group)
    if respondents < min_group:
        assert t.suppressed and not t.rows and t.respondents == 0 and t.mean is None
        assert bar_chart(t) == ""
    else:
        assert not t.suppressed and t.respondents == respondents >= min_group


answers = st.one_of(st.none(), st.sampled_from(SCALE))


@given(st.dictionaries(st.tuples(answers, answers), st.integers(min_value=0, max_value=50)))
def test_a_change_is_computed_only_from_people_who_answered_both(
    moves: dict[tuple[Any, Any], int],
) -> None:
    both = sum(n for (b, a), n in moves.items() if b is not None and a is not None)
    c = change("Q", LABELS, moves, before_title="a", after_title="b")
    if both < MIN_GROUP:
        assert c.suppressed and c.people == 0
        return
    assert c.people == both
    assert c.rose + c.same + c.fell == both
    assert sum(s.count for s in c.before) == both == sum(s.count for s in c.after)
    rose = sum(
        n
        for (b, a), n in moves.items()
        if b is not None and a is not None and SCALE.index(a) > SCALE.index(b)
    )
    assert c.rose == rose


def test_a_chart_is_an_image_with_its_numbers_in_words() -> None:
    t = table("Q <script>", LABELS, {"Agree": 4, "Neither": 1}, 5)
    svg = bar_chart(t)
    assert svg.startswith('<svg class="report-chart" role="img" aria-label="Q &lt;script&gt;.')
    assert "Agree: 4 (80 %)" in svg and "<title>Q &lt;script&gt;</title>" in svg
    assert "<script>" not in svg
    assert "style=" not in svg  # presentation attributes only (the page's CSP)
