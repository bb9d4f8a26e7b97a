"""The CPD record's renderers alone (pure: no database): the CSV defuses every cell a
spreadsheet would run and keeps every other value as it was, for any text; the PDF renders
any text and reads back the member's name, in scripts DejaVu Sans covers; `missing_glyphs`
names what it does not."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from mentorhub.pairs.cpd import (
    CpdEntry,
    CpdGoal,
    CpdMeeting,
    CpdRecord,
    csv_rows,
    hours,
    missing_glyphs,
    render_csv,
    render_pdf,
)

FORMULA = ("=", "+", "-", "@", "\t", "\r")
#: Text a person may type: letters of many scripts, digits, punctuation, spaces, line breaks.
TYPED = st.text(
    st.characters(
        codec="utf-8", categories=("L", "N", "P", "S", "Zs"), exclude_characters="\x00"
    ).filter(lambda c: c.isprintable())
    | st.sampled_from([*FORMULA, "\n"]),
    max_size=60,
)


def record(title: str = "Goal", body: str = "Words", name: str = "Maya Mentor") -> CpdRecord:
    entry = CpdEntry(uuid.uuid4(), date(2027, 2, 3), title, body, "2027 intake", False)
    return CpdRecord(
        member_name=name,
        association="Museums Association",
        programme="Mentoring for All",
        period_from=date(2027, 1, 4),
        period_to=date(2027, 6, 30),
        prepared_on=date(2027, 7, 1),
        meetings=[
            CpdMeeting(date(2027, 1, 10), 90, "Video call", "Mentor", "2027 intake"),
            CpdMeeting(date(2027, 2, 14), 45, "Phone", "Mentor", "2027 intake"),
        ],
        goals=[CpdGoal(title, "Achieved", "Mentor", "2027 intake", uuid.uuid4())],
        entries=[entry],
        chosen=[entry],
    )


def test_hours_have_two_decimals() -> None:
    assert [hours(m) for m in (0, 1, 45, 60, 90, 125)] == [
        "0.00",
        "0.02",
        "0.75",
        "1.00",
        "1.50",
        "2.08",
    ]
    assert record().meeting_count == "2 meetings"
    one = record()
    one.meetings.pop()
    assert one.meeting_count == "1 meeting"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=TYPED, body=TYPED)
def test_no_csv_cell_runs_as_a_formula_and_the_rest_is_kept(title: str, body: str) -> None:
    r = record(title, body)
    rows = list(csv.reader(io.StringIO(render_csv(r), newline="")))
    assert rows[0] == ["kind", "date", "hours", "title", "detail"]
    assert len(rows) - 1 == len(csv_rows(r))
    for row, raw in zip(rows[1:], csv_rows(r), strict=True):
        for cell, value in zip(row, raw, strict=True):
            assert not cell.startswith(FORMULA), (cell, value)
            assert cell == ("'" + value if value.startswith(FORMULA) else value)


def pdf_text(data: bytes) -> str:
    return re.sub(
        r"\s+", " ", " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)
    )


def test_the_pdf_reads_back_names_in_the_scripts_dejavu_covers() -> None:
    for name in ("Zoë Łukasz-Müller", "Ελένη Παπαδοπούλου", "Мария Иванова", "Ólafur Þórsson"):
        assert not missing_glyphs([name])
        words = pdf_text(render_pdf(record(name=name)))
        assert name in words
        assert "Total 2.25" in words and "Museums Association" in words
        assert "Declaration" in words and "Signed" in words


def test_missing_glyphs_names_what_dejavu_lacks() -> None:
    assert missing_glyphs(["山田 花子", "Maya"]) == {"山", "田", "花", "子"}
    assert missing_glyphs(["\n\t", "plain"]) == set()  # control characters are not glyphs


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=TYPED, body=st.text(max_size=400), name=TYPED.filter(str.strip))
def test_the_pdf_renders_any_text(title: str, body: str, name: str) -> None:
    data = render_pdf(record(title, body, name))
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
