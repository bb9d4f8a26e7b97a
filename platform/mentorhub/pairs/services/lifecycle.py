"""Pair actions: making pairs (the one path every matching flow takes), ending, removing,
extending, and reopening a mentee for a new match.

`create_pairs` is THE function that makes pairs — the coordinator's publication calls it
with a whole cohort, the suggest-and-accept and mutual-acceptance flows with one pair
(`create_pair`) — inside the caller's tenant transaction, so a flow's own change (a request
accepted, a proposal agreed, a run published) and its pairs commit together or not at all.

Capacity under concurrency: before counting a mentor's live pairs, the mentor's capacity row
for the cohort (`mentor_capacities`, created on first use from the application's capacity
answer or the scheme's `capacity_default`) is locked `FOR UPDATE`, always in the same order
(by id) so two batches cannot deadlock. Two mentees accepted for a mentor's last place at the
same moment: the second transaction waits on the lock, then (READ COMMITTED: each statement
sees what committed before it) counts the first one's pair and is refused with
:class:`CapacityFull`. The partial unique indexes (one live pair per mentor+mentee and per
mentee application) back the rest up.

Each created pair gets its audit row (`pair_created`) and a `match_made` message to each
person (idempotency key `pair:<id>:made:<role>`).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy import insert as sa_insert
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.applications.models import Application, Cohort
from mentorhub.applications.services import scheme_of
from mentorhub.core import audit
from mentorhub.core.problems import Problem, Problems
from mentorhub.core.text import TEXT, BadText, clean_text
from mentorhub.db import Database
from mentorhub.db.access import NotFound, get_in_tenant
from mentorhub.db.session import current_tenant
from mentorhub.identity.models import Member, Role
from mentorhub.matching.models import MentorCapacity
from mentorhub.messages.delivery import base_url
from mentorhub.messages.services import Outgoing, send, send_many
from mentorhub.pairs import rules
from mentorhub.pairs.models import FLOWS, Pair
from mentorhub.pairs.rules import Refused
from mentorhub.schemes import forms
from mentorhub.schemes.errors import FactsError
from mentorhub.schemes.rules import CohortDuration, Scheme
from mentorhub.schemes.timeline import PairFacts, Span, relationship_span
from mentorhub.settings import get_settings
from mentorhub.tenancy.models import Tenant

__all__ = [
    "AlreadyPaired",
    "CapacityFull",
    "NewPair",
    "Refused",
    "apply_extension",
    "capacity_for",
    "create_pair",
    "create_pairs",
    "end_locked",
    "end_pair",
    "extend_pair",
    "facts_of",
    "lock_capacities",
    "locked_pair",
    "pair_link",
    "remove_pair",
    "reopen_for_rematch",
    "span_of",
]

STAFF = frozenset({Role.COORDINATOR, Role.TENANT_ADMIN})
REASON_MAX = 2000

_END_WORDS = {
    "completed": "it is completed",
    "ended_early": "it was ended early",
    "removed": "it was ended by the coordinator",
}


_END_ACTIONS: dict[str, rules.Action] = {
    "completed": "complete",
    "ended_early": "end_early",
    "removed": "remove",
}


class CapacityFull(Refused):
    """The mentor has no free place left in the cohort; nothing was written."""


class AlreadyPaired(Refused):
    """One of the two already has a live pair that rules this one out."""


@dataclass(frozen=True)
class NewPair:
    """What a flow knows about a pair it is about to make."""

    cohort_id: uuid.UUID
    mentor_id: uuid.UUID
    mentee_id: uuid.UUID
    flow: str
    mentor_application_id: uuid.UUID | None = None
    mentee_application_id: uuid.UUID | None = None
    score: float | None = None
    #: The engine's contributions ([{"criterion", "kind", "points", "detail"}]).
    explanation: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    run_id: uuid.UUID | None = None
    request_id: uuid.UUID | None = None
    proposal_id: uuid.UUID | None = None
    #: Why they were matched, in plain words, for the mail (optional).
    why: str = ""


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _day(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


async def _tenant(session: AsyncSession) -> Tenant:
    return (
        await session.execute(select(Tenant).where(Tenant.id == current_tenant(session)))
    ).scalar_one()


def pair_link(tenant: Tenant, pair_id: uuid.UUID) -> str:
    return f"{base_url(get_settings(), tenant)}/pairs/{pair_id}"


# --- capacity ------------------------------------------------------------------------------


def capacity_for(scheme: Scheme, answers: Mapping[str, Any] | None) -> tuple[int, str]:
    """A mentor's places and where the number comes from: the application's capacity
    answer (a form question feeding `capacity`), else the scheme's `capacity_default`, else
    1 (the cautious reading of a mentor who did not say)."""
    form = forms.form_for(scheme, "mentor")
    if form is not None and answers:
        declared = forms.matching_fields(form, answers).get("capacity")
        if (
            isinstance(declared, int | float)
            and not isinstance(declared, bool)
            and declared >= 0
            and float(declared) == int(declared)
        ):
            return int(declared), "declared"
    return scheme.matching.capacity_default or 1, "scheme_default"


async def lock_capacities(
    session: AsyncSession,
    wanted: Iterable[tuple[uuid.UUID, uuid.UUID, uuid.UUID | None]],
) -> dict[tuple[uuid.UUID, uuid.UUID], MentorCapacity]:
    """The capacity rows of (cohort, mentor[, mentor application]) — created where missing
    (from the application's answer or the scheme's default) — locked FOR UPDATE until the
    transaction ends, in id order (so concurrent batches never deadlock)."""
    keys: dict[tuple[uuid.UUID, uuid.UUID], uuid.UUID | None] = {}
    for cohort_id, mentor_id, application_id in wanted:
        if keys.get((cohort_id, mentor_id)) is None:
            keys[(cohort_id, mentor_id)] = application_id
    if not keys:
        return {}
    cohort_ids = {c for c, _ in keys}
    mentor_ids = {m for _, m in keys}
    existing = set(
        await session.execute(
            select(MentorCapacity.cohort_id, MentorCapacity.mentor_id).where(
                MentorCapacity.cohort_id.in_(cohort_ids),
                MentorCapacity.mentor_id.in_(mentor_ids),
            )
        )
    )
    missing = {k: a for k, a in keys.items() if k not in existing}
    if missing:
        tenant_id = current_tenant(session)
        cohorts = {
            c.id: c
            for c in (
                await session.execute(select(Cohort).where(Cohort.id.in_({c for c, _ in missing})))
            ).scalars()
        }
        app_ids = {a for a in missing.values() if a is not None}
        answers: dict[uuid.UUID, dict[str, Any]] = {}
        if app_ids:
            answers = {
                i: a
                for i, a in (
                    await session.execute(
                        select(Application.id, Application.answers).where(
                            Application.id.in_(app_ids)
                        )
                    )
                )
            }
        rows = []
        for (cohort_id, mentor_id), application_id in missing.items():
            cohort = cohorts.get(cohort_id)
            if cohort is None:
                raise NotFound("cohort")
            scheme = await scheme_of(session, cohort.scheme_version)
            places, source = capacity_for(
                scheme, answers.get(application_id) if application_id else None
            )
            rows.append(
                {
                    "tenant_id": tenant_id,
                    "id": uuid.uuid4(),
                    "cohort_id": cohort_id,
                    "mentor_id": mentor_id,
                    "application_id": application_id,
                    "capacity": places,
                    "source": source,
                }
            )
        await session.execute(
            insert(MentorCapacity.__table__)  # type: ignore[arg-type]
            .values(rows)
            .on_conflict_do_nothing(index_elements=["tenant_id", "cohort_id", "mentor_id"])
        )
    locked = (
        await session.execute(
            select(MentorCapacity)
            .where(
                MentorCapacity.cohort_id.in_(cohort_ids),
                MentorCapacity.mentor_id.in_(mentor_ids),
            )
            .order_by(MentorCapacity.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalars()
    return {(c.cohort_id, c.mentor_id): c for c in locked if (c.cohort_id, c.mentor_id) in keys}


async def live_counts(
    session: AsyncSession, cohort_ids: Iterable[uuid.UUID], mentor_ids: Iterable[uuid.UUID]
) -> Counter[tuple[uuid.UUID, uuid.UUID]]:
    """Live pairs per (cohort, mentor) — what counts against a mentor's capacity."""
    rows = await session.execute(
        select(Pair.cohort_id, Pair.mentor_id, func.count())
        .where(
            Pair.state.in_(rules.LIVE),
            Pair.cohort_id.in_(set(cohort_ids)),
            Pair.mentor_id.in_(set(mentor_ids)),
        )
        .group_by(Pair.cohort_id, Pair.mentor_id)
    )
    return Counter({(c, m): int(n) for c, m, n in rows})


