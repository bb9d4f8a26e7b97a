"""A pair's meetings (issue 15): propose one or several, accept or decline a proposal,
move (reschedule) or cancel one, record one as held — with calendar invitations.

Every action: one tenant transaction; `space_for(..., lock=True)` then `require_writable`
(the pair's two people only, and only while the pair is live); the meeting's (or, for a new
one, the pair's) `lock_version` checked, so a stale page or a replayed post changes nothing;
an audit row (no free text in it: agendas and reasons stay in the pair's space); mail
through the one writer with keys `meeting:<id>:<event>:s<sequence>:<member id>`.

States (space_models.MEETING_STATES): proposed → scheduled (the other accepted) → held;
proposed → declined; proposed | scheduled → cancelled. Decisions where the issue is silent:

* Only the person who did not propose a meeting (or its latest time) accepts or declines
  it; the proposer may move or cancel their own proposal instead.
* Moving a meeting (either person, proposed or scheduled) raises its SEQUENCE and makes it
  a proposal again, from the mover to the other (`meeting_proposed`). When the other accepts
  it, both get `meeting_changed` with a REQUEST at the new SEQUENCE if it had been
  scheduled before (calendars hold it), else `meeting_scheduled`. "Scheduled before" is
  `answered_at` being set: only accepting sets it.
* Declining a moved meeting that had been scheduled takes it out of the calendars: the
  proposer gets `meeting_declined`, and both get a CANCEL at SEQUENCE + 1 (attached to the
  decline for the proposer, with `meeting_cancelled` for the one who declined). Either can
  propose another time.
* Cancelling: the other person gets `meeting_cancelled`; when it was scheduled, both get it
  with a CANCEL at SEQUENCE + 1 (the canceller's calendar holds it too).
* Recording a meeting as held: a meeting whose start has passed (proposed or scheduled; a
  held one's record may be corrected), its actual minutes and a short agenda / actions. A
  meeting held but never arranged here is recorded directly (created as held, by the
  recorder, on a day between the match and today). No mail.
* A new time: in the future, 15 minutes to 8 hours (the scheme's `session_minutes` is shown
  as guidance, not enforced), in person (a place is needed), by video (an https link is
  needed) or by phone (an optional note: who calls whom). At most three proposed at once
  ("set the dates and times of two or three meetings at a time", Museums Association).
* `when` in mail is the tenant's zone ("Tuesday 12 January 2027, 14:00 (Europe/London)").
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.applications.queue import tenant_zone
from mentorhub.core import audit
from mentorhub.core.problems import Problem, Problems
from mentorhub.db import Database
from mentorhub.db.access import NotFound
from mentorhub.db.session import current_tenant
from mentorhub.identity.models import Member
from mentorhub.messages.services import Attachment, Outgoing, send_many
from mentorhub.pairs import ics
from mentorhub.pairs.access import Space, require_party, require_writable, space_for
from mentorhub.pairs.cadence import CadenceSummary, Held, summarise
from mentorhub.pairs.rules import Refused
from mentorhub.pairs.services.lifecycle import facts_of, pair_link
from mentorhub.pairs.space_models import MEETING_MODES, Meeting
from mentorhub.tenancy.models import Tenant

__all__ = [
    "MINUTES_MAX",
    "MINUTES_MIN",
    "PROPOSALS_MAX",
    "MeetingsPage",
    "NewTime",
    "accept",
    "cadence_of",
    "calendar_meeting",
    "cancel",
    "decline",
    "one_meeting",
    "pair_meetings",
    "propose",
    "record_held",
    "reschedule",
    "sort_meetings",
    "when_words",
]

MINUTES_MIN = 15
MINUTES_MAX = 480
PROPOSALS_MAX = 3
PLACE_MAX = 500
LINK_MAX = 2000
REASON_MAX = 1000
RECORD_MAX = 4000


@dataclass(frozen=True)
class NewTime:
    """One proposed time. `row` is the suffix of the form's fields ("1", "2"… or "") that
    problems point at (`date1`, `minutes1`…)."""

    starts_at: datetime
    minutes: int
    mode: str
    place: str = ""
    link: str = ""
    row: str = ""


# --- words --------------------------------------------------------------------------------


def when_words(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M} ({zone.key})"


def _mail_context(
    tenant: Tenant, meeting: Meeting, other: Member, zone: ZoneInfo
) -> dict[str, str]:
    return {
        "other_name": other.display_name,
        "when": when_words(meeting.starts_at, zone),
        "minutes": str(meeting.minutes),
        "mode": ics.mode_words(meeting.mode),
        "where": ics.where_words(meeting.mode, meeting.place, meeting.link),
        "link": _meetings_link(tenant, meeting.pair_id),
    }


def _meetings_link(tenant: Tenant, pair_id: uuid.UUID) -> str:
    return f"{pair_link(tenant, pair_id)}/meetings"


def calendar_meeting(
    tenant: Tenant, meeting: Meeting, mentor: Member, mentee: Member, organizer: Member | None
) -> ics.CalendarMeeting:
    """A meeting as the calendar files need it."""
    people = {mentor.id: mentor, mentee.id: mentee}
    by = organizer or people.get(meeting.proposed_by) or mentor
    return ics.CalendarMeeting(
        id=meeting.id,
        starts_at=meeting.starts_at,
        minutes=meeting.held_minutes
        if meeting.state == "held" and meeting.held_minutes
        else meeting.minutes,
        mode=meeting.mode,
        place=meeting.place,
        link=meeting.link,
        sequence=meeting.sequence,
        state=meeting.state,
        organizer=ics.Person(by.display_name, by.email),
        attendees=(
            ics.Person(mentor.display_name, mentor.email),
            ics.Person(mentee.display_name, mentee.email),
        ),
        summary=f"Mentoring: {mentor.display_name} and {mentee.display_name}",
        page_url=_meetings_link(tenant, meeting.pair_id),
    )


def _ics(
    tenant: Tenant, space: Space, meeting: Meeting, method: ics.Method, now: datetime
) -> Attachment:
    text = ics.invitation(
        calendar_meeting(tenant, meeting, space.mentor, space.mentee, None),
        method=method,
        zone=tenant_zone(tenant.jurisdiction),
        tenant_slug=tenant.slug,
        stamp=now,
    )
    return Attachment("invite.ics", f"text/calendar; method={method}", text)


# --- checks -------------------------------------------------------------------------------


def _check_time(t: NewTime, now: datetime, problems: list[Problem], *, future: bool) -> None:
    r = t.row
    if t.starts_at.tzinfo is None:
        raise ValueError("a meeting's start must be an aware datetime")
    if future and t.starts_at <= now:
        problems.append(Problem(path=f"date{r}", message="The meeting must be in the future"))
    if isinstance(t.minutes, bool) or not MINUTES_MIN <= t.minutes <= MINUTES_MAX:
        problems.append(
            Problem(
                path=f"minutes{r}",
                message=f"Length must be {MINUTES_MIN} to {MINUTES_MAX} minutes",
            )
        )
    if t.mode not in MEETING_MODES:
        problems.append(
            Problem(path=f"mode{r}", message="Choose in person, video call or phone call")
        )
    place, link = t.place.strip(), t.link.strip()
    if len(place) > PLACE_MAX:
        problems.append(
            Problem(path=f"place{r}", message=f"Place must be {PLACE_MAX} characters or fewer")
        )
    if t.mode == "in_person" and not place:
        problems.append(Problem(path=f"place{r}", message="Say where you will meet"))
    if t.mode == "video":
        parts = urlsplit(link) if len(link) <= LINK_MAX else None
        if not link:
            problems.append(Problem(path=f"link{r}", message="Give the video call's link"))
        elif parts is None or parts.scheme != "https" or not parts.hostname:
            problems.append(
                Problem(
                    path=f"link{r}",
                    message="The link must be a web address starting with https://",
                )
            )


def _check_held_time(t: NewTime, now: datetime, problems: list[Problem]) -> None:
    """A meeting recorded as held without being arranged here: in the past, a known mode;
    a place or link is optional (a link given must still be https)."""
    r = t.row
    if t.starts_at.tzinfo is None:
        raise ValueError("a meeting's start must be an aware datetime")
    if t.starts_at > now:
        problems.append(Problem(path=f"date{r}", message="A meeting held cannot be in the future"))
    if t.mode not in MEETING_MODES:
        problems.append(
            Problem(path=f"mode{r}", message="Choose in person, video call or phone call")
        )
    if len(t.place.strip()) > PLACE_MAX:
        problems.append(
            Problem(path=f"place{r}", message=f"Place must be {PLACE_MAX} characters or fewer")
        )
    link = t.link.strip()
    if t.mode == "video" and link:
        parts = urlsplit(link) if len(link) <= LINK_MAX else None
        if parts is None or parts.scheme != "https" or not parts.hostname:
            problems.append(
                Problem(
                    path=f"link{r}",
                    message="The link must be a web address starting with https://",
                )
            )


def _clean(t: NewTime) -> tuple[str, str]:
    """The place and link stored for a time: a link only for a video call."""
    return t.place.strip(), t.link.strip() if t.mode == "video" else ""


def _check_version(current: int, lock_version: int | None, what: str) -> None:
    if lock_version is not None and lock_version != current:
        raise Refused(
            f"This {what} changed since the page was shown. Nothing was changed: look at it "
            "again and repeat."
        )


async def _tenant(session: AsyncSession) -> Tenant:
    return (
        await session.execute(select(Tenant).where(Tenant.id == current_tenant(session)))
    ).scalar_one()


async def _writable(
    session: AsyncSession, pair_id: uuid.UUID | str, actor_id: uuid.UUID | str
) -> Space:
    return require_writable(await space_for(session, pair_id, actor_id, lock=True))


async def _meeting(session: AsyncSession, space: Space, meeting_id: uuid.UUID | str) -> Meeting:
    """The pair's meeting, locked; any other id (another pair's too) is not found."""
    try:
        key = uuid.UUID(str(meeting_id))
    except ValueError:
        raise NotFound("meeting") from None
    found = (
        await session.execute(
            select(Meeting)
            .where(Meeting.id == key, Meeting.pair_id == space.pair.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("meeting")
    return found


def _other(space: Space) -> Member:
    assert space.other is not None  # a party (require_writable)
    return space.other


def _audit(session: AsyncSession, action: str, space: Space, meeting: Meeting) -> None:
    audit.record(
        session,
        action,
        actor=space.viewer.email,
        subject=str(meeting.id),
        details={"pair": str(space.pair.id), "state": meeting.state, "sequence": meeting.sequence},
    )


def _key(meeting: Meeting, event: str, member: Member) -> str:
    return f"meeting:{meeting.id}:{event}:s{meeting.sequence}:{member.id}"


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


# --- actions ------------------------------------------------------------------------------


async def propose(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    times: Sequence[NewTime],
    *,
    lock_version: int | None = None,
    now: datetime | None = None,
) -> list[Meeting]:
    """One to three new times, each a proposal to the other person (`meeting_proposed`)."""
    now = _now(now)
    if not times:
        raise Problems([Problem(path="date1", message="Give at least one date and time")])
    if len(times) > PROPOSALS_MAX:
        raise Problems([Problem(message=f"Propose at most {PROPOSALS_MAX} meetings at a time")])
    problems: list[Problem] = []
    for t in times:
        _check_time(t, now, problems, future=True)
    if problems:
        raise Problems(problems)
    async with db.tenant(tenant_id) as session:
        space = await _writable(session, pair_id, actor_id)
        _check_version(space.pair.lock_version, lock_version, "relationship")
        tenant = await _tenant(session)
        zone = tenant_zone(tenant.jurisdiction)
        other = _other(space)
        made = []
        for t in times:
            place, link = _clean(t)
            meeting = Meeting(
                tenant_id=tenant.id,
                id=uuid.uuid4(),
                pair_id=space.pair.id,
                starts_at=t.starts_at,
                minutes=t.minutes,
                mode=t.mode,
                place=place,
                link=link,
                state="proposed",
                proposed_by=space.viewer.id,
                sequence=0,
                created_at=now,
                updated_at=now,
                lock_version=0,
            )
            session.add(meeting)
            made.append(meeting)
        await session.flush()
        for meeting in made:
            _audit(session, "meeting_proposed", space, meeting)
            await send_many(
                session,
                tenant,
                "meeting_proposed",
                [
                    Outgoing(
                        _mail_context(tenant, meeting, space.viewer, zone),
                        _key(meeting, "proposed", other),
                        to_member=other,
                    )
                ],
            )
        return made


async def accept(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    meeting_id: uuid.UUID | str,
    *,
    lock_version: int | None = None,
    now: datetime | None = None,
) -> Meeting:
    """The other person accepts a proposed time: scheduled; both get the invitation
    (`meeting_scheduled`, or `meeting_changed` for a moved meeting) with a REQUEST."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        space = await _writable(session, pair_id, actor_id)
        meeting = await _meeting(session, space, meeting_id)
        _check_version(meeting.lock_version, lock_version, "meeting")
        if meeting.state != "proposed":
            raise Refused("Only a proposed meeting can be accepted.")
        if meeting.proposed_by == space.viewer.id:
            raise Refused("You proposed this time; the other person accepts it.")
        if meeting.starts_at <= now:
            raise Refused("This time has passed; propose another one.")
        moved = meeting.answered_at is not None
        meeting.state = "scheduled"
        meeting.answered_by = space.viewer.id
        meeting.answered_at = now
        meeting.updated_at = now
        meeting.lock_version += 1
        _audit(session, "meeting_accepted", space, meeting)
        tenant = await _tenant(session)
        zone = tenant_zone(tenant.jurisdiction)
        invite = _ics(tenant, space, meeting, "REQUEST", now)
        event = "changed" if moved else "scheduled"
        await send_many(
            session,
            tenant,
            f"meeting_{event}",
            [
                Outgoing(
                    _mail_context(tenant, meeting, other, zone),
                    _key(meeting, event, person),
                    to_member=person,
                    attachments=(invite,),
                )
                for person, other in ((space.mentor, space.mentee), (space.mentee, space.mentor))
            ],
        )
        return meeting


