"""The report's downloads against the seeded Museums Association cohort
(tests.reports.test_evaluation_world): CSV cells that start with = + - @ neutralised; the
XLSX opens with openpyxl, one sheet per section, holds the figures and types formula-like
text as strings; the PDF is a PDF whose text (pypdf) holds the figures; responses.csv
streams every answer under pseudonyms, free text only with permission, and is refused for
a cohort where fewer than five people sent anything in."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.reports.evaluation import RESPONSE_HEADER, build_report, response_rows
from mentorhub.reports.exports import csv_line, render_csv, render_pdf, render_xlsx
from mentorhub.settings import Settings
from tests.applications.test_coordinator_pages import sign_in_as
from tests.identity.conftest import settings  # noqa: F401  (fixture)
from tests.reports.test_evaluation_world import ReportWorld, report_world
from tests.support import serving

BASE = "https://localhost"
TODAY = date(2027, 9, 1)


@pytest.fixture
async def client(db: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    async with serving(create_app(settings, db=db), base_url=BASE) as c:
        yield c


def test_csv_cells_that_look_like_formulas_are_neutralised() -> None:
    line = csv_line(["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "plain", 42])
    assert next(csv.reader(io.StringIO(line))) == [
        "'=1+1",
        "'+SUM(A1)",
        "'-2+3",
        "'@cmd",
        "'\tx",
        "plain",
        "42",
    ]


async def _world_report(db: Database) -> tuple[ReportWorld, object]:
    rw = await report_world(db)
    async with db.tenant(rw.id) as session:
        report = await build_report(session, rw.cohort.id, today=TODAY)
    return rw, report


async def test_the_csv_holds_the_figures_and_the_suppressions(db: Database) -> None:
    rw = await report_world(db)
    async with db.tenant(rw.id) as session:
        report = await build_report(session, rw.cohort.id, today=TODAY)
        small = await build_report(session, rw.small.id, today=TODAY)
    rows = list(csv.reader(io.StringIO(render_csv(report))))
    assert rows[0] == ["section", "group", "question", "answer", "count", "percent", "note"]
    cells = {(r[0], r[2]): r[4] for r in rows}
    assert cells[("Meetings and contact hours", "Meetings held")] == "27"
    assert cells[("Meetings and contact hours", "Average meetings per pair")] == "4.5"
    assert cells[("Development goals", "Achieved or partly achieved")] == "95.8 %"
    assert rows[next(i for i, r in enumerate(rows) if r[3] == "SHARED-QUOTE-0")][:2] == [
        "Final online survey (mentees)",
        "What people wrote",
    ]
    # a quote that looks like a formula is neutralised
    assert any(r[3] == '\'=HYPERLINK("x")' for r in rows)
    assert not any(r[3].startswith("=") for r in rows)
    # the mentors' final survey (three sent in): words, never a number
    mentors = [r for r in rows if r[0] == "Final online survey (mentors)"]
    assert mentors and all(r[4] in ("", "fewer than 5 — not shown") for r in mentors)
    assert "SMALL-GROUP-QUOTE" not in render_csv(report)
    assert "SECRET-MARKER" not in render_csv(report)
    small_rows = list(csv.reader(io.StringIO(render_csv(small))))
    assert small_rows[-1][-1] == "fewer than 5 — not shown" and len(small_rows) == 4


async def test_the_xlsx_opens_with_a_sheet_per_section_and_the_figures(db: Database) -> None:
    rw = await report_world(db)
    async with db.tenant(rw.id) as session:
        report = await build_report(session, rw.cohort.id, today=TODAY)
    book = load_workbook(io.BytesIO(render_xlsx(report)))
    names = book.sheetnames
    assert names[0] == "Cohort"
    assert len(names) == 1 + len(report.sections)
    assert "Meetings and contact hours" in names
    meetings = book["Meetings and contact hours"]
    values = {row[1]: row[3] for row in meetings.iter_rows(min_row=2, values_only=True)}
    assert values["Meetings held"] == "27" and values["Average meetings per pair"] == "4.5"
    goals = book["Development goals"]
    counts = {row[2]: row[3] for row in goals.iter_rows(min_row=2, values_only=True) if row[2]}
    assert counts["Achieved"] == 14 and counts["Partly achieved"] == 9
    final = book["Final online survey (mentees)"]
    formula = [c for row in final.iter_rows() for c in row if str(c.value).startswith("'=")]
    assert formula and all(c.data_type == "s" for c in formula)
    assert not [c for ws in book for row in ws.iter_rows() for c in row if c.data_type == "f"]
    mentors = book["Final online survey (mentors)"]
    assert "fewer than 5 — not shown" in [c.value for row in mentors.iter_rows() for c in row]


async def test_the_pdf_is_a_pdf_whose_text_holds_the_figures(db: Database) -> None:
    rw = await report_world(db)
    async with db.tenant(rw.id) as session:
        report = await build_report(session, rw.cohort.id, today=TODAY)
        small = await build_report(session, rw.small.id, today=TODAY)
    body = render_pdf(report)
    assert body.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(body))
    assert (
        reader.metadata is not None and reader.metadata.title == "Evaluation report — 2027 intake"
    )
    text = " ".join((p.extract_text() or "") for p in reader.pages)
    text = " ".join(text.split())
    for expected in (
        "Evaluation report",
        "Mentoring for All — 2027 intake",
        "Meetings held 27",
        "Average meetings per pair 4.5",
        "Achieved or partly achieved 95.8 %",
        "100 % rose",
        "SHARED-QUOTE-0",
        "Fewer than 5 — not shown",
    ):
        assert expected in text, expected
    assert "SECRET-MARKER" not in text and "SMALL-GROUP-QUOTE" not in text
    small_text = " ".join(
        p.extract_text() or "" for p in PdfReader(io.BytesIO(render_pdf(small))).pages
    )
    assert "fewer than 5 — not shown" in " ".join(small_text.split())
    assert "Meetings held" not in small_text


async def test_response_rows_are_pseudonymous_and_keep_unshared_text_out(db: Database) -> None:
    rw = await report_world(db)
    async with db.tenant(rw.id) as session:
        rows = [r async for r in response_rows(session, rw.cohort.id, secret=b"k", batch=2)]
        again = [r async for r in response_rows(session, rw.cohort.id, secret=b"k")]
        other = [r async for r in response_rows(session, rw.cohort.id, secret=b"other")]
    assert rows == again and rows[0][0] != other[0][0]
    flat = " ".join(" ".join(r) for r in rows)
    people = {r[0] for r in rows}
    # 6 mentees (baseline; 5 of them the final survey) and 3 mentors
    assert len(people) == 9 and all(p.startswith("R-") and len(p) == 12 for p in people)
    for secret in ("SECRET-MARKER", "DRAFT-MARKER", "Mentee ", "Mentor "):
        assert secret not in flat
    for member in (*rw.mentees, *rw.mentors):
        assert str(member.id) not in flat and member.email not in flat
    assert "SHARED-QUOTE-0" in flat
    confident = [r for r in rows if r[2] == "personal_qualities.2"]
    assert len(confident) == 11  # 6 baseline + 5 final
    assert confident[0][3].endswith("— I feel confident in myself")


async def test_responses_csv_streams_and_is_refused_under_five(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    rw = await report_world(db)
    await sign_in_as(client, settings, rw.world, rw.world.coordinator)
    async with client.stream("GET", rw.url(path="/responses.csv")) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/csv")
        assert "attachment" in answer.headers["content-disposition"]
        assert "content-length" not in answer.headers  # streamed, not built whole
        body = b"".join([chunk async for chunk in answer.aiter_bytes()]).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert tuple(rows[0]) == RESPONSE_HEADER
    assert any(r[4] == "SHARED-QUOTE-1" for r in rows)
    assert any(r[4] == '\'=HYPERLINK("x")' for r in rows)
    assert "SECRET-MARKER" not in body

    refused = await client.get(rw.url(rw.small, "/responses.csv"))
    assert refused.status_code == 403
    assert "Fewer than 5 people of this cohort have sent in a form" in refused.text
    assert "SMALL-COHORT-MARKER" not in refused.text

    for path, kind, magic in (
        ("/report.csv", "text/csv", b"section,"),
        ("/report.xlsx", "application/vnd.openxmlformats", b"PK"),
        ("/report.pdf", "application/pdf", b"%PDF-"),
    ):
        answer = await client.get(rw.url(path=path))
        assert answer.status_code == 200, path
        assert answer.headers["content-type"].startswith(kind)
        assert answer.content.startswith(magic), path
