"""The evaluation report's downloads: the aggregated tables as CSV, as an XLSX workbook (one
sheet per section, openpyxl) and as a PDF a trustee can read (A4, fpdf2, the DejaVu fonts
the CPD record ships in `pairs/fonts`); and the responses CSV's lines.

Every download carries exactly what the page shows: a suppressed group is the words
"fewer than 5 — not shown" in its place, never a number. CSV cells go through the
applications' `csv_cell` (a cell starting with = + - @, a tab or a carriage return is
prefixed with a quote); XLSX cells holding text are typed as strings (`data_type = "s"`)
and get the same prefix, so no spreadsheet runs them as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font

from mentorhub.applications.queue import csv_cell
from mentorhub.pairs.cpd import MUTED, HouseDocument
from mentorhub.reports.aggregate import Change, Table
from mentorhub.reports.charts import Block, blocks, top_count, top_share, top_words
from mentorhub.reports.evaluation import Report, Section

__all__ = ["csv_line", "render_csv", "render_pdf", "render_xlsx", "report_rows"]

Row = tuple[Any, ...]
HEADER = ("section", "group", "question", "answer", "count", "percent", "note")


def _day(d: Any) -> str:
    return f"{d.day} {d:%B %Y}"


def _table_rows(section: Section, t: Table, suppressed: str) -> Iterator[Row]:
    if t.suppressed:
        yield (section.title, t.group, t.title, "", "", "", suppressed)
        return
    note = "several answers possible" if t.several else ""
    for r in t.rows:
        yield (section.title, t.group, t.title, r.label, r.count, r.percent, note)
    yield (section.title, t.group, t.title, "Respondents", t.respondents, "", "")
    if t.mean is not None:
        yield (section.title, t.group, t.title, "Mean", t.mean, "", t.mean_words)


def _change_rows(section: Section, c: Change, suppressed: str) -> Iterator[Row]:
    if c.suppressed:
        yield (section.title, c.group, c.title, "", "", "", suppressed)
        return
    for when, answers, asked in (
        ("Before", c.before, c.before_title),
        ("After", c.after, c.after_title),
    ):
        for a in answers:
            yield (section.title, c.group, c.title, f"{when}: {a.label}", a.count, a.percent, asked)
    yield (section.title, c.group, c.title, "Answered both times", c.people, "", "")
    yield (section.title, c.group, c.title, "Rose", c.rose, c.rose_percent, "")
    yield (section.title, c.group, c.title, "Stayed the same", c.same, c.same_percent, "")
    yield (section.title, c.group, c.title, "Fell", c.fell, c.fell_percent, "")
    if c.mean_change is not None:
        yield (
            section.title,
            c.group,
            c.title,
            "Mean before → after",
            f"{c.mean_before:g} → {c.mean_after:g}",
            "",
            f"change {c.mean_change:+g} {c.mean_words}".strip(),
        )


def section_rows(section: Section, suppressed: str) -> Iterator[Row]:
    """One section's rows in the downloads' columns (HEADER)."""
    for f in section.figures:
        yield (section.title, "", f.label, "", f.value, "", "")
    for t in section.tables:
        yield from _table_rows(section, t, suppressed)
    for c in section.changes:
        yield from _change_rows(section, c, suppressed)
    for g in section.quotes:
        if g.suppressed:
            yield (section.title, "What people wrote", g.question, "", "", "", suppressed)
        for q in g.quotes:
            yield (section.title, "What people wrote", g.question, q, "", "", "")


def report_rows(report: Report) -> Iterator[Row]:
    """The whole report as rows (HEADER first); a suppressed cohort: only that line."""
    yield HEADER
    yield ("Report", "", "Cohort", report.cohort_name, "", "", report.scheme_name)
    yield ("Report", "", "Prepared on", report.today.isoformat(), "", "", "")
    if report.suppressed:
        yield ("Report", "", "Pairs", "", "", "", report.suppressed_words)
        return
    for section in report.sections:
        yield from section_rows(section, report.suppressed_words)


def csv_line(values: Iterable[Any]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([csv_cell(v) for v in values])
    return out.getvalue()


async def csv_stream(
    head: Iterable[Any], rows: AsyncIterator[Iterable[Any]], *, batch: int = 250
) -> AsyncIterator[bytes]:
    """A streamed CSV download: the head, then the rows `batch` at a time (each cell through
    `csv_cell`), so a 100,000-row export is a few hundred writes, not one per row, and
    its memory stays one batch whatever the number of rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(v) for v in head])
    n = 0
    async for row in rows:
        writer.writerow([csv_cell(v) for v in row])
        n += 1
        if n % batch == 0:
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode()