async def decline(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    meeting_id: uuid.UUID | str,
    *,
    reason: str = "",
    lock_version: int | None = None,
    now: datetime | None = None,
) -> Meeting:
    """The other person declines a proposed time (optional reason): the proposer is told
    (`meeting_declined`); a moved meeting that had been scheduled is cancelled in both
    calendars."""
    now = _now(now)
    reason = _reason(reason)
    async with db.tenant(tenant_id) as session:
        space = await _writable(session, pair_id, actor_id)
        meeting = await _meeting(session, space, meeting_id)
        _check_version(meeting.lock_version, lock_version, "meeting")
        if meeting.state != "proposed":
            raise Refused("Only a proposed meeting can be declined.")
        if meeting.proposed_by == space.viewer.id:
            raise Refused("You proposed this time; cancel it instead.")
        in_calendars = meeting.answered_at is not None
        meeting.state = "declined"
        meeting.answered_by = space.viewer.id
        meeting.answered_at = now
        meeting.cancel_reason = reason
        meeting.updated_at = now
        meeting.lock_version += 1
        if in_calendars:
            meeting.sequence += 1
        _audit(session, "meeting_declined", space, meeting)
        tenant = await _tenant(session)
        zone = tenant_zone(tenant.jurisdiction)
        proposer = space.mentor if meeting.proposed_by == space.mentor.id else space.mentee
        cancel_ics = (_ics(tenant, space, meeting, "CANCEL", now),) if in_calendars else ()
        context = {
            "other_name": space.viewer.display_name,
            "when": when_words(meeting.starts_at, zone),
            "reason": reason,
            "link": _meetings_link(tenant, meeting.pair_id),
        }
        await send_many(
            session,
            tenant,
            "meeting_declined",
            [
                Outgoing(
                    context,
                    _key(meeting, "declined", proposer),
                    to_member=proposer,
                    attachments=cancel_ics,
                )
            ],
        )
        if in_calendars:
            await send_many(
                session,
                tenant,
                "meeting_cancelled",
                [
                    Outgoing(
                        {
                            **context,
                            "other_name": proposer.display_name,
                            "reason": "You declined the new time.",
                        },
                        _key(meeting, "cancelled", space.viewer),
                        to_member=space.viewer,
                        attachments=cancel_ics,
                    )
                ],
            )
        return meeting


