"""A member's CPD record (issue 15): what they did in mentoring, across all their pairs in
this association, as a PDF and a CSV for their professional body's continuing professional
development return.

What goes in:

* the meetings recorded as held (`meetings.state = 'held'` with `held_minutes`), each with
  its date (in the association's time zone), length, mode and the member's role — never
  the other person's name, nor the meeting's agenda and actions (both are the pair's, not
  the member's alone, and mentoring is confidential): a CPD return needs the hours;
* the total of those hours;
* the pairs' goals with their status now (title and status only);
* only the log entries the member ticks on the page (none by default), and only their own:
  the ids come in the query (`?entry=<id>&entry=<id>`); an id that is not one of the
  member's own entries — someone else's, a deleted one, or not an id at all — refuses the
  whole download with a clear 400 (`NotYours`), so a guessed id can neither add an entry
  nor tell whether it exists (the same answer for all three).

The period: optional `from` and `to` days (a CPD year rarely matches a mentoring
relationship); meetings and ticked entries outside it are left out, goals are shown as they
stand. Without them the period runs from the first match to today.

The PDF is made with fpdf2 (pure Python; see the commit that added it) in DejaVu Sans,
shipped beside this module (fonts/, Bitstream Vera licence + public domain, LICENSE-DejaVu.txt)
and embedded as a subset, so names in Latin, Greek, Cyrillic and many other scripts print.
For characters DejaVu lacks (Chinese, Japanese, Korean names) a fallback font of the system
is used where one is installed (`FALLBACK_FONTS`: Debian's fonts-droid-fallback or
fonts-noto-cjk), loaded only for a record that needs it; without one those characters print
as empty boxes (the rest of the document is unaffected). Right-to-left text is not shaped.
The CSV has one row per item (kind, date, hours, title, detail), every cell through
`applications.queue.csv_cell`, so no spreadsheet runs a cell beginning with = + - @ as a
formula.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import FontFace
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.applications.models import Cohort
from mentorhub.applications.queue import csv_cell, tenant_zone
from mentorhub.core.problems import Problem, Problems
from mentorhub.db.access import get_in_tenant
from mentorhub.identity.models import Member
from mentorhub.pairs.models import Pair
from mentorhub.pairs.space_models import Goal, LogEntry, Meeting
from mentorhub.tenancy.models import Tenant

__all__ = [
    "GOAL_WORDS",
    "MODE_WORDS",
    "CpdEntry",
    "CpdGoal",
    "CpdMeeting",
    "CpdRecord",
    "NotYours",
    "cpd_record",
    "hours",
    "missing_glyphs",
    "parse_ids",
    "render_csv",
    "render_pdf",
]

FONTS = Path(__file__).parent / "fonts"
#: System fonts used for characters DejaVu Sans lacks, the first one present: (path, index
#: in a collection).
FALLBACK_FONTS: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 0),
)
MODE_WORDS = {"in_person": "In person", "video": "Video call", "phone": "Phone"}
GOAL_WORDS = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "achieved": "Achieved",
    "partly": "Partly achieved",
    "dropped": "Dropped",
}
NOT_YOURS = (
    "A chosen log entry is not one of yours (or no longer exists). Nothing was downloaded: "
    "tick your entries on this page and download again."
)


class NotYours(Problems):
    """A chosen entry id that is not one of the member's own entries: the download is
    refused (400), whichever id it was."""

    def __init__(self) -> None:
        super().__init__([Problem(path="entry", message=NOT_YOURS)])


@dataclass(frozen=True)
class CpdMeeting:
    day: date
    minutes: int
    mode: str
    role: str
    cohort: str


@dataclass(frozen=True)
class CpdGoal:
    title: str
    status: str
    role: str
    cohort: str
    pair_id: uuid.UUID


@dataclass(frozen=True)
class CpdEntry:
    id: uuid.UUID
    written_on: date
    title: str
    body: str
    cohort: str
    shared: bool


@dataclass(frozen=True)
class CpdRecord:
    member_name: str
    association: str
    programme: str
    period_from: date | None
    period_to: date
    prepared_on: date
    meetings: list[CpdMeeting] = field(default_factory=list)
    goals: list[CpdGoal] = field(default_factory=list)
    #: All the member's own entries (the page's checklist), newest first.
    entries: list[CpdEntry] = field(default_factory=list)
    #: The ticked ones, in the order written (what the downloads include).
    chosen: list[CpdEntry] = field(default_factory=list)

    @property
    def total_minutes(self) -> int:
        return sum(m.minutes for m in self.meetings)

    @property
    def meeting_count(self) -> str:
        """ "1 meeting", "3 meetings"."""
        n = len(self.meetings)
        return f"{n} meeting" if n == 1 else f"{n} meetings"

    @property
    def period_words(self) -> str:
        start = _day(self.period_from) if self.period_from else "the start"
        return f"{start} to {_day(self.period_to)}"


def _day(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def hours(minutes: int) -> str:
    """Minutes as hours with two decimals ("1.50")."""
    return f"{minutes / 60:.2f}"


def _entry_title(e: CpdEntry) -> str:
    return e.title or f"Reflection of {_day(e.written_on)}"


async def cpd_record(
    session: AsyncSession,
    tenant: Tenant,
    member_id: uuid.UUID,
    *,
    chosen: Sequence[uuid.UUID] = (),
    since: date | None = None,
    until: date | None = None,
    now: datetime | None = None,
) -> CpdRecord:
    """The member's record in this tenant; NotYours when a chosen id is not one of the
    member's own entries. Every query names the member in its WHERE clause."""
    zone = tenant_zone(tenant.jurisdiction)
    today = (now or datetime.now(UTC)).astimezone(zone).date()
    member = await get_in_tenant(session, Member, member_id, what="member")
    pairs = (
        await session.execute(
            select(Pair.id, Pair.mentor_id, Pair.matched_on, Cohort.name)
            .join(Cohort, Cohort.id == Pair.cohort_id)
            .where(or_(Pair.mentor_id == member.id, Pair.mentee_id == member.id))
            .order_by(Pair.matched_on, Pair.id)
        )
    ).all()
    role = {p[0]: ("Mentor" if p[1] == member.id else "Mentee") for p in pairs}
    cohort = {p[0]: p[3] for p in pairs}
    pair_ids = list(role)

    meetings: list[CpdMeeting] = []
    goals: list[CpdGoal] = []
    if pair_ids:
        for starts_at, minutes, mode, pair_id in (
            await session.execute(
                select(Meeting.starts_at, Meeting.held_minutes, Meeting.mode, Meeting.pair_id)
                .where(
                    Meeting.pair_id.in_(pair_ids),
                    Meeting.state == "held",
                    Meeting.held_minutes.is_not(None),
                )
                .order_by(Meeting.starts_at, Meeting.id)
            )
        ).all():
            day = starts_at.astimezone(zone).date()
            if (since and day < since) or (until and day > until):
                continue
            meetings.append(
                CpdMeeting(
                    day,
                    int(minutes or 0),
                    MODE_WORDS.get(mode, mode),
                    role[pair_id],
                    cohort[pair_id],
                )
            )
        goals = [
            CpdGoal(title, GOAL_WORDS.get(status, status), role[pair_id], cohort[pair_id], pair_id)
            for title, status, pair_id in (
                await session.execute(
                    select(Goal.title, Goal.status, Goal.pair_id)
                    .where(Goal.pair_id.in_(pair_ids))
                    .order_by(Goal.position, Goal.created_at)
                )
            ).all()
        ]
        # The pairs in the order they were matched, each pair's goals in its own order.
        rank = {pair_id: i for i, pair_id in enumerate(pair_ids)}
        goals.sort(key=lambda g: rank[g.pair_id])

    entries = [
        CpdEntry(r[0], r[1], r[2], r[3], cohort.get(r[4], ""), r[5] is not None)
        for r in (
            await session.execute(
                select(
                    LogEntry.id,
                    LogEntry.written_on,
                    LogEntry.title,
                    LogEntry.body,
                    LogEntry.pair_id,
                    LogEntry.shared_at,
                )
                .where(LogEntry.author_id == member.id)
                .order_by(LogEntry.written_on.desc(), LogEntry.created_at.desc())
            )
        ).all()
    ]
    own = {e.id: e for e in entries}
    wanted = list(dict.fromkeys(chosen))
    if any(key not in own for key in wanted):
        raise NotYours()
    picked = sorted(
        (
            own[k]
            for k in wanted
            if not ((since and own[k].written_on < since) or (until and own[k].written_on > until))
        ),
        key=lambda e: (e.written_on, e.title),
    )
    first = since or (min(p[2] for p in pairs) if pairs else None)
    return CpdRecord(
        member_name=member.display_name,
        association=tenant.name,
        programme=str((tenant.branding or {}).get("scheme_name") or ""),
        period_from=first,
        period_to=until or today,
        prepared_on=today,
        meetings=meetings,
        goals=goals,
        entries=entries,
        chosen=picked,
    )


