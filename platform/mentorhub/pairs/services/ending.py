"""Ending and extending a pair from its space (issue 15): either person ends it where the
scheme allows, one proposes an extension and the other agrees or declines it (or the
proposer withdraws it), the coordinator ends a pair or removes it for an ethics breach.

Every action: one tenant transaction; the pair's row locked FOR UPDATE (ending and
extending change the pair itself, so they serialise with each other and with every space
action, which holds it FOR SHARE — nothing is written into a space after its end); the
viewer's part decided by `pairs.access.space_for` (a member in the pair who is also a
coordinator acts as the party); the page's `lock_version` checked (a stale page or a
replayed post changes nothing); an audit row; mail through the one writer with a stable key.

Decisions where the issue is silent:

* The ending itself is `lifecycle.end_locked` (the scheme's rule, the reason, the audit
  row, `match_ended` to both people — the one who ended it gets a confirmation). Each
  coordinator of the tenant also gets `pair_ended_coordinator` when a *party* ends it; when
  a coordinator ends or removes it the other coordinators are not mailed (the coordinator
  pages show it).
* Ending clears a pending extension proposal (there is nothing left to extend).
* An extension is proposed for 1–24 whole months; the proposal is refused at the field when
  the timeline engine refuses the new end (a scheme's `max_total_months`, the monitoring
  limit, or the official end already past). The date it is agreed on is the day in the
  association's time zone; agreeing applies it exactly as the coordinator's
  `lifecycle.extend_pair` does (`lifecycle.apply_extension`: the end moves, the timeline
  follows, both told with `match_extended`). One proposal at a time.
* Removal needs `scheme.relationship.removal_for_ethics_breach` (Alberta) and a reason; a
  coordinator's plain ending is `completed` (it ran its course) or `ended_early`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.applications.queue import tenant_zone
from mentorhub.core import audit
from mentorhub.core.problems import Problem, Problems
from mentorhub.db import Database
from mentorhub.db.session import current_tenant
from mentorhub.identity.models import Member, Role
from mentorhub.messages.services import Outgoing, send, send_many
from mentorhub.pairs.access import Space, require_party, require_writable, space_for
from mentorhub.pairs.models import Pair
from mentorhub.pairs.rules import Refused
from mentorhub.pairs.services.lifecycle import (
    apply_extension,
    end_locked,
    facts_of,
    locked_pair,
    pair_link,
)
from mentorhub.schemes.errors import FactsError
from mentorhub.schemes.timeline import PairFacts, relationship_span
from mentorhub.tenancy.models import Tenant

__all__ = [
    "MONTHS_MAX",
    "agree_extension",
    "coordinator_end",
    "decline_extension",
    "end_by_party",
    "extension_until",
    "propose_extension",
    "remove",
    "withdraw_extension",
]

MONTHS_MAX = 24

HOW_WORDS = {
    "completed": "it is completed",
    "ended_early": "it was ended early",
    "removed": "it was ended by the coordinator",
}


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _day(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


async def _tenant(session: AsyncSession) -> Tenant:
    return (
        await session.execute(select(Tenant).where(Tenant.id == current_tenant(session)))
    ).scalar_one()


async def _space(
    session: AsyncSession,
    pair_id: uuid.UUID | str,
    actor_id: uuid.UUID | str,
    *,
    party: bool,
) -> Space:
    """The viewer's space of the pair with its row locked FOR UPDATE. The access check comes
    first (anyone else: not found, before any lock); the row is then locked and re-read."""
    space = await space_for(session, pair_id, actor_id)
    if party:
        require_party(space)
    elif space.is_party:
        raise Refused("Only the coordinator can do this.")
    await locked_pair(session, space.pair.id)  # refreshes space.pair (same identity)
    if party:
        require_writable(space)
    elif space.read_only:
        raise Refused("This relationship has already ended.")
    return space


def _check_version(pair: Pair, lock_version: int | None) -> None:
    if lock_version is not None and lock_version != pair.lock_version:
        raise Refused(
            "This relationship changed since the page was shown. Nothing was changed: look "
            "at it again and repeat."
        )


def _today(tenant: Tenant, now: datetime) -> date:
    return now.astimezone(tenant_zone(tenant.jurisdiction)).date()


def _months(months: int) -> int:
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MONTHS_MAX:
        raise Problems(
            [Problem(path="months", message=f"Give a whole number of months, 1 to {MONTHS_MAX}")]
        )
    return months


def extension_until(space: Space, months: int, agreed_on: date) -> date:
    """The official end if `months` more were agreed on `agreed_on`; Problems at `months`
    when the scheme's limits refuse it."""
    facts = facts_of(space.pair, space.cohort, space.scheme)
    try:
        span = relationship_span(
            space.scheme,
            PairFacts(
                matched_on=facts.matched_on,
                cohort_start=facts.cohort_start,
                extensions=(*facts.extensions, (agreed_on, months)),
            ),
        )
    except FactsError as exc:
        raise Problems([Problem(path="months", message=_plain(m)) for m in exc.problems]) from None
    return span.end