async def reschedule(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    meeting_id: uuid.UUID | str,
    new: NewTime,
    *,
    lock_version: int | None = None,
    now: datetime | None = None,
) -> Meeting:
    """Either person proposes a new time for a proposed or scheduled meeting: SEQUENCE up,
    a proposal again for the other to accept (`meeting_proposed`)."""
    now = _now(now)
    problems: list[Problem] = []
    _check_time(new, now, problems, future=True)
    if problems:
        raise Problems(problems)
    async with db.tenant(tenant_id) as session:
        space = await _writable(session, pair_id, actor_id)
        meeting = await _meeting(session, space, meeting_id)
        _check_version(meeting.lock_version, lock_version, "meeting")
        if meeting.state not in ("proposed", "scheduled"):
            raise Refused("Only a proposed or scheduled meeting can be moved.")
        place, link = _clean(new)
        meeting.starts_at = new.starts_at
        meeting.minutes = new.minutes
        meeting.mode = new.mode
        meeting.place = place
        meeting.link = link
        meeting.state = "proposed"
        meeting.proposed_by = space.viewer.id
        meeting.sequence += 1
        meeting.updated_at = now
        meeting.lock_version += 1
        _audit(session, "meeting_rescheduled", space, meeting)
        tenant = await _tenant(session)
        other = _other(space)
        await send_many(
            session,
            tenant,
            "meeting_proposed",
            [
                Outgoing(
                    _mail_context(tenant, meeting, space.viewer, tenant_zone(tenant.jurisdiction)),
                    _key(meeting, "proposed", other),
                    to_member=other,
                )
            ],
        )
        return meeting