def render_csv(report: Report) -> str:
    return "".join(csv_line(r) for r in report_rows(report))


# --- XLSX -----------------------------------------------------------------------------------


def _put(cell: Cell, value: Any) -> None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        cell.value = value
        return
    cell.value = csv_cell(value)
    cell.data_type = "s"


def _sheet_name(title: str, used: set[str]) -> str:
    base = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "Sheet"
    name, n = base, 2
    while name.casefold() in used:
        name = f"{base[:28]} {n}"
        n += 1
    used.add(name.casefold())
    return name


def render_xlsx(report: Report) -> bytes:
    """One sheet per section (the first: the cohort), the columns of the CSV."""
    book = Workbook()
    first = book.active
    assert first is not None
    used: set[str] = set()
    first.title = _sheet_name("Cohort", used)
    bold = Font(bold=True)
    head = [
        ("Cohort", report.cohort_name),
        ("Scheme", report.scheme_name),
        ("Runs", f"{_day(report.starts_on)} to {_day(report.ends_on)}"),
        ("Prepared on", _day(report.today)),
        ("Minimum group size", report.min_group),
        ("Pairs", report.suppressed_words if report.suppressed else report.pairs),
    ]
    for n, (label, value) in enumerate(head, start=1):
        _put(first.cell(row=n, column=1), label)
        first.cell(row=n, column=1).font = bold
        _put(first.cell(row=n, column=2), value)
    first.column_dimensions["A"].width = 22
    first.column_dimensions["B"].width = 50
    if not report.suppressed:
        for section in report.sections:
            sheet = book.create_sheet(_sheet_name(section.title, used))
            for c, name in enumerate(HEADER[1:], start=1):
                _put(sheet.cell(row=1, column=c), name)
                sheet.cell(row=1, column=c).font = bold
            for r, row in enumerate(section_rows(section, report.suppressed_words), start=2):
                for c, value in enumerate(row[1:], start=1):
                    _put(sheet.cell(row=r, column=c), value)
            for col, width in zip("ABCDEF", (24, 50, 34, 10, 9, 30), strict=True):
                sheet.column_dimensions[col].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- PDF ------------------------------------------------------------------------------------

BAR = (29, 78, 216)
AFTER = (15, 118, 110)
TRACK = (229, 231, 235)


