"""What the meetings pages share (issue 15): the forms, a row of a form read as a time in
the association's zone, the pages' contexts, and the one way an action's form is read,
the action called and its outcome shown (`act`)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import msgspec
from litestar.response import Redirect, Response, Template

from mentorhub.applications.queue import tenant_zone
from mentorhub.applications.views.coordinator_common import (
    at,
    page_context,
    parse_date,
    parse_time,
)
from mentorhub.core.problems import Problem, Problems
from mentorhub.db import Database
from mentorhub.identity.sessions import TENANT_COOKIE, Identity
from mentorhub.identity.views._common import AnyRequest, base
from mentorhub.pairs import ics
from mentorhub.pairs.access import require_party, space_for
from mentorhub.pairs.rules import Refused
from mentorhub.pairs.services import meetings as svc
from mentorhub.tenancy.models import Tenant
from mentorhub.web import flash
from mentorhub.web.forms import TEXT, FormErrors, field, read_form, rerender, values_of

PAIR = "/pairs/{pair_id:uuid}"
ONE = PAIR + "/meetings/{meeting_id:str}"
LIST_PAGE = "pairs/meetings.html"
ONE_PAGE = "pairs/meeting.html"
ROWS = tuple(str(i) for i in range(1, svc.PROPOSALS_MAX + 1))
S = TypeVar("S", bound=msgspec.Struct)

MODE_CHOICES = (("in_person", "In person"), ("video", "Video call"), ("phone", "Phone call"))
STATE_WORDS = {
    "proposed": "Proposed",
    "scheduled": "Confirmed",
    "declined": "Declined",
    "cancelled": "Cancelled",
    "held": "Held",
}
DONE = {
    "propose": "Proposed. {other} has been asked by e-mail.",
    "held_new": "Meeting recorded as held.",
    "accept": "Confirmed. You both have the invitation by e-mail, for your calendars.",
    "decline": "Declined. {other} has been told.",
    "cancel": "Cancelled. {other} has been told.",
    "reschedule": "New time proposed. {other} has been asked by e-mail.",
    "record": "Meeting recorded as held.",
}

_VERSION = Annotated[int, field("Version", minimum=0, maximum=10**9)]
_DATE = Annotated[str, field("Date", max_length=10)]
_TIME = Annotated[str, field("Time", max_length=8)]
_MINUTES = Annotated[str, field("Length", max_length=12)]
_MODE = Annotated[str, field("How", max_length=16)]
_PLACE = Annotated[str, field("Place", max_length=svc.PLACE_MAX)]
_LINK = Annotated[str, field("Link", max_length=svc.LINK_MAX)]


class ProposeForm(msgspec.Struct, kw_only=True):
    lock_version: _VERSION | None = None
    date1: _DATE = ""
    time1: _TIME = ""
    minutes1: _MINUTES = ""
    mode1: _MODE = ""
    place1: _PLACE = ""
    link1: _LINK = ""
    date2: _DATE = ""
    time2: _TIME = ""
    minutes2: _MINUTES = ""
    mode2: _MODE = ""
    place2: _PLACE = ""
    link2: _LINK = ""
    date3: _DATE = ""
    time3: _TIME = ""
    minutes3: _MINUTES = ""
    mode3: _MODE = ""
    place3: _PLACE = ""
    link3: _LINK = ""


class MoveForm(msgspec.Struct, kw_only=True):
    lock_version: _VERSION | None = None
    date: _DATE = ""
    time: _TIME = ""
    minutes: _MINUTES = ""
    mode: _MODE = ""
    place: _PLACE = ""
    link: _LINK = ""


class HeldForm(MoveForm, kw_only=True):
    held_minutes: Annotated[str, field("Length", max_length=12)] = ""
    record: Annotated[str, field("Agenda and actions", kind=TEXT, max_length=svc.RECORD_MAX)] = ""


class RecordForm(msgspec.Struct, kw_only=True):
    lock_version: _VERSION | None = None
    held_minutes: Annotated[str, field("Length", max_length=12)] = ""
    record: Annotated[str, field("Agenda and actions", kind=TEXT, max_length=svc.RECORD_MAX)] = ""


class ReasonForm(msgspec.Struct, kw_only=True):
    lock_version: _VERSION | None = None
    reason: Annotated[str, field("Reason", kind=TEXT, max_length=svc.REASON_MAX)] = ""


class Versioned(msgspec.Struct, kw_only=True):
    lock_version: _VERSION | None = None


def viewer(identity: Identity) -> uuid.UUID:
    assert identity.member_id is not None  # the MEMBER rule checked it
    return uuid.UUID(identity.member_id)


def minutes_of(value: str, key: str, problems: list[Problem]) -> int:
    text = value.strip()
    if not text.isdigit():
        problems.append(
            Problem(path=key, message="Length must be a whole number of minutes, like 60")
        )
        return 0
    return int(text)


def new_time(tenant: Tenant, form: Any, row: str, problems: list[Problem]) -> svc.NewTime | None:
    """One row of a form as a time in the association's zone; its problems at its fields."""
    before = len(problems)
    day = time_ = None
    raw_date, raw_time = getattr(form, f"date{row}"), getattr(form, f"time{row}")
    if not raw_date.strip():
        problems.append(Problem(path=f"date{row}", message="Give the date"))
    else:
        day = parse_date(raw_date, f"date{row}", "Date", problems)
    if not raw_time.strip():
        problems.append(Problem(path=f"time{row}", message="Give the time"))
    else:
        time_ = parse_time(raw_time, f"time{row}", "Time", problems)
    minutes_key = "held_minutes" if hasattr(form, "held_minutes") else f"minutes{row}"
    minutes = minutes_of(getattr(form, minutes_key), minutes_key, problems)
    if len(problems) > before or day is None or time_ is None:
        return None
    return svc.NewTime(
        starts_at=at(day, time_, tenant_zone(tenant.jurisdiction)),
        minutes=minutes,
        mode=getattr(form, f"mode{row}"),
        place=getattr(form, f"place{row}"),
        link=getattr(form, f"link{row}"),
        row=row,
    )