def parse_ids(values: Sequence[str]) -> list[uuid.UUID]:
    """The ticked entry ids from the query; anything that is not an id is NotYours (the
    same answer as someone else's id)."""
    out = []
    for v in values:
        try:
            out.append(uuid.UUID(v.strip()))
        except ValueError:
            raise NotYours() from None
    return out


# --- CSV -----------------------------------------------------------------------------------

CSV_HEADER = ("kind", "date", "hours", "title", "detail")


def csv_rows(record: CpdRecord) -> list[tuple[str, str, str, str, str]]:
    """One row per item: each meeting, the total, each goal, each chosen entry."""
    rows: list[tuple[str, str, str, str, str]] = []
    for m in record.meetings:
        rows.append(
            (
                "meeting",
                m.day.isoformat(),
                hours(m.minutes),
                f"Mentoring meeting ({m.role.lower()})",
                f"{m.mode}, {m.minutes} minutes; {m.cohort}",
            )
        )
    rows.append(
        (
            "total",
            "",
            hours(record.total_minutes),
            "Total mentoring contact hours",
            f"{record.meeting_count} held, {record.period_words}",
        )
    )
    for g in record.goals:
        rows.append(("goal", "", "", g.title, f"{g.status}; {g.role.lower()}, {g.cohort}"))
    for e in record.chosen:
        rows.append(("reflection", e.written_on.isoformat(), "", _entry_title(e), e.body))
    return rows