def _plain(problem: str) -> str:
    """The timeline engine's words, as a sentence for the pair."""
    text = problem[:1].upper() + problem[1:]
    return text if text.endswith(".") else text + "."


async def _coordinators(session: AsyncSession) -> list[Member]:
    return list(
        (
            await session.execute(
                select(Member)
                .where(Member.roles.contains([Role.COORDINATOR.value]))
                .order_by(Member.id)
            )
        ).scalars()
    )


# --- ending -----------------------------------------------------------------------------------


async def end_by_party(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    *,
    reason: str = "",
    lock_version: int | None = None,
    now: datetime | None = None,
) -> Pair:
    """The mentor or the mentee ends the relationship (where the scheme lets them), with an
    optional reason: both told (`match_ended`), each coordinator told
    (`pair_ended_coordinator`)."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        space = await _space(session, pair_id, actor_id, party=True)
        pair = space.pair
        reason = await end_locked(
            session,
            pair,
            space.viewer,
            "mentor" if space.role == "mentor" else "mentee",
            kind="ended_early",
            reason=reason,
            lock_version=lock_version,
            now=now,
        )
        pair.pending_extension = None
        tenant = await _tenant(session)
        context = {
            "mentor_name": space.mentor.display_name,
            "mentee_name": space.mentee.display_name,
            "how": f"the {space.role} ended it",
            "reason": reason,
            "cohort": space.cohort.name,
            "link": pair_link(tenant, pair.id),
        }
        await send_many(
            session,
            tenant,
            "pair_ended_coordinator",
            [
                Outgoing(context, f"pair:{pair.id}:ended:coordinator:{m.id}", to_member=m)
                for m in await _coordinators(session)
                if m.id not in (pair.mentor_id, pair.mentee_id)
            ],
        )
        return pair


async def coordinator_end(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    *,
    kind: Literal["completed", "ended_early"],
    reason: str = "",
    lock_version: int | None = None,
    now: datetime | None = None,
) -> Pair:
    """The coordinator ends a pair: it ran its course (`completed`) or ended early."""
    if kind not in ("completed", "ended_early"):
        raise Problems([Problem(path="kind", message="Choose how the relationship ends")])
    async with db.tenant(tenant_id) as session:
        space = await _space(session, pair_id, actor_id, party=False)
        await end_locked(
            session,
            space.pair,
            space.viewer,
            "coordinator",
            kind=kind,
            reason=reason,
            lock_version=lock_version,
            now=_now(now),
        )
        space.pair.pending_extension = None
        return space.pair


async def remove(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    *,
    reason: str,
    lock_version: int | None = None,
    now: datetime | None = None,
) -> Pair:
    """The coordinator removes a pair for an ethics breach (where the scheme says so), with
    a reason; both told."""
    async with db.tenant(tenant_id) as session:
        space = await _space(session, pair_id, actor_id, party=False)
        if not space.scheme.relationship.removal_for_ethics_breach:
            raise Refused("This scheme does not remove pairs; end the relationship instead.")
        if not (reason or "").strip():
            raise Problems([Problem(path="reason", message="Say why the pair is removed")])
        await end_locked(
            session,
            space.pair,
            space.viewer,
            "coordinator",
            kind="removed",
            reason=reason,
            lock_version=lock_version,
            now=_now(now),
        )
        space.pair.pending_extension = None
        return space.pair


# --- extending --------------------------------------------------------------------------------


async def propose_extension(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    *,
    months: int,
    lock_version: int | None = None,
    now: datetime | None = None,
) -> Pair:
    """One of the pair proposes `months` more; the other is asked (`extension_proposed`)."""
    now = _now(now)
    months = _months(months)
    async with db.tenant(tenant_id) as session:
        space = await _space(session, pair_id, actor_id, party=True)
        pair = space.pair
        _check_version(pair, lock_version)
        if space.scheme.duration.extension is None:
            raise Refused("This scheme does not extend a relationship.")
        pending = pair.pending_extension
        if pending:
            raise Refused(
                "You have already proposed an extension; withdraw it first."
                if pending.get("by") == str(space.viewer.id)
                else "Your partner has proposed an extension: agree or decline it first."
            )
        tenant = await _tenant(session)
        until = extension_until(space, months, _today(tenant, now))
        pair.pending_extension = {
            "by": str(space.viewer.id),
            "months": months,
            "at": now.isoformat(),
        }
        pair.lock_version += 1
        pair.updated_at = now
        audit.record(
            session,
            "pair_extension_proposed",
            actor=space.viewer.email,
            subject=str(pair.id),
            details={"months": months, "until": until.isoformat()},
        )
        assert space.other is not None
        await send(
            session,
            tenant,
            "extension_proposed",
            {
                "other_name": space.viewer.display_name,
                "months": months,
                "until": _day(until),
                "link": pair_link(tenant, pair.id),
            },
            f"pair:{pair.id}:v{pair.lock_version}:extension_proposed:{space.other.id}",
            to_member=space.other,
        )
        return pair


def _pending(space: Space, *, proposer: bool) -> dict[str, object]:
    pending = space.pair.pending_extension
    if not pending:
        raise Refused("There is no extension waiting for an answer.")
    mine = pending.get("by") == str(space.viewer.id)
    if proposer and not mine:
        raise Refused("Only the person who proposed the extension can withdraw it.")
    if not proposer and mine:
        raise Refused("You proposed this extension: your partner agrees or declines it.")
    return dict(pending)


async def agree_extension(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    *,
    lock_version: int | None = None,
    now: datetime | None = None,
) -> Pair:
    """The other person agrees: the extension is applied (the end and the timeline move),
    both told (`match_extended`)."""
    now = _now(now)
    async with db.tenant(tenant_id) as session:
        space = await _space(session, pair_id, actor_id, party=True)
        pair = space.pair
        _check_version(pair, lock_version)
        pending = _pending(space, proposer=False)
        tenant = await _tenant(session)
        pair.pending_extension = None
        await apply_extension(
            session,
            pair,
            space.viewer,
            months=int(str(pending["months"])),
            agreed_on=_today(tenant, now),
            now=now,
            details={"proposed_by": str(pending["by"]), "agreed_by": str(space.viewer.id)},
        )
        return pair


async def decline_extension(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    *,
    lock_version: int | None = None,
    now: datetime | None = None,
) -> Pair:
    """The other person declines: the proposal is cleared, the proposer told."""
    async with db.tenant(tenant_id) as session:
        space, pending = await _clear_pending(
            session, pair_id, actor_id, lock_version, _now(now), proposer=False
        )
        pair = space.pair
        assert space.other is not None
        tenant = await _tenant(session)
        await send(
            session,
            tenant,
            "extension_declined",
            {
                "other_name": space.viewer.display_name,
                "months": pending["months"],
                "link": pair_link(tenant, pair.id),
            },
            f"pair:{pair.id}:v{pair.lock_version}:extension_declined:{space.other.id}",
            to_member=space.other,
        )
        return pair


async def withdraw_extension(
    db: Database,
    tenant_id: uuid.UUID,
    actor_id: uuid.UUID | str,
    pair_id: uuid.UUID | str,
    *,
    lock_version: int | None = None,
    now: datetime | None = None,
) -> Pair:
    """The proposer takes their proposal back (nobody is mailed: the other sees it gone)."""
    async with db.tenant(tenant_id) as session:
        space, _ = await _clear_pending(
            session, pair_id, actor_id, lock_version, _now(now), proposer=True
        )
        return space.pair


async def _clear_pending(
    session: AsyncSession,
    pair_id: uuid.UUID | str,
    actor_id: uuid.UUID | str,
    lock_version: int | None,
    now: datetime,
    *,
    proposer: bool,
) -> tuple[Space, dict[str, object]]:
    """Clear the pending extension: declined by the other person (`proposer=False`) or
    withdrawn by its proposer; audited either way."""
    space = await _space(session, pair_id, actor_id, party=True)
    pair = space.pair
    _check_version(pair, lock_version)
    pending = _pending(space, proposer=proposer)
    pair.pending_extension = None
    pair.lock_version += 1
    pair.updated_at = now
    audit.record(
        session,
        "pair_extension_withdrawn" if proposer else "pair_extension_declined",
        actor=space.viewer.email,
        subject=str(pair.id),
        details={"months": pending["months"]},
    )
    return space, pending