# --- making pairs --------------------------------------------------------------------------


def _check_shape(news: Sequence[NewPair]) -> None:
    seen_apps: set[uuid.UUID] = set()
    seen_people: set[tuple[uuid.UUID, uuid.UUID]] = set()
    for new in news:
        if new.flow not in FLOWS:
            raise ValueError(f"unknown matching flow {new.flow!r}")
        if new.mentor_id == new.mentee_id:
            raise Refused("A member cannot mentor themselves.")
        if (new.mentor_id, new.mentee_id) in seen_people:
            raise AlreadyPaired("The same mentor and mentee are paired twice.")
        seen_people.add((new.mentor_id, new.mentee_id))
        if new.mentee_application_id is not None:
            if new.mentee_application_id in seen_apps:
                raise AlreadyPaired("A mentee is given two mentors.")
            seen_apps.add(new.mentee_application_id)


async def _check_live(
    session: AsyncSession, news: Sequence[NewPair], names: Mapping[uuid.UUID, Member]
) -> None:
    """Refuse (with names) what the unique indexes would refuse anyway."""
    apps = {n.mentee_application_id for n in news if n.mentee_application_id is not None}
    if apps:
        taken = (
            (
                await session.execute(
                    select(Pair.mentee_id).where(
                        Pair.state.in_(rules.LIVE), Pair.mentee_application_id.in_(apps)
                    )
                )
            )
            .scalars()
            .first()
        )
        if taken is not None:
            who = names[taken].display_name if taken in names else "A mentee"
            raise AlreadyPaired(f"{who} already has a mentor in this cohort.")
    mentees = {n.mentee_id for n in news}
    live = set(
        await session.execute(
            select(Pair.mentor_id, Pair.mentee_id).where(
                Pair.state.in_(rules.LIVE), Pair.mentee_id.in_(mentees)
            )
        )
    )
    for n in news:
        if (n.mentor_id, n.mentee_id) in live:
            raise AlreadyPaired(
                f"{names[n.mentor_id].display_name} and {names[n.mentee_id].display_name} "
                "are already a pair."
            )