def filled(form: ProposeForm, row: str) -> bool:
    return any(getattr(form, f"{name}{row}").strip() for name in ("date", "time", "place", "link"))


# --- pages --------------------------------------------------------------------------------


async def list_context(
    db: Database, tenant: Tenant, identity: Identity, pair_id: uuid.UUID
) -> dict[str, Any]:
    now = datetime.now(UTC)
    async with db.tenant(tenant.id) as session:
        space = require_party(await space_for(session, pair_id, viewer(identity)))
        meetings = await svc.pair_meetings(session, space)
        cadence = await svc.cadence_of(session, space, tenant, now)
    return common(
        tenant,
        identity,
        space,
        page=svc.sort_meetings(meetings, space.viewer.id, now),
        cadence=cadence,
        rows=ROWS,
        today=now.astimezone(tenant_zone(tenant.jurisdiction)).date().isoformat(),
    )


def common(tenant: Tenant, identity: Identity, space: Any, **extra: Any) -> dict[str, Any]:
    zone = tenant_zone(tenant.jurisdiction)
    m = space.scheme.meetings
    guidance = ""
    if m.session_minutes is not None:
        lo, hi = m.session_minutes.min, m.session_minutes.max
        guidance = (
            f"The scheme suggests {lo} to {hi} minutes."
            if lo is not None and hi is not None
            else f"The scheme suggests at least {lo} minutes."
            if lo is not None
            else f"The scheme suggests up to {hi} minutes."
        )
    return page_context(
        tenant,
        identity,
        space=space,
        current="meetings",
        meeting_when=lambda v: svc.when_words(v, zone),
        mode_words=ics.mode_words,
        where_words=ics.where_words,
        MODE_CHOICES=MODE_CHOICES,
        STATE_WORDS=STATE_WORDS,
        minutes_guidance=guidance,
        default_minutes=str(
            m.session_minutes.min if m.session_minutes and m.session_minutes.min else 60
        ),
        scheme_note=m.note,
        minutes_min=svc.MINUTES_MIN,
        minutes_max=svc.MINUTES_MAX,
        **extra,
    )


