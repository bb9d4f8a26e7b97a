"""What the coordinator's pages share: the forms they read, dates and times typed in the
association's time zone, and the pages' common context."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import msgspec

from mentorhub.applications.queue import tenant_zone
from mentorhub.applications.states import State
from mentorhub.core.paging import MAX_QUERY
from mentorhub.core.problems import Problem
from mentorhub.db.access import NotFound
from mentorhub.identity.sessions import Identity
from mentorhub.tenancy.models import Tenant
from mentorhub.web.forms import TEXT, FormErrors, choice, field

Role = Literal["mentor", "mentee"]
StateName = Literal[
    "draft",
    "submitted",
    "awaiting_approval",
    "eligible",
    "ineligible",
    "shortlisted",
    "interview_scheduled",
    "interviewed",
    "accepted",
    "waitlisted",
    "unsuccessful",
    "withdrawn",
]
assert set(StateName.__args__) == {str(s) for s in State}  # type: ignore[attr-defined]
BulkAction = Literal["shortlist", "accept", "decline"]
Format = Literal["phone", "video", "in_person"]
FORMAT_WORDS = {"phone": "By phone", "video": "By video call", "in_person": "In person"}
ROLE_WORDS = {"mentor": "Mentors", "mentee": "Mentees"}
FEEDBACK_MAX = 4000
NOTES_MAX = 8000


class QueueQuery(msgspec.Struct, kw_only=True):
    cohort: Annotated[str, field("Cohort", max_length=36)] = ""
    role: Annotated[Role | None, choice("Choose mentors, mentees or both", label="Role")] = None
    state: Annotated[StateName | None, choice("Choose a state from the list", label="State")] = None
    q: Annotated[str, field("Search", max_length=MAX_QUERY)] = ""
    page: Annotated[str, field("Page", max_length=12)] = ""


class Versioned(msgspec.Struct, kw_only=True):
    """A one-button action: the application's version the page showed."""

    lock_version: Annotated[int, field("Version", minimum=0, maximum=10**9)]


class ScheduleForm(msgspec.Struct, kw_only=True):
    lock_version: Annotated[int, field("Version", minimum=0, maximum=10**9)]
    interview_date: Annotated[str, field("Date", max_length=10, required=True)]
    interview_time: Annotated[str, field("Time", max_length=8, required=True)]
    format: Annotated[Format, choice("Choose phone, video call or in person", label="Format")]


class RecordForm(msgspec.Struct, kw_only=True):
    lock_version: Annotated[int, field("Version", minimum=0, maximum=10**9)]
    held_date: Annotated[str, field("Date held", max_length=10, required=True)]
    held_time: Annotated[str, field("Time held", max_length=8, required=True)]
    notes: Annotated[str, field("Notes", kind=TEXT, max_length=NOTES_MAX)] = ""


class WaitlistForm(msgspec.Struct, kw_only=True):
    lock_version: Annotated[int, field("Version", minimum=0, maximum=10**9)]
    rank: Annotated[int, field("Place on the waiting list", minimum=1, maximum=100_000)] | None = (
        None
    )


class DeclineForm(msgspec.Struct, kw_only=True):
    lock_version: Annotated[int, field("Version", minimum=0, maximum=10**9)]
    feedback: Annotated[str, field("Feedback", kind=TEXT, max_length=FEEDBACK_MAX)] = ""
    priority: Annotated[
        Literal["yes"] | None, choice("Tick the box or leave it", label="Priority")
    ] = None


class BulkForm(msgspec.Struct, kw_only=True):
    ids: list[Annotated[str, field("Application", max_length=36)]] = []
    action: Annotated[BulkAction, choice("Choose shortlist, accept or decline", label="Action")]
    back: Annotated[str, field("Back", max_length=2000)] = ""


class BulkConfirm(msgspec.Struct, kw_only=True):
    ids: list[Annotated[str, field("Application", max_length=36)]] = []
    #: "<application id>:<lock version>" for each application the confirmation page listed.
    versions: list[Annotated[str, field("Version", max_length=48)]] = []
    action: Annotated[BulkAction, choice("Choose shortlist, accept or decline", label="Action")]
    feedback: Annotated[str, field("Feedback", kind=TEXT, max_length=FEEDBACK_MAX)] = ""
    back: Annotated[str, field("Back", max_length=2000)] = ""


class CohortForm(msgspec.Struct, kw_only=True):
    name: Annotated[str, field("Name", max_length=200, required=True)]
    starts_on: Annotated[str, field("Start date", max_length=10, required=True)]
    ends_on: Annotated[str, field("End date", max_length=10, required=True)]


class WindowForm(msgspec.Struct, kw_only=True):
    role: Annotated[Role, choice("Choose mentors or mentees", label="Role")]
    opens_on: Annotated[str, field("Opens on", max_length=10, required=True)]
    closes_on: Annotated[str, field("Closes on", max_length=10)] = ""


class CloseForm(msgspec.Struct, kw_only=True):
    confirm: Annotated[Literal["yes"], choice("Tick the box to confirm", label="Confirm")]


# --- parsing --------------------------------------------------------------------------------


def parse_uuid(value: str, what: str = "application") -> uuid.UUID:
    """An id from the address; anything that is not one is "no such …" (404)."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(what) from None


def parse_date(value: str, key: str, label: str, problems: list[Problem]) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        problems.append(Problem(path=key, message=f"{label} must be a date like 2027-03-31"))
        return None


def parse_time(value: str, key: str, label: str, problems: list[Problem]) -> time | None:
    try:
        parsed = time.fromisoformat(value.strip())
    except ValueError:
        problems.append(Problem(path=key, message=f"{label} must be a time like 14:30"))
        return None
    return parsed.replace(second=0, microsecond=0, tzinfo=None)


def at(day: date, moment: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=zone)


def check(problems: list[Problem], values: dict[str, Any]) -> None:
    if problems:
        raise FormErrors(problems, values)


def zone_of(tenant: Tenant) -> ZoneInfo:
    return tenant_zone(tenant.jurisdiction)


def when(value: datetime | None, zone: ZoneInfo) -> str:
    """A moment in the association's time zone, in words."""
    if value is None:
        return "—"
    local = value.astimezone(zone)
    return f"{local.day} {local:%b %Y, %H:%M} {local.tzname()}"


def day(value: date | datetime | None, zone: ZoneInfo | None = None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime) and zone is not None:
        value = value.astimezone(zone)
    return f"{value.day} {value:%B %Y}"


def answer_words(value: Any) -> str:
    """A stored answer in words."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return str(value.get("label") or value.get("text") or "")
    return str(value)


def page_context(tenant: Tenant, identity: Identity, **extra: Any) -> dict[str, Any]:
    zone = zone_of(tenant)
    return {
        "tenant": tenant,
        "identity": identity,
        "zone": zone,
        "when": lambda v: when(v, zone),
        "day": lambda v: day(v, zone),
        "answer_words": answer_words,
        "FORMAT_WORDS": FORMAT_WORDS,
        "ROLE_WORDS": ROLE_WORDS,
        **extra,
    }