async def create_pairs(
    session: AsyncSession,
    news: Sequence[NewPair],
    *,
    actor_id: uuid.UUID | None,
    actor: str | None = None,
    now: datetime | None = None,
) -> list[Pair]:
    """Make every pair in `news` in the caller's tenant transaction, or none: capacity
    (locked), no live pair in the way, each pair audited and both people mailed. Raises
    :class:`CapacityFull`, :class:`AlreadyPaired` (or :class:`Refused`) before writing."""
    if not news:
        return []
    now = _now(now)
    _check_shape(news)
    tenant = await _tenant(session)
    cohort_ids = {n.cohort_id for n in news}
    cohorts = {
        c.id: c
        for c in (await session.execute(select(Cohort).where(Cohort.id.in_(cohort_ids)))).scalars()
    }
    if len(cohorts) != len(cohort_ids):
        raise NotFound("cohort")
    people = {n.mentor_id for n in news} | {n.mentee_id for n in news}
    members = {
        m.id: m
        for m in (await session.execute(select(Member).where(Member.id.in_(people)))).scalars()
    }
    if len(members) != len(people):
        raise NotFound("member")

    capacities = await lock_capacities(
        session, ((n.cohort_id, n.mentor_id, n.mentor_application_id) for n in news)
    )
    wanted = Counter((n.cohort_id, n.mentor_id) for n in news)
    have = await live_counts(session, cohort_ids, {m for _, m in wanted})
    full = [key for key, more in wanted.items() if have[key] + more > capacities[key].capacity]
    if full:
        names = sorted(members[m].display_name for _, m in full)
        cap = capacities[full[0]]
        raise CapacityFull(
            f"{names[0]} has no free place left (capacity {cap.capacity}, "
            f"{have[full[0]]} already matched)."
            if len(full) == 1
            else f"These mentors have no free place left: {', '.join(names)}."
        )
    await _check_live(session, news, members)

    tenant_id = current_tenant(session)
    today = now.date()
    pairs = [
        Pair(
            tenant_id=tenant_id,
            id=uuid.uuid4(),
            cohort_id=n.cohort_id,
            scheme_version=cohorts[n.cohort_id].scheme_version,
            mentor_id=n.mentor_id,
            mentee_id=n.mentee_id,
            mentor_application_id=n.mentor_application_id,
            mentee_application_id=n.mentee_application_id,
            matched_on=today,
            flow=n.flow,
            run_id=n.run_id,
            request_id=n.request_id,
            proposal_id=n.proposal_id,
            score=n.score,
            explanation=[dict(c) for c in n.explanation],
            created_by=actor_id,
            state="active",
            extensions=[],
            lock_version=0,
            items_stale=True,
            quiet_stage=0,
        )
        for n in news
    ]
    # Core executemany (multi-row INSERTs): thousands of ORM objects in the unit of work, or
    # the ORM's bulk path, would cost seconds on a published run. The returned Pair objects
    # are not in the session (create_pair returns the stored one).
    table = Pair.__table__
    columns = [c.key for c in table.columns if c.key != "created_at"]
    # RETURNING makes SQLAlchemy send multi-row INSERTs ("insertmanyvalues") instead of
    # one statement per row.
    await session.execute(
        sa_insert(table).returning(table.c.id),  # type: ignore[arg-type]
        [{key: getattr(p, key) for key in columns} for p in pairs],
    )
    await audit.record_many(
        session,
        "pair_created",
        actor=actor,
        entries=[
            (
                str(p.id),
                {
                    "flow": p.flow,
                    "cohort": str(p.cohort_id),
                    "mentor": str(p.mentor_id),
                    "mentee": str(p.mentee_id),
                    "run": str(p.run_id) if p.run_id else None,
                    "request": str(p.request_id) if p.request_id else None,
                    "proposal": str(p.proposal_id) if p.proposal_id else None,
                    "score": p.score,
                },
            )
            for p in pairs
        ],
    )
    outgoing: list[Outgoing] = []
    root = base_url(get_settings(), tenant)  # once: it reads the environment
    for p, n in zip(pairs, news, strict=True):
        link = f"{root}/pairs/{p.id}"
        cohort = cohorts[p.cohort_id].name
        for role, me, other in (
            ("mentor", p.mentor_id, p.mentee_id),
            ("mentee", p.mentee_id, p.mentor_id),
        ):
            context: dict[str, Any] = {
                "role": role,
                "other_name": members[other].display_name,
                "cohort": cohort,
                "link": link,
            }
            if n.why:
                context["why"] = n.why
            outgoing.append(Outgoing(context, f"pair:{p.id}:made:{role}", to_member=members[me]))
    await send_many(session, tenant, "match_made", outgoing)
    return pairs