async def cancel(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    meeting_id: uuid.UUID | str,
    *,
    reason: str = "",
    lock_version: int | None = None,
    now: datetime | None = None,
) -> Meeting:
    """Either person cancels a proposed or scheduled meeting (optional reason): the other
    is told; a meeting in the calendars is cancelled there for both (CANCEL, SEQUENCE + 1)."""
    now = _now(now)
    reason = _reason(reason)
    async with db.tenant(tenant_id) as session:
        space = await _writable(session, pair_id, actor_id)
        meeting = await _meeting(session, space, meeting_id)
        _check_version(meeting.lock_version, lock_version, "meeting")
        if meeting.state not in ("proposed", "scheduled"):
            raise Refused("Only a proposed or scheduled meeting can be cancelled.")
        in_calendars = meeting.state == "scheduled" or meeting.answered_at is not None
        meeting.state = "cancelled"
        meeting.cancelled_by = space.viewer.id
        meeting.cancel_reason = reason
        meeting.updated_at = now
        meeting.lock_version += 1
        if in_calendars:
            meeting.sequence += 1
        _audit(session, "meeting_cancelled", space, meeting)
        tenant = await _tenant(session)
        zone = tenant_zone(tenant.jurisdiction)
        other = _other(space)
        attachments = (_ics(tenant, space, meeting, "CANCEL", now),) if in_calendars else ()
        people = [(other, space.viewer)]
        if in_calendars:
            people.append((space.viewer, other))
        await send_many(
            session,
            tenant,
            "meeting_cancelled",
            [
                Outgoing(
                    {
                        "other_name": about.display_name,
                        "when": when_words(meeting.starts_at, zone),
                        "reason": reason if person is other else "You cancelled it.",
                        "link": _meetings_link(tenant, meeting.pair_id),
                    },
                    _key(meeting, "cancelled", person),
                    to_member=person,
                    attachments=attachments,
                )
                for person, about in people
            ],
        )
        return meeting


