"""The coordinator's cockpit through the real app over HTTP (httpx on the ASGI app), against a
Museums Association cohort whose numbers are known by hand:

* pair A (Maya Mentor, Theo Mentee): matched 100 days ago, no meeting held — three monthly
  meetings expected by today, the first overdue (behind); checkpoints 1 open, 1 overdue,
  1 missed (plus one sent in, a coordinator call and a cancelled one, none counted); one
  open task; quiet (stage 1);
* pair B (Olga Other, Omar Other): three 90-minute meetings 30, 60 and 90 days in — three
  expected, 4.5 contact hours against 4.5 due by now (on track); the mentee's membership
  lapsed;
* pair C: ended (completed) and quiet: no flag (flags are for live pairs); its mentee's
  name is a spreadsheet formula (the CSV);
* pair D: mentor "Zed Zebra" (the search), mentee "+1 Plus" (the CSV);
* pair E: an erased mentee ("Erased member"), extended.

Counts, flags, filters, search, sort, paging, the CSV (neutralised cells), scope (scope rows,
404 outside), isolation (another tenant's cohort: 404), access (member, tenant admin only,
anonymous, platform admin), bad queries (400, the whole cohort), and the person page's
confidentiality (answers, logs, chat, meeting records never appear)."""

from __future__ import annotations

import csv
import html
import io
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import insert, select, text, update

from mentorhub.admin.models import CoordinatorScope
from mentorhub.app import create_app
from mentorhub.applications.models import Application, Cohort
from mentorhub.checkpoints.models import CheckpointItem
from mentorhub.db import Database
from mentorhub.db.access import NotFound
from mentorhub.identity.models import Member
from mentorhub.identity.sessions import PLATFORM_COOKIE, Identity, SessionStore
from mentorhub.matching.models import MatchRequest
from mentorhub.pairs.models import Pair
from mentorhub.pairs.services import NewPair, create_pairs
from mentorhub.pairs.space_models import ChatMessage, LogEntry, Meeting
from mentorhub.reports import cockpit as q
from mentorhub.settings import Settings
from tests.applications.conftest import World, add_member, make_world
from tests.applications.test_coordinator_pages import sign_in_as
from tests.checkpoints.coordinator_world import CoordWorld, add_item, add_task
from tests.identity.conftest import settings  # noqa: F401  (fixture)
from tests.pairs.space_helpers import PairWorld, pair_world
from tests.support import serving

BASE = "https://localhost"
SECRETS = (
    "ITEM-ANSWER-SECRET",
    "APPLICATION-ANSWER-SECRET",
    "LOG-ENTRY-SECRET",
    "CHAT-MESSAGE-SECRET",
    "MEETING-RECORD-SECRET",
)
FORMULA_MENTEE_C = "=HYPERLINK(evil)"
FORMULA_MENTEE = "+1 Plus"


@pytest.fixture
async def client(db: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    async with serving(create_app(settings, db=db), base_url=BASE) as c:
        yield c


def words(page: httpx.Response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page.text)))


def local_today(zone: str = "Europe/London") -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(zone)).date()


@dataclass(frozen=True)
class CockpitWorld:
    world: World
    pw: PairWorld
    cw: CoordWorld
    matched_on: date
    a: uuid.UUID
    b: uuid.UUID
    c: uuid.UUID
    d: uuid.UUID
    e: uuid.UUID
    zebra: Member
    erased: Member
    other_cohort: uuid.UUID
    other_pair: uuid.UUID

    @property
    def slug(self) -> str:
        return self.world.tenant.slug

    def url(self, path: str) -> str:
        return f"/t/{self.slug}{path}"

    @property
    def home(self) -> str:
        return self.url(f"/coordinator/cockpit/{self.world.cohort.id}")


async def _pair(
    db: Database, world: World, mentor: Member, mentee: Member, matched_on: date, cohort: uuid.UUID
) -> uuid.UUID:
    async with db.tenant(world.id) as session:
        (made,) = await create_pairs(
            session,
            [NewPair(cohort, mentor.id, mentee.id, "coordinator")],
            actor_id=world.coordinator.id,
        )
        await session.execute(update(Pair).where(Pair.id == made.id).values(matched_on=matched_on))
    return made.id