class _Document(HouseDocument):
    def __init__(self, report: Report) -> None:
        super().__init__()
        self.report = report
        self.footer_words = f"Evaluation report · {report.cohort_name}"

    def heading(self, words: str, size: float = 14) -> None:
        if self.will_page_break(45):
            self.add_page()
        self.ln(4)
        self.set_font("DejaVu", "B", size)
        self.multi_cell(0, size * 0.5, words, align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(1)
        self.set_font("DejaVu", "", 10)

    def bar(self, label: str, count: Any, pct: float, color: tuple[int, int, int]) -> None:
        """One answer: its words, then a bar with its count and percentage."""
        if self.will_page_break(12):
            self.add_page()
        self.set_font("DejaVu", "", 9)
        self.multi_cell(0, 4.5, label, align="L", new_x="LMARGIN", new_y="NEXT")
        span = self.w - self.l_margin - self.r_margin - 40
        y = self.get_y() + 0.5
        self.set_fill_color(*TRACK)
        self.rect(self.l_margin, y, span, 3.5, style="F")
        self.set_fill_color(*color)
        if pct > 0:
            self.rect(self.l_margin, y, span * min(pct, 100.0) / 100, 3.5, style="F")
        self.set_xy(self.l_margin + span + 2, y - 0.7)
        self.cell(38, 5, f"{count} ({pct:g} %)")
        self.set_xy(self.l_margin, y + 5)

    def table_of(self, t: Table, suppressed: str) -> None:
        if self.will_page_break(25):
            self.add_page()
        self.set_font("DejaVu", "B", 10)
        title = f"{t.group}: {t.title}" if t.group else t.title
        self.multi_cell(0, 5, title, align="L", new_x="LMARGIN", new_y="NEXT")
        if t.suppressed:
            self.para(suppressed.capitalize() + ".", 9, MUTED)
            self.ln(2)
            return
        for r in t.rows:
            self.bar(r.label, r.count, r.percent, BAR)
        notes = [f"Respondents: {t.respondents}"]
        if t.mean is not None:
            notes.append(f"mean {t.mean:g} {t.mean_words}".rstrip())
        if t.several:
            notes.append("several answers possible")
        self.para("; ".join(notes) + ".", 8.5, MUTED)
        self.ln(2)

    def grid_of(self, b: Block, suppressed: str) -> None:
        """A Likert grid: one bar per statement, the share in the scale's top answers."""
        if self.will_page_break(30):
            self.add_page()
        self.set_font("DejaVu", "B", 10)
        self.multi_cell(0, 5, b.group, align="L", new_x="LMARGIN", new_y="NEXT")
        shown = [t for t in b.tables if not t.suppressed]
        if not shown:
            self.para(suppressed.capitalize() + ".", 9, MUTED)
            self.ln(2)
            return
        self.para(f"Share answering {top_words(shown[0])}, statement by statement:", 8.5, MUTED)
        for t in b.tables:
            if t.suppressed:
                self.para(f"{t.title}: {suppressed}.", 9, MUTED)
                continue
            self.bar(t.title, top_count(t), top_share(t), BAR)
        self.para(
            f"Respondents: {shown[0].respondents}; means {shown[0].mean_words}: "
            + "; ".join(f"{t.mean:g}" for t in shown if t.mean is not None)
            + ".",
            8.5,
            MUTED,
        )
        self.ln(2)

    def changes_of(self, b: Block, suppressed: str) -> None:
        """One question's changes: one bar per statement, the share whose answer rose."""
        if self.will_page_break(30):
            self.add_page()
        self.set_font("DejaVu", "B", 10)
        self.multi_cell(
            0, 5, b.group or b.changes[0].title, align="L", new_x="LMARGIN", new_y="NEXT"
        )
        shown = [c for c in b.changes if not c.suppressed]
        if not shown:
            self.para(suppressed.capitalize() + ".", 9, MUTED)
            self.ln(2)
            return
        first = shown[0]
        self.para(
            f"{first.before_title}, then {first.after_title}: the share of the people who "
            "answered both times whose answer rose.",
            8.5,
            MUTED,
        )
        for c in b.changes:
            if c.suppressed:
                self.para(f"{c.title}: {suppressed}.", 9, MUTED)
                continue
            self.bar(c.title, c.rose, c.rose_percent, AFTER)
            if c.mean_change is not None:
                self.para(
                    f"{c.people} people; {c.rose_percent:g} % rose, {c.same_percent:g} % "
                    f"stayed the same, {c.fell_percent:g} % fell; mean {c.mean_before:g} → "
                    f"{c.mean_after:g} ({c.mean_change:+g})",
                    8,
                    MUTED,
                )
        self.ln(2)


def render_pdf(report: Report, *, compress: bool = True) -> bytes:
    """The report as an A4 PDF (`compress=False` leaves its text readable in the bytes)."""
    pdf = _Document(report)
    pdf.set_compression(compress)
    pdf.set_title(f"Evaluation report — {report.cohort_name}")
    pdf.set_subject(report.scheme_name)
    pdf.set_creator("MentorHub")
    pdf.set_lang("en")
    pdf.set_creation_date(datetime.combine(report.today, datetime.min.time(), tzinfo=UTC))
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 18)
    pdf.multi_cell(0, 9, "Evaluation report", align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.para(f"{report.scheme_name} — {report.cohort_name}", 12, MUTED)
    pdf.para(
        f"The cohort ran from {_day(report.starts_on)} to {_day(report.ends_on)}. "
        f"Prepared on {_day(report.today)}. Groups of fewer than {report.min_group} people "
        "are not shown, so that nobody can be identified.",
        10,
    )
    if report.suppressed:
        pdf.heading("Pairs")
        pdf.para(
            f"This cohort has {report.suppressed_words}: its pairs are too few for a report "
            "that identifies nobody."
        )
        return bytes(pdf.output())
    for section in report.sections:
        pdf.heading(section.title)
        if section.intro:
            pdf.para(section.intro, 9, MUTED)
        for f in section.figures:
            pdf.set_font("DejaVu", "B", 10)
            pdf.cell(95, 6, f.label)
            pdf.set_font("DejaVu", "", 10)
            pdf.cell(0, 6, f.value, new_x="LMARGIN", new_y="NEXT")
        if section.figures:
            pdf.ln(2)
        for b in blocks(section.tables, section.changes):
            if b.kind == "grid":
                pdf.grid_of(b, report.suppressed_words)
            elif b.kind == "changes":
                pdf.changes_of(b, report.suppressed_words)
            else:
                pdf.table_of(b.tables[0], report.suppressed_words)
        for g in section.quotes:
            pdf.set_font("DejaVu", "B", 10)
            pdf.multi_cell(0, 5, g.question, align="L", new_x="LMARGIN", new_y="NEXT")
            if g.suppressed:
                pdf.para(report.suppressed_words.capitalize() + ".", 9, MUTED)
            for q in g.quotes:
                pdf.para(f"“{q}”", 9.5)
                pdf.ln(1)
    return bytes(pdf.output())