async def record_held(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    meeting_id: uuid.UUID | str | None,
    *,
    held_minutes: int,
    record: str = "",
    held: NewTime | None = None,
    lock_version: int | None = None,
    now: datetime | None = None,
) -> Meeting:
    """Record a meeting as held: its actual minutes and a short agenda / actions. With
    `meeting_id` None, a meeting held but never arranged here (`held`: when, how, where;
    `lock_version` is then the pair's)."""
    now = _now(now)
    problems: list[Problem] = []
    if isinstance(held_minutes, bool) or not MINUTES_MIN <= held_minutes <= MINUTES_MAX:
        problems.append(
            Problem(
                path="held_minutes",
                message=f"Length must be {MINUTES_MIN} to {MINUTES_MAX} minutes",
            )
        )
    record = (record or "").strip()
    if len(record) > RECORD_MAX:
        problems.append(
            Problem(path="record", message=f"Notes must be {RECORD_MAX} characters or fewer")
        )
    if meeting_id is None:
        if held is None:
            raise ValueError("a meeting not arranged here needs its time")
        _check_held_time(held, now, problems)
    if problems:
        raise Problems(problems)
    async with db.tenant(tenant_id) as session:
        space = await _writable(session, pair_id, actor_id)
        if meeting_id is None:
            assert held is not None
            _check_version(space.pair.lock_version, lock_version, "relationship")
            tenant = await _tenant(session)
            day = held.starts_at.astimezone(tenant_zone(tenant.jurisdiction)).date()
            if day < space.pair.matched_on:
                raise Problems(
                    [
                        Problem(
                            path=f"date{held.row}",
                            message=f"The meeting must be on or after the match "
                            f"({_day(space.pair.matched_on)})",
                        )
                    ]
                )
            place, link = _clean(held)
            meeting = Meeting(
                tenant_id=tenant.id,
                id=uuid.uuid4(),
                pair_id=space.pair.id,
                starts_at=held.starts_at,
                minutes=held_minutes,
                mode=held.mode,
                place=place,
                link=link,
                state="held",
                proposed_by=space.viewer.id,
                sequence=0,
                created_at=now,
                lock_version=0,
            )
            session.add(meeting)
        else:
            meeting = await _meeting(session, space, meeting_id)
            _check_version(meeting.lock_version, lock_version, "meeting")
            if meeting.state not in ("proposed", "scheduled", "held"):
                raise Refused("A declined or cancelled meeting cannot be recorded as held.")
            if meeting.starts_at > now:
                raise Refused("This meeting has not started yet; record it once it was held.")
            meeting.state = "held"
            meeting.lock_version += 1
        meeting.held_minutes = held_minutes
        meeting.record = record
        meeting.recorded_by = space.viewer.id
        meeting.recorded_at = now
        meeting.updated_at = now
        space.pair.items_stale = True  # checkpoints.sync adds its after-meeting items
        await session.flush()
        _audit(session, "meeting_recorded", space, meeting)
        return meeting


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise Problems(
            [Problem(path="reason", message=f"Reason must be {REASON_MAX} characters or fewer")]
        )
    return reason


