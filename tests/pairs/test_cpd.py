"""A member's CPD record through the real app over HTTP (issue 15): the page, the CSV's rows
and the PDF's text (read back with pypdf) hold the member's held meetings across all their
pairs with the total hours, the pairs' goals, and only the log entries they tick of their
own; someone else's entry id (or a malformed one) refuses the download with a clear 400;
a bad period is shown at its field; cells a spreadsheet would run are defused."""

from __future__ import annotations

import csv
import html
import io
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import update

from mentorhub.app import create_app
from mentorhub.db import Database
from mentorhub.identity.models import Member
from mentorhub.pairs.models import Pair
from mentorhub.pairs.services import NewPair, create_pairs, logs
from mentorhub.pairs.space_models import Goal, Meeting
from mentorhub.settings import Settings
from tests.applications.conftest import add_member
from tests.applications.test_coordinator_pages import sign_in_as
from tests.identity.conftest import settings  # noqa: F401  (fixture)
from tests.pairs.space_helpers import PairWorld, pair_world
from tests.support import serving

BASE = "https://localhost"
NAME = "Maya Žofie Ελένη Мая"


@pytest.fixture
async def client(db: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    async with serving(create_app(settings, db=db), base_url=BASE) as c:
        yield c


def text(page: httpx.Response) -> str:
    return html.unescape(re.sub(r">\s+<", "><", re.sub(r"\s+", " ", page.text)))


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", " ", " ".join(p.extract_text() or "" for p in reader.pages))


@dataclass(frozen=True)
class Cpd:
    pw: PairWorld
    #: A pair in which the mentor of `pw.pair` is the mentee.
    second: Pair
    chosen: uuid.UUID
    unchosen: uuid.UUID
    formula: uuid.UUID
    mentees: uuid.UUID

    def url(self, path: str) -> str:
        return f"/t/{self.pw.world.tenant.slug}{path}"


def _meeting(
    pw: PairWorld, pair_id: uuid.UUID, by: uuid.UUID, at: datetime, **kw: object
) -> Meeting:
    values: dict[str, object] = {
        "tenant_id": pw.id,
        "id": uuid.uuid4(),
        "pair_id": pair_id,
        "starts_at": at,
        "minutes": 60,
        "mode": "video",
        "state": "held",
        "proposed_by": by,
        **kw,
    }
    return Meeting(**values)


def _goal(
    pw: PairWorld, pair_id: uuid.UUID, by: uuid.UUID, title: str, status: str, position: int
) -> Goal:
    return Goal(
        tenant_id=pw.id,
        id=uuid.uuid4(),
        pair_id=pair_id,
        title=title,
        status=status,
        position=position,
        created_by=by,
    )


async def _entry(
    db: Database,
    pw: PairWorld,
    author: uuid.UUID,
    pair_id: uuid.UUID,
    title: str,
    body: str,
    written_on: date,
) -> uuid.UUID:
    """A log entry written through the one writer; its id."""
    entry = await logs.write_entry(
        db, pw.id, author, pair_id, title=title, body=body, written_on=written_on
    )
    return entry.id


async def cpd_world(db: Database) -> Cpd:
    """The Museums Association: the mentor (a Unicode name) mentors Theo in one pair and is
    mentored in another; meetings held, scheduled and cancelled in both, and in the other
    pair; goals; log entries of the mentor (three) and of the mentee (one)."""
    pw = await pair_world(db, "museums-association")
    senior = await add_member(db, pw.world.tenant, "Sam Senior", roles=("mentor",))
    async with db.tenant(pw.id) as session:
        [second] = await create_pairs(
            session,
            [NewPair(pw.world.cohort.id, senior.id, pw.mentor.id, "coordinator")],
            actor_id=pw.world.coordinator.id,
        )
    async with db.tenant(pw.id) as session:
        await session.execute(
            update(Pair)
            .where(Pair.id.in_((pw.pair.id, pw.other_pair.id, second.id)))
            .values(matched_on=date(2026, 9, 1))
        )
        await session.execute(
            update(Member).where(Member.id == pw.mentor.id).values(display_name=NAME)
        )
        m, p, s = pw.mentor.id, pw.pair.id, second.id
        session.add_all(
            [
                # Europe/London: 23:30 UTC on 4 October is 00:30 on 5 October.
                _meeting(pw, p, m, datetime(2026, 10, 4, 23, 30, tzinfo=UTC), held_minutes=90),
                _meeting(
                    pw, p, m, datetime(2026, 11, 9, 10, tzinfo=UTC), held_minutes=75, mode="phone"
                ),
                _meeting(
                    pw,
                    s,
                    senior.id,
                    datetime(2026, 11, 20, 15, tzinfo=UTC),
                    held_minutes=60,
                    mode="in_person",
                    place="The museum café",
                ),
                _meeting(pw, p, m, datetime(2026, 11, 25, 9, tzinfo=UTC), state="scheduled"),
                _meeting(pw, p, m, datetime(2026, 11, 26, 9, tzinfo=UTC), state="cancelled"),
                _meeting(
                    pw,
                    pw.other_pair.id,
                    pw.other_mentor.id,
                    datetime(2026, 11, 10, 9, tzinfo=UTC),
                    held_minutes=45,
                ),
            ]
        )
        session.add_all(
            [
                _goal(pw, p, m, "Lead a gallery redisplay", "in_progress", 0),
                _goal(pw, p, m, '=HYPERLINK("x")', "achieved", 1),
                _goal(pw, s, senior.id, "Apply for a curator post", "not_started", 0),
                _goal(pw, pw.other_pair.id, pw.other_mentor.id, "OTHER PAIR GOAL", "achieved", 0),
            ]
        )
    chosen = await _entry(
        db, pw, m, p, "Listening more", "CHOSEN reflection, with Ünïcode.", date(2026, 10, 6)
    )
    unchosen = await _entry(
        db, pw, m, s, "Not for the record", "UNCHOSEN words", date(2026, 11, 21)
    )
    formula = await _entry(db, pw, m, p, "+cmd|' /C calc'!A0", "-2+3 @SUM(A1)", date(2026, 11, 10))
    mentees = await _entry(
        db, pw, pw.mentee.id, p, "Theo's own", "MENTEE words", date(2026, 11, 10)
    )
    return Cpd(pw, second, chosen, unchosen, formula, mentees)


async def test_the_page_lists_the_record_and_a_checklist_of_ones_own_entries(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    w = await cpd_world(db)
    await sign_in_as(client, settings, w.pw.world, w.pw.mentor)
    page = await client.get(w.url("/cpd"))
    assert page.status_code == 200
    words = text(page)
    assert "My CPD record" in words
    assert "3 meetings, 3.75 hours" in words  # 90 + 75 + 60 minutes, both pairs
    for day in ("5 October 2026", "9 November 2026", "20 November 2026"):
        assert day in words
    assert "25 November 2026" not in words and "26 November 2026" not in words
    assert "10 November 2026" not in words.split("Goals")[0]  # the other pair's meeting
    assert "Lead a gallery redisplay" in words and "In progress" in words
    assert "Apply for a curator post" in words and "OTHER PAIR GOAL" not in words
    assert "Listening more" in words and "Not for the record" in words
    assert "Theo's own" not in words and "MENTEE" not in page.text
    assert " checked" not in page.text  # none ticked by default
    # The other person of the pair sees their own record, none of the mentor's entries.
    await sign_in_as(client, settings, w.pw.world, w.pw.mentee)
    words = text(await client.get(w.url("/cpd")))
    assert "Theo's own" in words and "Listening more" not in words
    assert "2 meetings, 2.75 hours" in words
    # Signing in is needed.
    client.cookies.clear()
    answer = await client.get(w.url("/cpd.csv"))
    assert answer.status_code == 303 and answer.headers["location"].endswith("/login")


async def test_the_csv_has_a_row_per_item_and_only_the_chosen_entries(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    w = await cpd_world(db)
    await sign_in_as(client, settings, w.pw.world, w.pw.mentor)
    answer = await client.get(
        w.url("/cpd.csv"), params=[("entry", str(w.chosen)), ("entry", str(w.formula))]
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"].startswith("attachment; filename=")
    assert answer.headers["cache-control"] == "no-store"
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["kind", "date", "hours", "title", "detail"]
    by_kind: dict[str, list[list[str]]] = {}
    for row in rows[1:]:
        assert len(row) == 5
        by_kind.setdefault(row[0], []).append(row)
    assert [(r[1], r[2]) for r in by_kind["meeting"]] == [
        ("2026-10-05", "1.50"),
        ("2026-11-09", "1.25"),
        ("2026-11-20", "1.00"),
    ]
    assert [r[3] for r in by_kind["meeting"]] == [
        "Mentoring meeting (mentor)",
        "Mentoring meeting (mentor)",
        "Mentoring meeting (mentee)",
    ]
    assert by_kind["meeting"][1][4].startswith("Phone, 75 minutes")
    assert "café" not in answer.text  # never the place, the agenda or the other's name
    assert "Theo" not in answer.text and "Sam Senior" not in answer.text
    [total] = by_kind["total"]
    assert total[2] == "3.75" and total[4].startswith("3 meetings held")
    goals = {r[3]: r[4] for r in by_kind["goal"]}
    assert goals["Lead a gallery redisplay"].startswith("In progress")
    assert goals['\'=HYPERLINK("x")'].startswith("Achieved")  # defused
    assert "Apply for a curator post" in goals and "OTHER PAIR GOAL" not in goals
    reflections = by_kind["reflection"]
    assert [(r[1], r[3], r[4]) for r in reflections] == [
        ("2026-10-06", "Listening more", "CHOSEN reflection, with Ünïcode."),
        ("2026-11-10", "'+cmd|' /C calc'!A0", "'-2+3 @SUM(A1)"),
    ]
    assert "UNCHOSEN" not in answer.text and "MENTEE" not in answer.text

    # None chosen: no reflection rows.
    rows = list(csv.reader(io.StringIO((await client.get(w.url("/cpd.csv"))).text)))
    assert not [r for r in rows if r[0] == "reflection"]

    # A period: only what falls in it.
    answer = await client.get(
        w.url("/cpd.csv"),
        params=[("from", "2026-11-01"), ("to", "2026-11-30"), ("entry", str(w.chosen))],
    )
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert [r[1] for r in rows if r[0] == "meeting"] == ["2026-11-09", "2026-11-20"]
    assert not [r for r in rows if r[0] == "reflection"]  # written 6 October
    assert [r[2] for r in rows if r[0] == "total"] == ["2.25"]


async def test_the_pdf_holds_the_record_in_the_members_name(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    w = await cpd_world(db)
    await sign_in_as(client, settings, w.pw.world, w.pw.mentor)
    answer = await client.get(w.url("/cpd.pdf"), params={"entry": str(w.chosen)})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"].startswith("attachment; filename=")
    assert answer.headers["content-disposition"].endswith('.pdf"')
    assert answer.headers["cache-control"] == "no-store"
    assert answer.content.startswith(b"%PDF")
    words = pdf_text(answer.content)
    assert "Continuing professional development record" in words
    assert NAME in words  # Latin with diacritics, Greek and Cyrillic in the embedded font
    assert w.pw.world.tenant.name in words
    assert "1 September 2026 to" in words  # the period: from the first match
    for line in ("5 October 2026", "9 November 2026", "20 November 2026", "Total 3.75"):
        assert line in words, line
    assert "1.50" in words and "1.25" in words and "Video call" in words and "Phone" in words
    assert "Lead a gallery redisplay In progress" in words
    assert "Apply for a curator post Not started" in words and "OTHER PAIR GOAL" not in words
    assert "Listening more" in words and "CHOSEN reflection, with Ünïcode." in words
    assert "UNCHOSEN" not in words and "Not for the record" not in words
    assert "MENTEE" not in words and "Theo" not in words and "café" not in words
    reader = PdfReader(io.BytesIO(answer.content))
    assert reader.metadata is not None and NAME in str(reader.metadata.title)


async def test_an_entry_not_ones_own_refuses_the_download(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    w = await cpd_world(db)
    await sign_in_as(client, settings, w.pw.world, w.pw.mentor)
    for bad in (str(w.mentees), str(uuid.uuid4()), "not-an-id"):
        for path in ("/cpd.pdf", "/cpd.csv", "/cpd"):
            answer = await client.get(
                w.url(path), params=[("entry", str(w.chosen)), ("entry", bad)]
            )
            assert answer.status_code == 400, (path, bad)
            assert answer.headers["content-type"].startswith("text/html")
            words = text(answer)
            assert "A chosen log entry is not one of yours" in words
            assert 'href="#cpd-entries"' in answer.text
            assert "MENTEE" not in answer.text and "Theo's own" not in words
    # The mentee's own id is theirs: accepted for them.
    await sign_in_as(client, settings, w.pw.world, w.pw.mentee)
    answer = await client.get(w.url("/cpd.csv"), params={"entry": str(w.mentees)})
    assert answer.status_code == 200 and "MENTEE words" in answer.text


async def test_a_bad_period_is_shown_at_its_field(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    w = await cpd_world(db)
    await sign_in_as(client, settings, w.pw.world, w.pw.mentor)
    cases = (
        ({"from": "yesterday"}, "from", "From must be a date like"),
        ({"to": "2026-13-01"}, "to", "To must be a date like"),
        ({"from": "2026-12-01", "to": "2026-11-01"}, "to", "To must be on or after From"),
        ({"from": "x" * 11}, "from", "From must be 10 characters or fewer"),
    )
    for params, where, message in cases:
        for path in ("/cpd.pdf", "/cpd.csv", "/cpd"):
            answer = await client.get(w.url(path), params=params)
            assert answer.status_code == 400, (path, params)
            assert message in text(answer), (path, params)
            assert f'href="#{where}"' in answer.text and f'id="{where}-error"' in answer.text