def render_csv(record: CpdRecord) -> str:
    """The record as CSV text (a header row, then `csv_rows`), every cell defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for row in csv_rows(record):
        writer.writerow([csv_cell(v) for v in row])
    return buffer.getvalue()


# --- PDF -----------------------------------------------------------------------------------

INK = (31, 41, 55)
MUTED = (75, 85, 99)
RULE = (209, 213, 219)
BAND = (243, 244, 246)


@cache
def _covered() -> frozenset[int]:
    """The code points DejaVu Sans (regular and bold) has glyphs for."""
    found: set[int] = set()
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        with TTFont(FONTS / name, lazy=True) as font:
            found |= set(font.getBestCmap())
    return frozenset(found)


def missing_glyphs(texts: Sequence[str]) -> set[str]:
    """The printable characters of `texts` that DejaVu Sans cannot print."""
    covered = _covered()
    return {c for t in texts for c in t if c.isprintable() and ord(c) not in covered}


def _texts(record: CpdRecord) -> list[str]:
    return [
        record.member_name,
        record.association,
        record.programme,
        *(f"{m.cohort} {m.mode}" for m in record.meetings),
        *(f"{g.title} {g.cohort}" for g in record.goals),
        *(f"{e.title} {e.body} {e.cohort}" for e in record.chosen),
    ]


def _fallback() -> tuple[str, int] | None:
    return next(((p, i) for p, i in FALLBACK_FONTS if Path(p).is_file()), None)


class HouseDocument(FPDF):  # type: ignore[misc]
    """MentorHub's printed page, shared by the CPD record and the evaluation report
    (`reports.exports`): A4 portrait, 18 mm margins, DejaVu Sans regular and bold (with the
    fallback font where `texts` hold characters DejaVu lacks), ink-coloured text, and a
    muted footer `footer_words · page n of N`."""

    footer_words = ""

    def __init__(self, texts: Sequence[str] = ()) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(auto=True, margin=20)
        self.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        fallback = _fallback() if missing_glyphs(texts) else None
        if fallback is not None:
            self.add_font("Fallback", "", fallback[0], collection_font_number=fallback[1])
            self.set_fallback_fonts(["Fallback"], exact_match=False)
        self.set_text_color(*INK)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font("DejaVu", "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, f"{self.footer_words} · page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(*INK)

    def para(self, text: str, size: float = 10, color: tuple[int, int, int] = INK) -> None:
        """A paragraph at the left margin, in `color`, then ink again."""
        self.set_font("DejaVu", "", size)
        self.set_text_color(*color)
        self.multi_cell(0, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*INK)


class _Document(HouseDocument):
    def __init__(self, record: CpdRecord) -> None:
        super().__init__(_texts(record))
        self.record = record
        self.footer_words = f"CPD record of {record.member_name} · {record.association}"

    def heading(self, text: str, size: float = 13) -> None:
        """A section's heading, kept on one page with the start of what follows it."""
        if self.will_page_break(40):
            self.add_page()
        self.ln(4)
        self.set_font("DejaVu", "B", size)
        self.multi_cell(0, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(*RULE)
        self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.ln(3)
        self.set_font("DejaVu", "", 10)


def render_pdf(record: CpdRecord) -> bytes:
    """The record as a PDF document a professional body can file."""
    pdf = _Document(record)
    pdf.set_title(f"CPD record — {record.member_name}")
    pdf.set_author(record.member_name)
    pdf.set_subject(f"Mentoring with {record.association}")
    pdf.set_creator("MentorHub")
    pdf.set_lang("en")
    pdf.set_creation_date(datetime.combine(record.prepared_on, datetime.min.time(), tzinfo=UTC))
    pdf.add_page()

    pdf.set_font("DejaVu", "B", 18)
    pdf.multi_cell(
        0, 9, "Continuing professional development record", align="L", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.para("Mentoring: meetings held, contact hours, goals and reflections", 11, MUTED)
    pdf.ln(4)

    facts = [
        ("Name", record.member_name),
        ("Association", record.association),
        *([("Programme", record.programme)] if record.programme else []),
        ("Period", record.period_words),
        ("Prepared on", _day(record.prepared_on)),
        (
            "Contact hours",
            f"{hours(record.total_minutes)} hours in {record.meeting_count}",
        ),
    ]
    pdf.set_font("DejaVu", "", 10)
    bold = FontFace(emphasis="BOLD")
    with pdf.table(
        col_widths=(35, 139),
        first_row_as_headings=False,
        text_align="LEFT",
        borders_layout="HORIZONTAL_LINES",
        line_height=6,
        padding=1.5,
    ) as table:
        for label, value in facts:
            row = table.row()
            row.cell(label, style=bold)
            row.cell(value)

    pdf.heading("Mentoring meetings held")
    if record.meetings:
        heading = FontFace(emphasis="BOLD", fill_color=BAND)
        with pdf.table(
            col_widths=(40, 22, 28, 54, 30),
            headings_style=heading,
            borders_layout="HORIZONTAL_LINES",
            line_height=6,
            padding=1.5,
            text_align=("LEFT", "LEFT", "LEFT", "LEFT", "RIGHT"),
            repeat_headings=1,
        ) as table:
            table.row(("Date", "Role", "Mode", "Cohort", "Hours"))
            for m in record.meetings:
                table.row((_day(m.day), m.role, m.mode, m.cohort, hours(m.minutes)))
            total = table.row()
            total.cell("Total", style=bold, colspan=4)
            total.cell(hours(record.total_minutes), style=bold)
        pdf.para(
            "Meetings as recorded held in the mentoring space, with their actual length.",
            8.5,
            MUTED,
        )
    else:
        pdf.para("No meetings were recorded as held in this period.")

    pdf.heading("Development goals")
    if record.goals:
        heading = FontFace(emphasis="BOLD", fill_color=BAND)
        with pdf.table(
            col_widths=(100, 34, 40),
            headings_style=heading,
            text_align="LEFT",
            borders_layout="HORIZONTAL_LINES",
            line_height=6,
            padding=1.5,
            repeat_headings=1,
        ) as table:
            table.row(("Goal", "Status", "As"))
            for g in record.goals:
                table.row((g.title, g.status, f"{g.role}, {g.cohort}"))
    else:
        pdf.para("No development goals were set.")

    pdf.heading("Reflections")
    if record.chosen:
        for e in record.chosen:
            if pdf.will_page_break(20):
                pdf.add_page()
            pdf.set_font("DejaVu", "B", 11)
            pdf.multi_cell(0, 6, _entry_title(e), align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.para(f"Written on {_day(e.written_on)} · {e.cohort}", 8.5, MUTED)
            pdf.ln(1)
            pdf.para(e.body)
            pdf.ln(4)
    else:
        pdf.para("No reflections were chosen for this record.")

    pdf.heading("Declaration")
    pdf.para(
        "I confirm that this is an accurate record of my mentoring activity. The meetings "
        f"are as recorded in {record.association}'s mentoring programme on MentorHub."
    )
    pdf.ln(10)
    pdf.set_draw_color(*MUTED)
    y = pdf.get_y()
    pdf.line(pdf.l_margin, y, pdf.l_margin + 90, y)
    pdf.line(pdf.l_margin + 110, y, pdf.w - pdf.r_margin, y)
    pdf.ln(1)
    pdf.set_font("DejaVu", "", 8.5)
    pdf.set_text_color(*MUTED)
    pdf.cell(110, 5, "Signed")
    pdf.cell(0, 5, "Date", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)

    out: Any = pdf.output()
    return bytes(out)