def _day(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


# --- reads ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingsPage:
    """A pair's meetings as one of its people sees them."""

    waiting_for_me: list[Meeting]
    waiting_for_them: list[Meeting]
    upcoming: list[Meeting]
    #: Scheduled meetings whose time has passed: record them as held.
    to_record: list[Meeting]
    held: list[Meeting]
    #: Declined and cancelled ones, newest first.
    closed: list[Meeting]


async def pair_meetings(session: AsyncSession, space: Space) -> list[Meeting]:
    """Every meeting of the pair, by start (the pair's two people only)."""
    require_party(space)
    return list(
        (
            await session.execute(
                select(Meeting)
                .where(Meeting.pair_id == space.pair.id)
                .order_by(Meeting.starts_at, Meeting.id)
            )
        ).scalars()
    )


def sort_meetings(meetings: Sequence[Meeting], viewer_id: uuid.UUID, now: datetime) -> MeetingsPage:
    page = MeetingsPage([], [], [], [], [], [])
    for m in meetings:
        if m.state == "proposed":
            if m.starts_at <= now:
                page.to_record.append(m)
            elif m.proposed_by == viewer_id:
                page.waiting_for_them.append(m)
            else:
                page.waiting_for_me.append(m)
        elif m.state == "scheduled":
            (page.upcoming if m.starts_at > now else page.to_record).append(m)
        elif m.state == "held":
            page.held.append(m)
        else:
            page.closed.append(m)
    page.held.reverse()
    page.closed.reverse()
    return page


async def one_meeting(session: AsyncSession, space: Space, meeting_id: uuid.UUID | str) -> Meeting:
    """One meeting of the pair (its two people only); any other id is not found."""
    require_party(space)
    try:
        key = uuid.UUID(str(meeting_id))
    except ValueError:
        raise NotFound("meeting") from None
    found = (
        await session.execute(
            select(Meeting).where(Meeting.id == key, Meeting.pair_id == space.pair.id)
        )
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("meeting")
    return found


async def cadence_of(
    session: AsyncSession, space: Space, tenant: Tenant, now: datetime | None = None
) -> CadenceSummary:
    """The pair's meetings against its scheme's cadence (the pair and the coordinator: it
    reads only held meetings' days and minutes, the counts the coordinator may see)."""
    zone = tenant_zone(tenant.jurisdiction)
    rows = (
        await session.execute(
            select(Meeting.starts_at, Meeting.held_minutes, Meeting.minutes).where(
                Meeting.pair_id == space.pair.id, Meeting.state == "held"
            )
        )
    ).all()
    held = [Held(s.astimezone(zone).date(), hm if hm is not None else m) for s, hm, m in rows]
    pair = space.pair
    ended_on = pair.ended_at.astimezone(zone).date() if pair.ended_at is not None else None
    return summarise(
        space.scheme,
        facts_of(pair, space.cohort, space.scheme),
        held,
        _now(now).astimezone(zone).date(),
        jurisdiction=tenant.jurisdiction,
        ended_on=ended_on,
    )
