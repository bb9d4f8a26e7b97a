"""Calendar files for a pair's meetings (RFC 5545 objects, RFC 5546 methods), built with
`icalendar`: one meeting's invitation (METHOD:REQUEST) or cancellation (METHOD:CANCEL),
and a member's calendar feed (every scheduled or held meeting of all their pairs).

No database or web here: the services and views hand in :class:`CalendarMeeting` values.

Decisions:

- *UID*: ``<meeting id>@<tenant slug>.mentorhub`` — derived from the meeting's id only, so
  it is the same for the invitation, every update and the cancellation, in the mail and in
  the feed (calendars match them up), and it does not change if the deployment's host name
  does (a host-based UID would duplicate every meeting in every calendar after a move).
- *SEQUENCE* is the meeting's `sequence` (the services raise it with every change the
  invitation carries: a new time, a cancellation).
- *Times*: DTSTART/DTEND carry the tenant's zone as TZID (the jurisdiction's zone,
  `applications.queue.tenant_zone`: Europe/London, America/Edmonton) and the calendar has
  the matching VTIMEZONE (icalendar's `add_missing_timezones`, limited to the years the
  meetings fall in so the component stays small); DTSTAMP is UTC as RFC 5545 asks.
- *People*: ORGANIZER is the person who proposed the meeting, both people are ATTENDEEs
  (PARTSTAT ACCEPTED once scheduled — both agreed in the product — NEEDS-ACTION while
  proposed; RSVP=FALSE: answers are given in MentorHub, not by calendar replies).
- *The feed* has no METHOD (a subscription, not a scheduling message), X-WR-CALNAME,
  REFRESH-INTERVAL/X-PUBLISHED-TTL of an hour, and only scheduled and held meetings
  (proposed ones are not agreed yet; a cancelled or declined one disappears on refresh).
  It names the other person in each SUMMARY but carries no ORGANIZER/ATTENDEE (calendar
  programs treat those as invitations to answer).
- LOCATION is the place (in person), the link (video) or "Phone" (+ what was written);
  URL is the video link when there is one; DESCRIPTION says the mode, where, and the
  meeting page's address.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText

__all__ = [
    "CalendarMeeting",
    "Method",
    "Person",
    "feed",
    "invitation",
    "mode_words",
    "uid",
    "where_words",
]

Method = Literal["REQUEST", "CANCEL"]
PRODID = "-//MentorHub//Pair meetings//EN"
_MODE_WORDS = {"in_person": "In person", "video": "Video call", "phone": "Phone call"}


@dataclass(frozen=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True)
class CalendarMeeting:
    """What a calendar needs to know about one meeting."""

    id: uuid.UUID
    starts_at: datetime
    minutes: int
    mode: str
    place: str
    link: str
    sequence: int
    state: str
    #: The person who proposed it, then both people of the pair.
    organizer: Person
    attendees: tuple[Person, ...]
    summary: str
    #: The meeting page's absolute address.
    page_url: str


def uid(meeting_id: uuid.UUID, tenant_slug: str) -> str:
    return f"{meeting_id}@{tenant_slug}.mentorhub"


def mode_words(mode: str) -> str:
    return _MODE_WORDS.get(mode, mode.replace("_", " ").capitalize())


def where_words(mode: str, place: str, link: str) -> str:
    """The place, the video link or "Phone" (with what was written about the call)."""
    if mode == "video":
        return link or place or "Video call"
    if mode == "phone":
        return f"Phone: {place}" if place else "Phone"
    return place or "In person"


def _year_bounds(meetings: Sequence[CalendarMeeting], zone: ZoneInfo) -> tuple[date, date]:
    years = [m.starts_at.astimezone(zone).year for m in meetings] or [2000]
    return date(min(years) - 1, 1, 1), date(max(years) + 2, 1, 1)


def _calendar() -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    return cal


def _address(person: Person, *, organizer: bool = False, partstat: str = "") -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["CN"] = vText(person.name)
    if not organizer:
        address.params["ROLE"] = vText("REQ-PARTICIPANT")
        address.params["PARTSTAT"] = vText(partstat)
        address.params["RSVP"] = vText("FALSE")
    return address


def _event(
    m: CalendarMeeting, *, zone: ZoneInfo, tenant_slug: str, stamp: datetime, people: bool
) -> Event:
    ev = Event()
    ev.add("uid", uid(m.id, tenant_slug))
    ev.add("dtstamp", stamp.astimezone(ZoneInfo("UTC")))
    ev.add("sequence", m.sequence)
    start = m.starts_at.astimezone(zone)
    ev.add("dtstart", start)
    ev.add("dtend", start + timedelta(minutes=m.minutes))
    ev.add("summary", m.summary)
    where = where_words(m.mode, m.place, m.link)
    ev.add("location", where)
    if m.mode == "video" and m.link:
        ev.add("url", m.link)
    ev.add(
        "description",
        f"{mode_words(m.mode)}: {where}\n{m.minutes} minutes\nIn MentorHub: {m.page_url}",
    )
    ev.add("status", "CANCELLED" if m.state in ("cancelled", "declined") else "CONFIRMED")
    ev.add("transp", "TRANSPARENT" if m.state in ("cancelled", "declined") else "OPAQUE")
    if people:
        ev.add("organizer", _address(m.organizer, organizer=True))
        partstat = "ACCEPTED" if m.state in ("scheduled", "held") else "NEEDS-ACTION"
        if m.state in ("cancelled", "declined"):
            partstat = "DECLINED"
        for person in m.attendees:
            ev.add("attendee", _address(person, partstat=partstat))
    return ev


def invitation(
    meeting: CalendarMeeting,
    *,
    method: Method,
    zone: ZoneInfo,
    tenant_slug: str,
    stamp: datetime,
) -> str:
    """One meeting as a scheduling message: REQUEST (new or changed) or CANCEL."""
    cal = _calendar()
    cal.add("method", method)
    m = meeting
    if method == "CANCEL" and m.state != "cancelled":
        m = CalendarMeeting(**{**m.__dict__, "state": "cancelled"})
    cal.add_component(_event(m, zone=zone, tenant_slug=tenant_slug, stamp=stamp, people=True))
    first, last = _year_bounds([m], zone)
    cal.add_missing_timezones(first_date=first, last_date=last)
    return str(cal.to_ical().decode("utf-8"))


def feed(
    meetings: Sequence[CalendarMeeting],
    *,
    name: str,
    zone: ZoneInfo,
    tenant_slug: str,
    stamp: datetime,
) -> str:
    """A member's subscription: every scheduled or held meeting given, no METHOD."""
    cal = _calendar()
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", zone.key)
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    shown = [m for m in meetings if m.state in ("scheduled", "held")]
    for m in sorted(shown, key=lambda m: (m.starts_at, str(m.id))):
        cal.add_component(_event(m, zone=zone, tenant_slug=tenant_slug, stamp=stamp, people=False))
    if shown:
        first, last = _year_bounds(shown, zone)
        cal.add_missing_timezones(first_date=first, last_date=last)
    return str(cal.to_ical().decode("utf-8"))