async def _held(db: Database, world: World, pair_id: uuid.UUID, by: Member, day: date) -> None:
    async with db.tenant(world.id) as session:
        session.add(
            Meeting(
                tenant_id=world.id,
                pair_id=pair_id,
                starts_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
                minutes=60,
                held_minutes=90,
                mode="video",
                state="held",
                proposed_by=by.id,
                record="MEETING-RECORD-SECRET",
            )
        )


async def cockpit_world(db: Database, slug: str = "museums-association") -> CockpitWorld:
    """The cohort of the module's docstring (its dates relative to the tenant's today)."""
    world = await make_world(db, slug)
    zone = "America/Edmonton" if slug == "alberta-museums" else "Europe/London"
    today = local_today(zone)
    m = today - timedelta(days=100)
    async with db.tenant(world.id) as session:
        await session.execute(
            update(Cohort)
            .where(Cohort.id == world.cohort.id)
            .values(starts_on=m, ends_on=m + timedelta(days=365))
        )
    pw = await pair_world(db, slug, matched_on=m, world=world)
    cw = CoordWorld(pw, world.scheme.version)
    cohort = world.cohort.id
    a, b = pw.pair.id, pw.other_pair.id
    # A: items in every state; a task; quiet.
    await add_item(db, cw, member=pw.mentor, state="open", due_on=today - timedelta(days=4))
    await add_item(db, cw, member=pw.mentee, state="open", due_on=today + timedelta(days=4))
    await add_item(db, cw, member=pw.mentee, state="missed", due_on=today - timedelta(days=30))
    sent = await add_item(
        db,
        cw,
        member=pw.mentee,
        answers={"comments": "ITEM-ANSWER-SECRET"},
        readers=("coordinator",),
    )
    await add_item(
        db, cw, audience="coordinator", state="open", due_on=today - timedelta(days=9)
    )  # a call: a task, not a checkpoint count
    await add_item(db, cw, member=pw.mentor, state="cancelled")
    await add_task(db, cw, item=sent, pair_id=a)
    # B: three meetings, 90 minutes each; the mentee's membership lapsed.
    for days in (30, 60, 90):
        await _held(db, world, b, pw.other_mentor, m + timedelta(days=days))
    # C: completed, quiet (no flag once ended).
    c_mentor = await add_member(db, world.tenant, "Carl Closed", roles=("mentor",))
    c_mentee = await add_member(db, world.tenant, FORMULA_MENTEE_C, roles=("mentee",))
    c = await _pair(db, world, c_mentor, c_mentee, m, cohort)
    # D: the search's and the CSV's names.
    zebra = await add_member(db, world.tenant, "Zed Zebra", roles=("mentor",))
    formula = await add_member(db, world.tenant, FORMULA_MENTEE, roles=("mentee",))
    d = await _pair(db, world, zebra, formula, m + timedelta(days=15), cohort)
    # E: an erased mentee, extended.
    e_mentor = await add_member(db, world.tenant, "Eve Extended", roles=("mentor",))
    erased = await add_member(db, world.tenant, "Ernestine Erased", roles=("mentee",))
    e = await _pair(db, world, e_mentor, erased, m + timedelta(days=20), cohort)
    # Another cohort of the same tenant, with one pair.
    async with db.tenant(world.id) as session:
        other = Cohort(
            tenant_id=world.id,
            id=uuid.uuid4(),
            name="2025 intake",
            starts_on=m - timedelta(days=400),
            ends_on=m - timedelta(days=35),
            scheme_version=world.scheme.version,
        )
        session.add(other)
    o_mentor = await add_member(db, world.tenant, "Otto Older", roles=("mentor",))
    o_mentee = await add_member(db, world.tenant, "Olive Older", roles=("mentee",))
    other_pair = await _pair(db, world, o_mentor, o_mentee, other.starts_on, other.id)
    now = datetime.now(UTC)
    async with db.tenant(world.id) as session:
        await session.execute(update(Pair).where(Pair.id.in_([a, c])).values(quiet_stage=1))
        await session.execute(
            update(Pair)
            .where(Pair.id == c)
            .values(state="ended", end_kind="completed", ended_at=now - timedelta(days=5))
        )
        await session.execute(
            update(Pair)
            .where(Pair.id == e)
            .values(state="extended", extended_until=m + timedelta(days=300))
        )
        await session.execute(
            update(Member).where(Member.id == pw.other_mentee.id).values(membership_status="lapsed")
        )
        await session.execute(
            update(Member)
            .where(Member.id == erased.id)
            .values(erased_at=now, display_name="x", email=f"erased-{erased.id}@invalid")
        )
        session.add(
            LogEntry(
                tenant_id=world.id,
                pair_id=a,
                author_id=pw.mentee.id,
                written_on=today,
                body="LOG-ENTRY-SECRET",
                shared_at=now,
            )
        )
        session.add(
            ChatMessage(
                tenant_id=world.id, pair_id=a, author_id=pw.mentee.id, body="CHAT-MESSAGE-SECRET"
            )
        )
        await session.execute(
            insert(Application).values(
                tenant_id=world.id,
                id=uuid.uuid4(),
                cohort_id=cohort,
                member_id=pw.mentee.id,
                role="mentee",
                state="accepted",
                answers={"motivation": "APPLICATION-ANSWER-SECRET"},
                submitted_at=now - timedelta(days=120),
            )
        )
    return CockpitWorld(world, pw, cw, m, a, b, c, d, e, zebra, erased, other.id, other_pair)


