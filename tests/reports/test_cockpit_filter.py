"""The cockpit's pure parts, unit and property tests: the one filter the page and the CSV share
(`reports.cockpit.matches`), the CSV's cells, and the cadence memo (equal inputs, one
computation; its figures are `pairs.cadence.summarise`'s)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from hypothesis import assume, given
from hypothesis import strategies as st

from mentorhub.pairs.cadence import Held, summarise
from mentorhub.reports import cockpit as q
from mentorhub.schemes.loader import load_tenant

NAMES = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)


@st.composite
def rows(draw: st.DrawFn) -> q.PairRow:
    state = draw(st.sampled_from(("active", "extended", "ended")))
    end_kind = (
        draw(st.sampled_from(("completed", "ended_early", "removed"))) if state == "ended" else None
    )
    people = [
        q.Person(uuid.uuid4(), draw(NAMES), draw(NAMES), draw(st.booleans()), False)
        for _ in range(2)
    ]
    flags = tuple(f for f in q.FLAGS if draw(st.booleans()))
    return q.PairRow(
        id=uuid.uuid4(),
        state=state,
        end_kind=end_kind,
        matched_on=date(2027, 1, 1),
        mentor=people[0],
        mentee=people[1],
        held=draw(st.integers(0, 20)),
        contact_minutes=draw(st.integers(0, 2000)),
        figures=None,
        items_open=draw(st.integers(0, 5)),
        items_overdue=1 if "overdue" in flags else 0,
        items_missed=0,
        open_tasks=1 if "tasks" in flags else 0,
        quiet="quiet" in flags,
        lapsed="lapsed" in flags,
        behind="behind" in flags,
        flags=flags,
    )


def passes(row: q.PairRow, **query: object) -> bool:
    cq = q.CockpitQuery(**query)  # type: ignore[arg-type]
    return q.matches(row, cq, q._words(cq.search))


@given(rows())
def test_no_filter_lets_every_pair_through(row: q.PairRow) -> None:
    assert passes(row)


@given(rows(), st.sampled_from(q.FLAGS))
def test_a_flag_filter_keeps_exactly_the_pairs_with_the_flag(row: q.PairRow, flag: str) -> None:
    assert passes(row, flag=flag) == (flag in row.flags)


@given(rows())
def test_live_and_ended_split_the_pairs_and_the_end_kinds_split_ended(row: q.PairRow) -> None:
    assert passes(row, state="live") != passes(row, state="ended")
    kinds = [passes(row, state=k) for k in ("completed", "ended_early", "removed")]
    assert sum(kinds) == (1 if row.state == "ended" else 0)
    assert passes(row, state="active") == (row.state == "active")


@given(rows(), st.sampled_from((0, 1)), st.integers(0, 10), st.integers(0, 10))
def test_search_ignores_case_and_finds_any_part_of_a_name_or_address(
    row: q.PairRow, who: int, start: int, length: int
) -> None:
    person = (row.mentor, row.mentee)[who]
    source = person.name if start % 2 else person.email
    word = source[start : start + max(1, length)].split()
    if not word:
        return
    # Letters whose capital folds to another letter (dotless "ı" → "I" → "i") have no
    # case-insensitive twin to compare with.
    assume(word[0].upper().casefold() == word[0].lower().casefold())
    assert passes(row, search=word[0].upper()) == passes(row, search=word[0].lower())
    assert passes(row, search=word[0].casefold())


@given(rows(), st.text(alphabet="xyzXYZ0123", min_size=1, max_size=8))
def test_every_word_must_be_found(row: q.PairRow, word: str) -> None:
    fields = " ".join((row.mentor.name, row.mentor.email, row.mentee.name, row.mentee.email))
    if word.casefold() in fields.casefold():
        return
    assert not passes(row, search=f"{row.mentor.name} {word}")


def test_an_erased_member_is_never_found_by_the_placeholder() -> None:
    row = q.PairRow(
        id=uuid.uuid4(),
        state="active",
        end_kind=None,
        matched_on=date(2027, 1, 1),
        mentor=q.Person(uuid.uuid4(), "Maya Mentor", "maya@example.org", False, False),
        mentee=q.Person(uuid.uuid4(), q.ERASED, "", False, True),
        held=0,
        contact_minutes=0,
        figures=None,
        items_open=0,
        items_overdue=0,
        items_missed=0,
        open_tasks=0,
        quiet=False,
        lapsed=False,
        behind=False,
        flags=(),
    )
    assert not passes(row, search="erased")
    assert passes(row, search="MAYA")


@given(rows())
def test_no_csv_cell_starts_like_a_formula(row: q.PairRow) -> None:
    for cell in q.csv_cells(row):
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_the_figures_agree_with_summarise() -> None:
    """`_figures` is the pair page's `summarise`; the memo that keeps them is the reader's
    (next test: a second look at a key is the memo's, not a second computation)."""
    tf = load_tenant("museums-association")
    matched = date(2027, 1, 11)
    days = (matched + timedelta(days=30), matched + timedelta(days=61))
    minutes = (90, 75)
    today = matched + timedelta(days=100)
    args = (matched, matched, (), days, minutes, today, None, "GB-ENG")
    first = q._figures(tf.scheme, *args)
    facts = q.pair_facts(tf.scheme, matched, matched, [])
    own = summarise(
        tf.scheme,
        facts,
        [Held(d, m) for d, m in zip(days, minutes, strict=True)],
        today,
        jurisdiction="GB-ENG",
    )
    assert first == q.Figures(
        own.expected_so_far, own.expected_total, own.hours_due_by_now, bool(own.behind)
    )
    # The scheme without its checkpoints gives the same figures (the memo's shortcut).
    assert q._figures(q._without_checkpoints(tf.scheme), *args) == first


def test_the_cadence_key_gives_the_memo_s_figures() -> None:
    """The pairs statement hands each pair's cadence as one string (version|matched on|ended
    on|day:minutes,…|extensions' JSON; days as days since 2000-01-01); the reader's figures
    for it are `_figures`' for the same values, extensions and an early end included, and a
    second look is the memo's."""
    tf = load_tenant("museums-association")
    version = tf.scheme.version
    rules = q._without_checkpoints(tf.scheme)
    matched = date(2027, 1, 11)
    today = matched + timedelta(days=200)
    cohort = q.CohortInfo(
        id=uuid.uuid4(),
        name="2027 intake",
        starts_on=matched,
        ends_on=matched + timedelta(days=365),
        scheme_version=version,
        scheme_name=tf.scheme.name,
        flow="coordinator",
        hours_min=None,
        hours_max=None,
    )
    reader = q._Reader({version: rules}, cohort, today, "GB-ENG", uuid.uuid4())

    def n(day: date) -> int:  # a day in the key: days since 1 January 2000
        return (day - date(2000, 1, 1)).days

    m, feb, mar, jun = n(matched), n(date(2027, 2, 10)), n(date(2027, 3, 13)), n(date(2027, 6, 1))
    cases = [
        (f"{version}|{m}|||", (), (), (), None),
        (
            f"{version}|{m}||{feb}:90,{mar}:75|",
            (),
            (date(2027, 2, 10), date(2027, 3, 13)),
            (90, 75),
            None,
        ),
        (
            f'{version}|{m}|{jun}|{feb}:60|[{{"months": 3, "agreed_on": "2027-05-01", '
            '"note": "a|b"}]',
            (("2027-05-01", 3),),
            (date(2027, 2, 10),),
            (60,),
            date(2027, 6, 1),
        ),
    ]
    for key, extensions, days, minutes, ended_on in cases:
        expected = q._figures(
            rules, matched, matched, extensions, days, minutes, today, ended_on, "GB-ENG"
        )
        assert reader.figures_of(key) == expected
        assert reader.figures_of(key) is reader.memo[key]
        memo_size = len(reader.memo)
        assert reader.figures_of(key) is reader.memo[key] and len(reader.memo) == memo_size