async def create_pair(
    session: AsyncSession,
    new: NewPair,
    *,
    actor_id: uuid.UUID | None,
    actor: str | None = None,
    now: datetime | None = None,
) -> Pair:
    """One pair, through :func:`create_pairs` (the same checks, lock and messages)."""
    [made] = await create_pairs(session, [new], actor_id=actor_id, actor=actor, now=now)
    return await get_in_tenant(session, Pair, made.id, what="pair")


# --- the pair's timeline facts ---------------------------------------------------------------


def facts_of(pair: Pair, cohort: Cohort, scheme: Scheme) -> PairFacts:
    """What the timeline is computed from: the match date, the cohort's start (for a cohort
    scheme only when it falls in the scheme's start month), the extensions."""
    d = scheme.duration
    cohort_start: date | None = cohort.starts_on
    if isinstance(d, CohortDuration) and cohort.starts_on.month != d.start_month:
        cohort_start = None
    return PairFacts(
        matched_on=pair.matched_on,
        cohort_start=cohort_start,
        extensions=tuple(
            (date.fromisoformat(str(e["agreed_on"])), int(e["months"])) for e in pair.extensions
        ),
    )


async def span_of(session: AsyncSession, pair: Pair) -> Span:
    """The pair's start, official end (extensions included) and midpoint, recomputed from
    its stored scheme version and dates."""
    cohort = await get_in_tenant(session, Cohort, pair.cohort_id, what="cohort")
    scheme = await scheme_of(session, pair.scheme_version)
    return relationship_span(scheme, facts_of(pair, cohort, scheme))


