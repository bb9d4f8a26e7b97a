"""Calendar files (pairs.ics), parsed back with icalendar and checked field by field: the
invitation's METHOD, a UID that stays the same across an update and the cancellation,
SEQUENCE, DTSTART/DTEND in the tenant's zone with its VTIMEZONE, the people, STATUS; and
the member's feed (no METHOD, its name, only scheduled and held meetings)."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from mentorhub.applications.queue import tenant_zone
from mentorhub.pairs.ics import (
    CalendarMeeting,
    Person,
    escape_text,
    feed,
    feed_with_icalendar,
    fold,
    invitation,
    uid,
)

MAYA = Person("Maya Mentor", "maya@example.org")
THEO = Person("Théo, Mentee", "theo@example.org")
STAMP = datetime(2027, 1, 5, 9, 30, tzinfo=UTC)


def meeting(**kw: object) -> CalendarMeeting:
    base = CalendarMeeting(
        id=uuid.UUID("6f2c4a1e-0000-4000-8000-000000000001"),
        starts_at=datetime(2027, 3, 2, 14, 0, tzinfo=UTC),
        minutes=90,
        mode="in_person",
        place="The museum café, 1 High Street",
        link="",
        sequence=0,
        state="scheduled",
        organizer=MAYA,
        attendees=(MAYA, THEO),
        summary="Mentoring: Maya Mentor and Théo, Mentee",
        page_url="https://ma.example.org/pairs/p/meetings",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def parse(text: str) -> tuple[Calendar, object]:
    cal = Calendar.from_ical(text)
    [event] = cal.walk("VEVENT")
    return cal, event


def test_request_field_by_field_in_the_tenants_zone() -> None:
    zone = tenant_zone("CA-AB")
    assert zone.key == "America/Edmonton"
    text = invitation(meeting(), method="REQUEST", zone=zone, tenant_slug="ama", stamp=STAMP)
    assert "\r\n" in text  # RFC 5545 line endings
    cal, ev = parse(text)
    assert cal["METHOD"] == "REQUEST" and cal["VERSION"] == "2.0" and cal["PRODID"]
    assert ev["UID"] == "6f2c4a1e-0000-4000-8000-000000000001@ama.mentorhub"
    assert int(ev["SEQUENCE"]) == 0
    assert ev["STATUS"] == "CONFIRMED"
    start, end = ev["DTSTART"], ev["DTEND"]
    assert start.params["TZID"] == "America/Edmonton"
    assert start.dt == datetime(2027, 3, 2, 7, 0, tzinfo=ZoneInfo("America/Edmonton"))
    assert start.dt.utcoffset() == timedelta(hours=-7)
    assert end.dt - start.dt == timedelta(minutes=90)
    assert "TZID=America/Edmonton:20270302T070000" in text
    assert ev["DTSTAMP"].dt == STAMP
    [tz] = cal.walk("VTIMEZONE")
    assert tz["TZID"] == "America/Edmonton"
    assert ev["LOCATION"] == "The museum café, 1 High Street"
    assert "In person" in str(ev["DESCRIPTION"]) and "/pairs/p/meetings" in str(ev["DESCRIPTION"])
    assert str(ev["ORGANIZER"]) == "mailto:maya@example.org"
    assert ev["ORGANIZER"].params["CN"] == "Maya Mentor"
    attendees = ev["ATTENDEE"]
    assert [str(a) for a in attendees] == ["mailto:maya@example.org", "mailto:theo@example.org"]
    assert attendees[1].params["CN"] == "Théo, Mentee"
    assert {a.params["PARTSTAT"] for a in attendees} == {"ACCEPTED"}
    assert {a.params["RSVP"] for a in attendees} == {"FALSE"}


def test_update_keeps_the_uid_and_raises_the_sequence_and_cancel_matches() -> None:
    zone = tenant_zone("GB-ENG")
    first = parse(
        invitation(meeting(), method="REQUEST", zone=zone, tenant_slug="ma", stamp=STAMP)
    )[1]
    moved = meeting(
        sequence=1,
        starts_at=datetime(2027, 7, 1, 9, 0, tzinfo=UTC),
        mode="video",
        place="",
        link="https://meet.example.org/abc",
    )
    second = parse(invitation(moved, method="REQUEST", zone=zone, tenant_slug="ma", stamp=STAMP))[1]
    assert first["UID"] == second["UID"]
    assert int(second["SEQUENCE"]) == 1
    # Summer time in London: 09:00 UTC is 10:00 BST.
    assert second["DTSTART"].dt.hour == 10 and second["DTSTART"].params["TZID"] == "Europe/London"
    assert second["LOCATION"] == "https://meet.example.org/abc"
    assert str(second["URL"]) == "https://meet.example.org/abc"
    cancel_text = invitation(
        replace(moved, sequence=2, state="cancelled"),
        method="CANCEL",
        zone=zone,
        tenant_slug="ma",
        stamp=STAMP,
    )
    cal, cancelled = parse(cancel_text)
    assert cal["METHOD"] == "CANCEL"
    assert cancelled["UID"] == first["UID"]
    assert int(cancelled["SEQUENCE"]) == 2
    assert cancelled["STATUS"] == "CANCELLED"
    # A CANCEL built from a meeting not yet marked cancelled still says CANCELLED.
    _, implied = parse(invitation(moved, method="CANCEL", zone=zone, tenant_slug="ma", stamp=STAMP))
    assert implied["STATUS"] == "CANCELLED"


def test_proposed_attendees_need_action_and_phone_location() -> None:
    zone = tenant_zone("GB-ENG")
    m = meeting(state="proposed", mode="phone", place="Maya calls Théo", organizer=THEO)
    _, ev = parse(invitation(m, method="REQUEST", zone=zone, tenant_slug="ma", stamp=STAMP))
    assert {a.params["PARTSTAT"] for a in ev["ATTENDEE"]} == {"NEEDS-ACTION"}
    assert ev["LOCATION"] == "Phone: Maya calls Théo"
    assert str(ev["ORGANIZER"]) == "mailto:theo@example.org"


def test_feed_lists_scheduled_and_held_only_without_method() -> None:
    zone = tenant_zone("GB-ENG")
    ids = [uuid.uuid4() for _ in range(4)]
    meetings = [
        meeting(id=ids[0], state="held", starts_at=datetime(2027, 1, 10, 10, tzinfo=UTC)),
        meeting(id=ids[1], state="scheduled", starts_at=datetime(2027, 2, 10, 10, tzinfo=UTC)),
        meeting(id=ids[2], state="proposed"),
        meeting(id=ids[3], state="cancelled"),
    ]
    text = feed(meetings, name="Mentoring meetings — MA", zone=zone, tenant_slug="ma", stamp=STAMP)
    cal = Calendar.from_ical(text)
    assert "METHOD" not in cal
    assert cal["X-WR-CALNAME"] == "Mentoring meetings — MA"
    events = cal.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [uid(ids[0], "ma"), uid(ids[1], "ma")]
    assert all("ORGANIZER" not in e and "ATTENDEE" not in e for e in events)
    assert all(e["DTSTART"].params["TZID"] == "Europe/London" for e in events)
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/London"]
    empty = Calendar.from_ical(feed([], name="x", zone=zone, tenant_slug="ma", stamp=STAMP))
    assert empty.walk("VEVENT") == [] and empty.walk("VTIMEZONE") == []


@settings(max_examples=40, deadline=None)
@given(
    start=st.datetimes(datetime(2026, 1, 1), datetime(2030, 12, 31)),
    minutes=st.integers(15, 480),
    sequence=st.integers(0, 50),
    jurisdiction=st.sampled_from(["GB-ENG", "CA-AB"]),
    place=st.text(max_size=80),
)
def test_any_meeting_parses_back_to_the_same_moment(
    start: datetime, minutes: int, sequence: int, jurisdiction: str, place: str
) -> None:
    zone = tenant_zone(jurisdiction)
    moment = start.replace(second=0, microsecond=0, tzinfo=UTC)
    m = meeting(starts_at=moment, minutes=minutes, sequence=sequence, place=place.strip() or "x")
    _, ev = parse(invitation(m, method="REQUEST", zone=zone, tenant_slug="t", stamp=STAMP))
    assert ev["DTSTART"].dt == moment
    assert ev["DTEND"].dt - ev["DTSTART"].dt == timedelta(minutes=minutes)
    assert int(ev["SEQUENCE"]) == sequence
    assert ev["DTSTART"].params["TZID"] == zone.key


# --- the feed written directly (pairs.ics.feed) against icalendar's ---------------------

#: Text as people type it: any printable character, tabs and newlines (no other controls,
#: which TEXT cannot carry: the direct writer drops them, see below).
TYPED = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from('\t\n\r,;\\:"é—😀'),
    max_size=120,
)


@settings(max_examples=200, deadline=None)
@given(line=st.text(max_size=400))
def test_fold_keeps_every_physical_line_within_75_octets_and_unfolds_back(line: str) -> None:
    clean = line.replace("\r", "").replace("\n", "")
    folded = fold(clean)
    assert folded.endswith("\r\n")
    physical = folded.encode("utf-8").split(b"\r\n")[:-1]
    for i, part in enumerate(physical):
        assert len(part) <= 75
        part.decode("utf-8")  # never a split character
        if i:
            assert part.startswith(b" ") and len(part) > 1
    assert folded[:-2].replace("\r\n ", "") == clean


def test_fold_edges() -> None:
    assert fold("A" * 75) == "A" * 75 + "\r\n"
    assert fold("A" * 76) == "A" * 75 + "\r\n A\r\n"
    assert fold("A" * 74 + "é") == "A" * 74 + "\r\n é\r\n"  # é is 2 octets: not split
    assert fold("A" * 73 + "é") == "A" * 73 + "é\r\n"
    assert fold("A" * 74 + "😀B") == "A" * 74 + "\r\n 😀B\r\n"


def test_escape_text() -> None:
    assert escape_text("plain words") == "plain words"
    assert escape_text("a,b;c\\d") == "a\\,b\\;c\\\\d"
    assert escape_text("one\r\ntwo\rthree\nfour") == "one\\ntwo\\nthree\\nfour"
    assert escape_text("bell\x07 tab\t del\x7f") == "bell tab\t del"


@settings(max_examples=200, deadline=None)
@given(value=TYPED)
def test_escaped_text_reads_back_as_written(value: str) -> None:
    escaped = escape_text(value)
    assert "\n" not in escaped and "\r" not in escaped
    line = fold(f"SUMMARY:{escaped}")
    cal = Calendar.from_ical(
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n" + line + "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    [ev] = cal.walk("VEVENT")
    expected = value.replace("\r\n", "\n").replace("\r", "\n")
    assert str(ev.get("SUMMARY", "")) == expected


NOT_TEXT = {c: None for c in [*range(0x20), 0x7F] if c != 0x09}
FIELDS = (
    *("UID", "DTSTAMP", "SEQUENCE", "DTSTART", "DTEND", "SUMMARY", "LOCATION", "URL"),
    *("DESCRIPTION", "STATUS", "TRANSP", "ORGANIZER", "ATTENDEE"),
)


def _fields(component: object) -> dict[str, object]:
    out: dict[str, object] = {}
    for key in FIELDS:
        value = component.get(key)  # type: ignore[attr-defined]
        if value is None:
            out[key] = None
        elif hasattr(value, "dt"):
            out[key] = (value.dt, value.dt.tzinfo and str(value.dt.tzinfo), dict(value.params))
        else:
            out[key] = (str(value), dict(getattr(value, "params", {})))
    return out


def assert_same_calendar(direct: str, reference: str) -> None:
    a, b = Calendar.from_ical(direct), Calendar.from_ical(reference)
    for key in ("VERSION", "PRODID", "CALSCALE", "METHOD", "X-WR-TIMEZONE"):
        assert str(a.get(key)) == str(b.get(key)), key
    assert a["REFRESH-INTERVAL"].dt == b["REFRESH-INTERVAL"].dt
    assert a["REFRESH-INTERVAL"].params == b["REFRESH-INTERVAL"].params
    assert str(a["X-PUBLISHED-TTL"]) == str(b["X-PUBLISHED-TTL"])
    assert [tz.to_ical() for tz in a.walk("VTIMEZONE")] == [
        tz.to_ical() for tz in b.walk("VTIMEZONE")
    ]
    mine, theirs = a.walk("VEVENT"), b.walk("VEVENT")
    assert [_fields(e) for e in mine] == [_fields(e) for e in theirs]
    # Nothing more or less in an event than the reference has.
    assert [sorted(e.keys()) for e in mine] == [sorted(e.keys()) for e in theirs]


MEETINGS = st.lists(
    st.builds(
        lambda n, start, minutes, mode, place, link, seq, state, who, revised: meeting(
            id=uuid.UUID(int=n),
            starts_at=start.replace(tzinfo=UTC),
            minutes=minutes,
            mode=mode,
            place=place,
            link=link,
            sequence=seq,
            state=state,
            summary=f"Mentoring: {who} and Théo",
            revised_at=revised and revised.replace(tzinfo=UTC),
        ),
        st.integers(1, 2**64),
        st.datetimes(datetime(2025, 1, 1), datetime(2031, 12, 31)),
        st.integers(15, 480),
        st.sampled_from(["in_person", "video", "phone"]),
        TYPED,
        st.sampled_from(["", "https://meet.example.org/a,b;c?x=1&y=é", "https://v.example/z"]),
        st.integers(0, 40),
        st.sampled_from(["scheduled", "held", "proposed", "cancelled", "declined"]),
        TYPED,
        st.none() | st.datetimes(datetime(2025, 1, 1), datetime(2030, 1, 1)),
    ),
    max_size=8,
    unique_by=lambda m: m.id,
)


@settings(max_examples=120, deadline=None)
@given(
    meetings=MEETINGS,
    name=TYPED.map(lambda s: s.replace("\r", " ").replace("\n", " ")),  # one line
    jurisdiction=st.sampled_from(["GB-ENG", "CA-AB"]),
)
def test_the_direct_feed_is_the_icalendar_feed_field_by_field(
    meetings: list[CalendarMeeting], name: str, jurisdiction: str
) -> None:
    zone = tenant_zone(jurisdiction)
    kw = {"name": name, "zone": zone, "tenant_slug": "ma", "stamp": STAMP}
    direct = feed(meetings, **kw)  # type: ignore[arg-type]
    assert_same_calendar(direct, feed_with_icalendar(meetings, **kw))  # type: ignore[arg-type]
    # icalendar writes an X- property as it is given; the direct feed escapes the name as
    # TEXT (what calendar programs read: a tenant's name may have a comma).
    [raw] = re.findall(r"^X-WR-CALNAME:(.*)$", direct.replace("\r\n ", ""), re.MULTILINE)
    assert re.sub(r"\\([\\;,])", r"\1", raw.rstrip("\r")) == name.translate(NOT_TEXT)
    assert all(len(line) <= 75 for line in direct.encode("utf-8").split(b"\r\n"))


def test_the_feed_depends_on_the_meetings_only() -> None:
    """DTSTAMP is the meeting's last change, so the same meetings give the same bytes."""
    zone = tenant_zone("GB-ENG")
    revised = datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)
    ms = [meeting(revised_at=revised)]
    one = feed(ms, name="x", zone=zone, tenant_slug="ma", stamp=STAMP)
    two = feed(ms, name="x", zone=zone, tenant_slug="ma", stamp=STAMP + timedelta(hours=5))
    assert one == two
    [ev] = Calendar.from_ical(one).walk("VEVENT")
    assert ev["DTSTAMP"].dt == revised