async def one_context(
    db: Database, tenant: Tenant, identity: Identity, pair_id: uuid.UUID, meeting_id: str
) -> dict[str, Any]:
    now = datetime.now(UTC)
    async with db.tenant(tenant.id) as session:
        space = require_party(await space_for(session, pair_id, viewer(identity)))
        meeting = await svc.one_meeting(session, space, meeting_id)
    mine = meeting.proposed_by == space.viewer.id
    live = not space.read_only
    future = meeting.starts_at > now
    open_ = meeting.state in ("proposed", "scheduled")
    can_answer = live and meeting.state == "proposed" and not mine and future
    return common(
        tenant,
        identity,
        space,
        meeting=meeting,
        proposer=space.mentor if meeting.proposed_by == space.mentor.id else space.mentee,
        can_answer=can_answer,
        can_move=live and open_,
        can_cancel=live and open_ and not can_answer,
        can_record=live and (meeting.state == "held" or (open_ and not future)),
        has_ics=meeting.state in ("scheduled", "held", "cancelled"),
    )


async def notice_of(request: AnyRequest, aredis: Any) -> str | None:
    notice = await flash.take(aredis, request, TENANT_COOKIE)
    if notice and notice.get("kind") == "meetings":
        return str(notice.get("text") or "") or None
    return None


# --- actions ------------------------------------------------------------------------------


async def act(
    request: AnyRequest,
    aredis: Any,
    model: type[S],
    call: Callable[[S], Awaitable[Any]],
    again: Callable[[Problems, int], Awaitable[Template]],
    done: str,
    to: str,
) -> Response[Any] | Template:
    """Read the form, call the action, go `to` with a notice; or the page again with what
    was wrong (400) or why it was refused (409). Nothing changed in either case."""
    form: S | None = None
    try:
        form = await read_form(request, model)
        await call(form)
    except FormErrors as errors:
        return await again(errors, 400)
    except Problems as problems:
        values = values_of(form) if form is not None else {}
        return await again(FormErrors(list(problems.problems), values), 400)
    except Refused as refused:
        values = values_of(form) if form is not None else {}
        return await again(
            FormErrors([Problem(message=f"{refused} Nothing was changed.")], values), 409
        )
    await flash.put(aredis, request, TENANT_COOKIE, {"kind": "meetings", "text": done})
    return Redirect(to, status_code=303)


def other_name(context: dict[str, Any]) -> str:
    other = context["space"].other
    return str(other.display_name) if other is not None else "The other person"


async def meeting_action(
    action: str,
    model: type[S],
    call: Callable[[S], Awaitable[Any]],
    *,
    tenant: Tenant,
    db: Database,
    identity: Identity,
    pair_id: uuid.UUID,
    meeting_id: str,
    request: AnyRequest,
    aredis: Any,
    back_to_list: bool = True,
) -> Response[Any] | Template:
    context = await one_context(db, tenant, identity, pair_id, meeting_id)

    async def again(errors: Problems, status: int) -> Template:
        fresh = await one_context(db, tenant, identity, pair_id, meeting_id)
        return rerender(ONE_PAGE, {**fresh, "failed": action}, errors, status_code=status)

    to = f"{base(request)}/pairs/{pair_id}/meetings"
    if not back_to_list:
        to += f"/{context['meeting'].id}"
    return await act(
        request,
        aredis,
        model,
        call,
        again,
        DONE[action].format(other=other_name(context)),
        to,
    )