async def as_(client: httpx.AsyncClient, settings: Settings, cw: CockpitWorld, who: Member) -> None:  # noqa: F811
    client.cookies.clear()
    await sign_in_as(client, settings, cw.world, who)


def table_rows(page: httpx.Response) -> list[dict[str, str]]:
    """The pairs table's rows, each as {column: its words}."""
    if "<tbody>" not in page.text:
        return []
    body = page.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        {
            label: re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", cell))).strip()
            for label, cell in re.findall(r'<td data-label="([^"]+)"[^>]*>(.*?)</td>', row, re.S)
        }
        for row in body.split("</tr>")
        if "<td" in row
    ]


def mentor_of(row: dict[str, str]) -> str:
    return row["Mentor"].removesuffix(" (mentor)")


def summary_value(page: httpx.Response, label: str) -> str:
    found = re.search(rf"<dt>{re.escape(label)}</dt><dd>([^<]*)</dd>", page.text)
    assert found is not None, label
    return found.group(1)


async def test_the_cohort_page_counts_what_is_known(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    cw = await cockpit_world(db)
    await as_(client, settings, cw, cw.world.coordinator)
    page = await client.get(cw.home)
    assert page.status_code == 200, page.text
    seen = words(page)
    assert "Pairs (5)" in seen
    for label, value in (
        ("Active", "3"),
        ("Extended", "1"),
        ("Completed", "1"),
        ("Ended early", "0"),
        ("Removed", "0"),
        ("Held", "3"),
        ("Contact hours", "4.5"),
        ("Pairs behind the cadence", "3"),  # A, D and E have held nothing; B is on track
        ("Open", "1"),
        ("Overdue", "1"),
        ("Missed", "1"),
        ("Quiet pairs", "1"),
        ("Membership lapsed", "1"),
        ("Your open tasks", "1"),
    ):
        assert summary_value(page, label) == value, (label, summary_value(page, label))
    assert "Requests waiting" not in seen  # the Museums Association matches by coordinator
    rows = {mentor_of(r): r for r in table_rows(page)}
    a = rows["Maya Mentor"]
    assert a["Mentee"] == "Theo Mentee (mentee)" and a["State"] == "Active"
    assert a["Meetings held / expected"] == "0 / 3"
    assert a["Contact hours / due"] == "0 / 4.5"
    assert a["Checkpoints open / overdue / missed"] == "1 / 1 / 1"
    assert a["Flags"] == "Checkpoints overdue Quiet Behind the cadence Open tasks: 1"
    b = rows["Olga Other"]
    assert b["Meetings held / expected"] == "3 / 3" and b["Contact hours / due"] == "4.5 / 4.5"
    assert b["Flags"] == "Membership lapsed"
    c = rows["Carl Closed"]
    assert c["State"] == "Completed" and c["Flags"] == "None"  # quiet, but ended
    d = rows["Zed Zebra"]
    assert d["Meetings held / expected"] == "0 / 2" and d["Flags"] == "Behind the cadence"
    e = rows["Eve Extended"]
    assert e["Mentee"] == "Erased member" and e["State"] == "Extended"
    # Links: the people, the pair and its checkpoints; never the content.
    assert f'href="/t/{cw.slug}/coordinator/people/{cw.pw.mentor.id}"' in page.text
    assert f'href="/t/{cw.slug}/pairs/{cw.a}"' in page.text
    assert f'href="/t/{cw.slug}/pairs/{cw.a}/checkpoints"' in page.text
    assert f"/coordinator/people/{cw.erased.id}" not in page.text
    for secret in SECRETS:
        assert secret not in page.text
    # The other cohort's pair is not here.
    assert "Otto Older" not in page.text


async def test_filters_search_sort_and_paging(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    cw = await cockpit_world(db)
    await as_(client, settings, cw, cw.world.coordinator)

    async def mentors(query: str) -> list[str]:
        page = await client.get(f"{cw.home}?{query}")
        assert page.status_code == 200, (query, page.text)
        return [mentor_of(r) for r in table_rows(page)]

    everyone = ["Carl Closed", "Eve Extended", "Maya Mentor", "Olga Other", "Zed Zebra"]
    assert await mentors("") == everyone
    assert await mentors("order=desc") == everyone[::-1]
    assert await mentors("flag=overdue") == ["Maya Mentor"]
    assert await mentors("flag=quiet") == ["Maya Mentor"]
    assert await mentors("flag=lapsed") == ["Olga Other"]
    assert await mentors("flag=tasks") == ["Maya Mentor"]
    assert await mentors("flag=behind") == ["Eve Extended", "Maya Mentor", "Zed Zebra"]
    assert await mentors("state=live") == [
        "Eve Extended",
        "Maya Mentor",
        "Olga Other",
        "Zed Zebra",
    ]
    assert await mentors("state=extended") == ["Eve Extended"]
    assert await mentors("state=ended") == ["Carl Closed"]
    assert await mentors("state=completed") == ["Carl Closed"]
    assert await mentors("state=removed") == []
    assert await mentors("state=live&flag=behind&q=zeb") == ["Zed Zebra"]
    # Search: names and e-mail addresses, any case; every word must be found.
    assert await mentors("q=ZEBRA") == ["Zed Zebra"]
    assert await mentors(f"q={cw.zebra.email.split('@')[0].upper()}") == ["Zed Zebra"]
    assert await mentors("q=theo") == ["Maya Mentor"]
    assert await mentors("q=maya+omar") == []
    assert await mentors("q=ernestine") == []  # erased: never found by old words
    # Sorts: meetings held (B has three), matched on (D, then E, after the others), overdue.
    assert (await mentors("sort=meetings&order=desc"))[0] == "Olga Other"
    assert (await mentors("sort=matched&order=desc"))[:2] == ["Eve Extended", "Zed Zebra"]
    assert (await mentors("sort=overdue&order=desc"))[0] == "Maya Mentor"
    # The flag links carry the other filters and count the pairs with each flag.
    page = await client.get(f"{cw.home}?q=maya")
    assert "Checkpoints overdue 1" in words(page)
    assert (
        f'href="/t/{cw.slug}/coordinator/cockpit/{cw.world.cohort.id}?q=maya&amp;flag=quiet"'
        in page.text
    )
    # Paging: 50 a page, the page number clamped, the filters kept in the pager's links.
    bulk_ids = [uuid.uuid4() for _ in range(120)]
    people = [
        {
            "tenant_id": cw.world.id,
            "id": bulk_ids[n],
            "email": f"bulk{n}.{uuid.uuid4().hex[:6]}@example.org",
            "display_name": f"Bulk {n:03d}",
            "roles": ["mentor" if n % 2 else "mentee"],
            "membership_status": "active",
        }
        for n in range(120)
    ]
    async with db.tenant(cw.world.id) as session:
        await session.execute(insert(Member), people)
        await create_pairs(
            session,
            [
                NewPair(cw.world.cohort.id, bulk_ids[2 * n + 1], bulk_ids[2 * n], "coordinator")
                for n in range(60)
            ],
            actor_id=cw.world.coordinator.id,
        )
    first = await client.get(cw.home)
    assert "Showing 1–50 of 65 pairs" in words(first)
    assert len(table_rows(first)) == 50
    second = await client.get(f"{cw.home}?q=bulk&order=desc&page=2")
    assert "Showing 51–60 of 60 pairs matching “bulk”" in words(second)
    assert 'href="/t/' in second.text and "q=bulk&amp;order=desc&amp;page=1" in second.text
    beyond = await client.get(f"{cw.home}?page=99")
    assert beyond.status_code == 200 and "Showing 51–65 of 65 pairs" in words(beyond)


async def test_bad_queries_answer_400_with_the_whole_cohort(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    cw = await cockpit_world(db)
    await as_(client, settings, cw, cw.world.coordinator)
    for query, message in (
        ("state=lost", "Choose a state from the list"),
        ("flag=cheerful", "Choose a flag from the list"),
        ("sort=shoe+size", "Choose what to sort by from the list"),
        ("order=sideways", "Choose ascending or descending order"),
        ("page=two", "Page must be a whole number"),
        ("q=" + "x" * 400, "Search must be"),
    ):
        page = await client.get(f"{cw.home}?{query}")
        assert page.status_code == 400, (query, page.status_code)
        seen = words(page)
        assert "There is a problem" in seen and message in seen, (query, seen[:400])
        assert len(table_rows(page)) == 5  # the whole cohort
        csv_page = await client.get(f"{cw.home}/pairs.csv?{query}")
        assert csv_page.status_code == 400 and message in csv_page.text
        assert csv_page.headers["content-type"].startswith("text/plain")


async def test_the_csv_is_the_filtered_list_with_formulas_neutralised(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    cw = await cockpit_world(db)
    await as_(client, settings, cw, cw.world.coordinator)
    async with db.tenant(cw.world.id) as session:  # an e-mail address starting with @ and -
        await session.execute(
            update(Member).where(Member.id == cw.zebra.id).values(display_name="-Zed Zebra")
        )
        await session.execute(
            update(Member).where(Member.id == cw.pw.mentor.id).values(display_name="@Maya Mentor")
        )
    got = await client.get(f"{cw.home}/pairs.csv")
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("text/csv")
    assert "attachment" in got.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(got.text)))
    head, body = rows[0], rows[1:]
    assert head[:6] == ["Pair", "Mentor", "Mentor e-mail", "Mentee", "Mentee e-mail", "State"]
    assert len(body) == 5
    cells = [c for r in body for c in r]
    assert "'=HYPERLINK(evil)" in cells and "'+1 Plus" in cells
    assert "'-Zed Zebra" in cells and "'@Maya Mentor" in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    by_pair = {r[0]: dict(zip(head, r, strict=True)) for r in body}
    a = by_pair[str(cw.a)]
    assert a["Meetings held"] == "0" and a["Meetings expected by today"] == "3"
    assert (
        a["Checkpoints overdue"] == "1" and a["Quiet"] == "yes" and a["Behind the cadence"] == "yes"
    )
    b = by_pair[str(cw.b)]
    assert b["Contact hours"] == "4.5" and b["Contact hours due by now"] == "4.5"
    assert b["Membership lapsed"] == "yes" and b["Behind the cadence"] == "no"
    assert (
        by_pair[str(cw.e)]["Mentee"] == "Erased member"
        and by_pair[str(cw.e)]["Mentee e-mail"] == ""
    )
    for secret in SECRETS:
        assert secret not in got.text
    # Filtered and sorted like the page.
    filtered = await client.get(f"{cw.home}/pairs.csv?flag=behind&sort=matched&order=desc")
    ids = [r[0] for r in list(csv.reader(io.StringIO(filtered.text)))[1:]]
    assert ids == [str(cw.e), str(cw.d), str(cw.a)]


async def test_the_cohorts_page_and_scope(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    cw = await cockpit_world(db)
    coordinator = cw.world.coordinator
    await as_(client, settings, cw, coordinator)
    home = await client.get(cw.url("/coordinator/cockpit"))
    assert home.status_code == 200
    seen = words(home)
    # Newest first, each with its counts.
    assert seen.index("2027 intake") < seen.index("2025 intake")
    card = seen[seen.index("2027 intake") : seen.index("2025 intake")]
    assert "Active pairs 4" in card and "Checkpoints overdue 1" in card
    assert "Quiet pairs 1" in card and "Open tasks 1" in card
    assert f"/coordinator/cockpit/{cw.world.cohort.id}?flag=overdue" in home.text
    # A coordinator with scope rows sees those cohorts only; the others are not found.
    async with db.tenant(cw.world.id) as session:
        session.add(
            CoordinatorScope(
                tenant_id=cw.world.id, member_id=coordinator.id, cohort_id=cw.other_cohort
            )
        )
    home = await client.get(cw.url("/coordinator/cockpit"))
    assert "2025 intake" in home.text and "2027 intake" not in home.text
    assert (await client.get(cw.home)).status_code == 404
    assert (await client.get(f"{cw.home}/pairs.csv")).status_code == 404
    other = await client.get(cw.url(f"/coordinator/cockpit/{cw.other_cohort}"))
    assert other.status_code == 200 and "Otto Older" in other.text
    # People: only those with something in scope.
    assert (await client.get(cw.url(f"/coordinator/people/{cw.pw.mentee.id}"))).status_code == 404
    otto = await client.get(
        cw.url(f"/coordinator/people/{(await _mentor_of(db, cw, cw.other_pair))}")
    )
    assert otto.status_code == 200 and "Otto Older" in otto.text
    # A missing cohort: the same 404.
    assert (await client.get(cw.url(f"/coordinator/cockpit/{uuid.uuid4()}"))).status_code == 404


async def test_each_cohort_links_to_its_evaluation_report(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    """The cockpit's home (every cohort) and the cohort's page link to the cohort's
    evaluation report (route `report`), and the link leads to it; the pages stay the
    coordinator's (a member: 403, a tenant admin who is not a coordinator: 404)."""
    cw = await cockpit_world(db)
    mine = cw.url(f"/coordinator/reports/{cw.world.cohort.id}")
    other = cw.url(f"/coordinator/reports/{cw.other_cohort}")
    await as_(client, settings, cw, cw.world.coordinator)
    home = await client.get(cw.url("/coordinator/cockpit"))
    assert home.status_code == 200
    assert f'href="{mine}"' in home.text and f'href="{other}"' in home.text
    assert "Evaluation report for 2027 intake" in words(home)
    page = await client.get(cw.home)
    assert page.status_code == 200 and f'href="{mine}"' in page.text
    assert f'href="{other}"' not in page.text
    report = await client.get(mine)
    assert report.status_code == 200, report.text
    assert "2027 intake" in report.text
    for who, status in ((cw.pw.mentee, 403), (cw.world.admin, 404)):
        await as_(client, settings, cw, who)
        for path in ("/coordinator/cockpit", f"/coordinator/cockpit/{cw.world.cohort.id}"):
            got = await client.get(cw.url(path))
            assert got.status_code == status and f'href="{mine}"' not in got.text


async def _mentor_of(db: Database, cw: CockpitWorld, pair_id: uuid.UUID) -> uuid.UUID:
    async with db.tenant(cw.world.id) as session:
        return (
            await session.execute(select(Pair.mentor_id).where(Pair.id == pair_id))
        ).scalar_one()


async def test_access_and_isolation(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    cw = await cockpit_world(db)
    paths = [
        "/coordinator/cockpit",
        f"/coordinator/cockpit/{cw.world.cohort.id}",
        f"/coordinator/cockpit/{cw.world.cohort.id}/pairs.csv",
        f"/coordinator/people/{cw.pw.mentee.id}",
    ]

    async def probe(statuses: tuple[int, ...], who: str) -> None:
        for path in paths:
            page = await client.get(cw.url(path))
            assert page.status_code in statuses, (who, path, page.status_code)
            assert "Carl Closed" not in page.text and "Olga Other" not in page.text, (who, path)

    client.cookies.clear()
    await probe((302, 303, 401), "anonymous")
    await as_(client, settings, cw, cw.pw.mentee)
    await probe((403,), "a member")
    await as_(client, settings, cw, cw.world.admin)
    await probe((404,), "a tenant admin who is not a coordinator")
    # A platform admin: a platform session is no session on a tenant's pages.
    client.cookies.clear()
    redis = Redis.from_url(settings.redis_url or "")
    try:
        token = await SessionStore(redis, idle_seconds=600, absolute_seconds=600).create(
            Identity(email="ops@example.org", display_name="Ops", platform_admin=True)
        )
    finally:
        await redis.aclose()
    client.cookies.set(PLATFORM_COOKIE, token)
    await probe((302, 303, 401, 403, 404), "a platform admin")
    # Another tenant's coordinator, in their own tenant with this tenant's ids: not found.
    away = await make_world(db, "ahep")
    client.cookies.clear()
    await sign_in_as(client, settings, away, away.coordinator)
    for path in paths[1:]:
        page = await client.get(f"/t/{away.tenant.slug}{path}")
        assert page.status_code == 404, (path, page.status_code)
        assert "Theo Mentee" not in page.text
    own = await client.get(f"/t/{away.tenant.slug}/coordinator/cockpit")
    assert own.status_code == 200 and "2027 intake" in own.text  # their own cohort only
    assert str(cw.world.cohort.id) not in own.text
    # ... and their session on this tenant's address is no session here.
    for path in paths:
        assert (await client.get(cw.url(path))).status_code in (302, 303, 401, 403, 404)


async def test_the_person_page_shows_states_never_content(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    cw = await cockpit_world(db)
    await as_(client, settings, cw, cw.world.coordinator)
    page = await client.get(cw.url(f"/coordinator/people/{cw.pw.mentee.id}"))
    assert page.status_code == 200, page.text
    seen = words(page)
    assert "Theo Mentee" in seen and cw.pw.mentee.email in seen
    assert "Mentee" in seen and "Active" in seen  # role, membership
    # The pair (with the mentor's page and the cockpit), the application, the items' states.
    assert f"/coordinator/people/{cw.pw.mentor.id}" in page.text
    assert f"/coordinator/cockpit/{cw.world.cohort.id}" in page.text
    assert f"/t/{cw.slug}/pairs/{cw.a}" in page.text
    assert "Accepted" in seen and "/coordinator/applications/" in page.text
    assert "Mid-program survey" in seen and "Missed" in seen and "Waiting for review" in seen
    assert page.text.count("/coordinator/checkpoints/") == 1  # the one sent in
    assert "Open tasks" in seen and "Phone call from the programme manager" in seen
    # Never the content.
    for secret in SECRETS:
        assert secret not in page.text, secret
    # The mentor's own item is not the mentee's; the coordinator's call neither.
    async with db.tenant(cw.world.id) as session:
        items = (
            await session.execute(
                select(CheckpointItem.id, CheckpointItem.member_id, CheckpointItem.audience).where(
                    CheckpointItem.pair_id == cw.a
                )
            )
        ).all()
    for item_id, member_id, audience in items:
        if member_id == cw.pw.mentor.id or audience == "coordinator":
            assert str(item_id) not in page.text
    # An erased member.
    erased = await client.get(cw.url(f"/coordinator/people/{cw.erased.id}"))
    assert erased.status_code == 200
    assert "Erased member" in words(erased) and "erased-" not in erased.text
    assert "Ernestine" not in erased.text
    # Nobody of this tenant, or a member with nothing in any cohort: not found.
    assert (await client.get(cw.url(f"/coordinator/people/{uuid.uuid4()}"))).status_code == 404
    loner = await add_member(db, cw.world.tenant, "Lonely Member", roles=("mentee",))
    assert (await client.get(cw.url(f"/coordinator/people/{loner.id}"))).status_code == 404


async def test_ahep_counts_the_cohorts_requests_waiting(
    db: Database,
    client: httpx.AsyncClient,
    settings: Settings,  # noqa: F811
) -> None:
    """Suggest and accept: the cohort's open requests are waiting; a closed one, or one of
    another cohort, is not."""
    cw = await cockpit_world(db, "ahep")
    now = datetime.now(UTC)

    async def request(cohort: uuid.UUID, state: str) -> None:
        mentee = await add_member(db, cw.world.tenant, f"Asking {state}", roles=("mentee",))
        async with db.tenant(cw.world.id) as session:
            application = uuid.uuid4()
            await session.execute(
                insert(Application).values(
                    tenant_id=cw.world.id,
                    id=application,
                    cohort_id=cohort,
                    member_id=mentee.id,
                    role="mentee",
                    state="accepted",
                    answers={},
                    submitted_at=now,
                )
            )
            await session.execute(
                insert(MatchRequest).values(
                    tenant_id=cw.world.id,
                    id=uuid.uuid4(),
                    cohort_id=cohort,
                    mentee_id=mentee.id,
                    mentee_application_id=application,
                    choices=[cw.zebra.id],
                    choice_index=0,
                    mentor_id=cw.zebra.id,
                    reasons="REQUEST-REASONS-SECRET",
                    state=state,
                    asked_at=now - timedelta(days=1),
                    expires_at=now + timedelta(days=6),
                    closed_at=None if state == "open" else now,
                )
            )

    await request(cw.world.cohort.id, "open")
    await request(cw.world.cohort.id, "open")
    await request(cw.world.cohort.id, "declined")
    await request(cw.other_cohort, "open")
    await as_(client, settings, cw, cw.world.coordinator)
    page = await client.get(cw.home)
    assert page.status_code == 200
    assert summary_value(page, "Requests waiting") == "2"
    assert summary_value(page, "Expected by today") == "—"  # the pair agrees its cadence
    assert "REQUEST-REASONS-SECRET" not in page.text


async def test_the_query_function_as_the_benchmark_calls_it(db: Database) -> None:
    """`cockpit(session, cohort_id, query, scope=, today=)`: the tenant's jurisdiction read
    from the session's tenant when not given; planned for its values; a cohort out of scope
    is not found."""
    cw = await cockpit_world(db)
    async with db.tenant(cw.world.id, read_only=True) as session:
        view = await q.cockpit(
            session,
            cw.world.cohort.id,
            q.CockpitQuery(flag="quiet"),
            scope=None,
            today=local_today(),
        )
        assert [r.mentor.name for r in view.page.rows] == ["Maya Mentor"]
        assert view.summary.pairs == 5 and view.cohort.name == "2027 intake"
        # Planned for its own values each time (never a prepared statement's generic plan).
        mode = await session.execute(text("SHOW plan_cache_mode"))
        assert mode.scalar_one() == "force_custom_plan"
        with pytest.raises(NotFound):
            await q.cockpit(
                session,
                cw.world.cohort.id,
                q.CockpitQuery(),
                scope=frozenset({cw.other_cohort}),
                today=local_today(),
            )