# --- ending, extending, re-matching ------------------------------------------------------------


async def locked_pair(session: AsyncSession, pair_id: uuid.UUID | str) -> Pair:
    """The pair, locked FOR UPDATE until the transaction ends (NotFound for a bad id)."""
    return await _locked_pair(session, pair_id)


async def _locked_pair(session: AsyncSession, pair_id: uuid.UUID | str) -> Pair:
    try:
        key = uuid.UUID(str(pair_id))
    except ValueError:
        raise NotFound("pair") from None
    pair = (
        await session.execute(
            select(Pair)
            .where(Pair.id == key)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if pair is None:
        raise NotFound("pair")
    return pair


def _actor_kind(pair: Pair, actor: Member) -> rules.Actor:
    """The actor's part in the pair; anyone else's pair is not found."""
    if STAFF & set(actor.roles):
        return "coordinator"
    if actor.id == pair.mentor_id:
        return "mentor"
    if actor.id == pair.mentee_id:
        return "mentee"
    raise NotFound("pair")


def _check_version(pair: Pair, lock_version: int | None) -> None:
    if lock_version is not None and lock_version != pair.lock_version:
        raise Refused(
            "This relationship changed since the page was shown. Nothing was changed: look "
            "at it again and repeat."
        )


async def _tell_both(
    session: AsyncSession, pair: Pair, kind: str, event: str, **extra: Any
) -> None:
    tenant = await _tenant(session)
    cohort = await get_in_tenant(session, Cohort, pair.cohort_id, what="cohort")
    members = {
        m.id: m
        for m in (
            await session.execute(
                select(Member).where(Member.id.in_((pair.mentor_id, pair.mentee_id)))
            )
        ).scalars()
    }
    for role, me, other in (
        ("mentor", pair.mentor_id, pair.mentee_id),
        ("mentee", pair.mentee_id, pair.mentor_id),
    ):
        await send(
            session,
            tenant,
            kind,
            {
                "role": role,
                "other_name": members[other].display_name,
                "cohort": cohort.name,
                "link": pair_link(tenant, pair.id),
                **extra,
            },
            f"pair:{pair.id}:v{pair.lock_version}:{event}:{role}",
            to_member=members[me],
        )


def _clean_reason(reason: str) -> str:
    try:
        return clean_text(reason or "", label="Reason", kind=TEXT, max_length=REASON_MAX)
    except BadText as exc:
        raise Problems([Problem(path="reason", message=str(exc))]) from None


async def _end(
    session: AsyncSession,
    pair: Pair,
    actor: Member,
    kind: rules.EndKind,
    reason: str,
    now: datetime,
) -> None:
    pair.state = "ended"
    pair.end_kind = kind
    pair.ended_by = actor.id
    pair.ended_at = now
    pair.end_reason = reason or None
    pair.items_stale = True  # checkpoints.sync cancels or moves its items
    pair.lock_version += 1
    pair.updated_at = now
    audit.record(
        session,
        f"pair_{kind}",
        actor=actor.email,
        subject=str(pair.id),
        details={"reason": reason} if reason else {},
    )
    await session.flush()
    await _tell_both(session, pair, "match_ended", kind, how=_END_WORDS[kind])


async def end_locked(
    session: AsyncSession,
    pair: Pair,
    actor: Member,
    who: rules.Actor,
    *,
    kind: rules.EndKind = "ended_early",
    reason: str = "",
    lock_version: int | None = None,
    now: datetime | None = None,
) -> str:
    """End `pair` (already locked FOR UPDATE by the caller's transaction) as `who`: the
    version, the reason and the scheme's rules checked, then ended, audited and both people
    told (`match_ended`). Returns the cleaned reason. Used by :func:`end_pair` and by the
    pair's own ending (`pairs.services.ending`), which decides `who` from the space."""
    now = _now(now)
    if kind not in _END_ACTIONS:
        raise Problems([Problem(path="kind", message="Choose how the relationship ends")])
    _check_version(pair, lock_version)
    reason = _clean_reason(reason)
    scheme = await scheme_of(session, pair.scheme_version)
    why_not = rules.refusal(
        pair.state,
        _END_ACTIONS[kind],
        who,
        either_party_may_end=scheme.relationship.either_party_may_end,
        reason=reason,
    )
    if why_not:
        raise Refused(why_not)
    await _end(session, pair, actor, kind, reason, now)
    return reason


async def end_pair(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    *,
    kind: rules.EndKind = "ended_early",
    reason: str = "",
    lock_version: int | None = None,
    now: datetime | None = None,
) -> Pair:
    """End a live pair: `completed` or `removed` (coordinator; removal needs a reason), or
    `ended_early` (the coordinator, or either party where the scheme allows it). Both are
    told. Capacity frees itself: only live pairs count."""
    now = _now(now)
    if kind not in _END_ACTIONS:
        raise Problems([Problem(path="kind", message="Choose how the relationship ends")])
    async with db.tenant(tenant_id) as session:
        actor = await get_in_tenant(session, Member, actor_id, what="pair")
        pair = await _locked_pair(session, pair_id)
        who = _actor_kind(pair, actor)
        await end_locked(
            session, pair, actor, who, kind=kind, reason=reason, lock_version=lock_version, now=now
        )
        return pair


async def remove_pair(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    *,
    reason: str,
    lock_version: int | None = None,
    now: datetime | None = None,
) -> Pair:
    """The coordinator removes a pair, with a reason (an ethics breach, Alberta)."""
    return await end_pair(
        db,
        tenant_id,
        actor_id,
        pair_id,
        kind="removed",
        reason=reason,
        lock_version=lock_version,
        now=now,
    )


async def apply_extension(
    session: AsyncSession,
    pair: Pair,
    actor: Member,
    *,
    months: int,
    agreed_on: date,
    now: datetime,
    details: Mapping[str, Any] | None = None,
) -> Span:
    """Apply an extension both people agreed to `pair` (locked FOR UPDATE by the caller's
    transaction, live): the official end moves `months` later within the scheme's limits
    (the timeline engine's check), audited (`pair_extended`), both told (`match_extended`).
    Used by :func:`extend_pair` (the coordinator records it) and by the pair's own
    agreement to a proposed extension (`pairs.services.ending`)."""
    if not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= 24:
        raise Problems([Problem(path="months", message="Give a whole number of months, 1 to 24")])
    if pair.state not in rules.LIVE:
        raise Refused("This relationship has already ended.")
    cohort = await get_in_tenant(session, Cohort, pair.cohort_id, what="cohort")
    scheme = await scheme_of(session, pair.scheme_version)
    extensions = [*pair.extensions, {"agreed_on": agreed_on.isoformat(), "months": months}]
    facts = facts_of(pair, cohort, scheme)
    facts = PairFacts(
        matched_on=facts.matched_on,
        cohort_start=facts.cohort_start,
        extensions=(*facts.extensions, (agreed_on, months)),
    )
    try:
        span = relationship_span(scheme, facts)
    except FactsError as exc:
        raise Problems([Problem(path="months", message=m) for m in exc.problems]) from None
    pair.extensions = extensions
    pair.extended_until = span.end
    pair.state = "extended"
    pair.items_stale = True  # checkpoints.sync moves its end-anchored items
    pair.lock_version += 1
    pair.updated_at = now
    audit.record(
        session,
        "pair_extended",
        actor=actor.email,
        subject=str(pair.id),
        details={
            "months": months,
            "agreed_on": agreed_on.isoformat(),
            "until": str(span.end),
            **(details or {}),
        },
    )
    await session.flush()
    await _tell_both(session, pair, "match_extended", "extended", until=_day(span.end))
    return span


async def extend_pair(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    *,
    months: int,
    agreed_on: date | None = None,
    lock_version: int | None = None,
    now: datetime | None = None,
) -> Pair:
    """Record an extension both people agreed (the coordinator records it): the official
    end moves `months` later, within the scheme's limits (the timeline engine's check)."""
    now = _now(now)
    agreed_on = agreed_on or now.date()
    if not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= 24:
        raise Problems([Problem(path="months", message="Give a whole number of months, 1 to 24")])
    async with db.tenant(tenant_id) as session:
        actor = await get_in_tenant(session, Member, actor_id, what="pair")
        pair = await _locked_pair(session, pair_id)
        if _actor_kind(pair, actor) != "coordinator":
            raise Refused("The coordinator records an extension both of you agreed.")
        _check_version(pair, lock_version)
        if pair.state not in rules.LIVE:
            raise Refused("This relationship has already ended.")
        await apply_extension(session, pair, actor, months=months, agreed_on=agreed_on, now=now)
        return pair


async def reopen_for_rematch(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    *,
    reason: str,
    now: datetime | None = None,
) -> Pair:
    """A pair that failed (Arts Marketing Association: "re-match when a pair fails"): the
    coordinator ends it early, if it is still live, with the reason, and the mentee is open
    for a new match — their application has no live pair any more, so the flows offer them
    again; the mentee is told. Only where the scheme re-matches (`rematch_on_failure`)."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        actor = await get_in_tenant(session, Member, actor_id, what="pair")
        pair = await _locked_pair(session, pair_id)
        if _actor_kind(pair, actor) != "coordinator":
            raise NotFound("pair")
        reason = _clean_reason(reason)
        if not reason:
            raise Problems([Problem(path="reason", message="Say why the pair did not work out")])
        scheme = await scheme_of(session, pair.scheme_version)
        if not scheme.relationship.rematch_on_failure:
            raise Refused("This scheme does not re-match a mentee after a pair ends.")
        if pair.state in rules.LIVE:
            await _end(session, pair, actor, "ended_early", reason, now)
        elif pair.end_kind == "completed":
            raise Refused("This relationship was completed; there is nothing to re-match.")
        busy = (
            await session.execute(
                select(func.count())
                .select_from(Pair)
                .where(
                    Pair.mentee_id == pair.mentee_id,
                    Pair.cohort_id == pair.cohort_id,
                    Pair.state.in_(rules.LIVE),
                )
            )
        ).scalar_one()
        if busy:
            raise Refused("The mentee already has a new match.")
        audit.record(
            session,
            "pair_reopened_for_rematch",
            actor=actor.email,
            subject=str(pair.id),
            details={"mentee": str(pair.mentee_id), "reason": reason},
        )
        tenant = await _tenant(session)
        cohort = await get_in_tenant(session, Cohort, pair.cohort_id, what="cohort")
        mentee = await get_in_tenant(session, Member, pair.mentee_id, what="member")
        link = (
            f"{base_url(get_settings(), tenant)}/applications/{pair.mentee_application_id}"
            if pair.mentee_application_id
            else pair_link(tenant, pair.id)
        )
        await send(
            session,
            tenant,
            "match_reopened",
            {"cohort": cohort.name, "link": link},
            f"pair:{pair.id}:reopened",
            to_member=mentee,
        )
        return pair
