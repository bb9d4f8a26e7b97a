"""A pair's states and what may happen next — pure (no database, no web), in the
pure-engines import contract.

    active → extended → ended(completed | ended_early | removed)

* `extend`: an active or extended pair gets a later official end (both agreed).
* `complete`: the relationship ran its course (coordinator, or the clock at the end).
* `end_early`: either party ends it before its end — only where the scheme allows
  (`relationship.either_party_may_end`); the coordinator may always end one early.
* `remove`: the coordinator removes a pair, with a reason (an ethics breach, Alberta).

Ended is terminal: a failed pair is not reopened, its mentee is (re-matching, Arts Marketing
Association).
"""

from __future__ import annotations

from typing import Literal

State = Literal["active", "extended", "ended"]
EndKind = Literal["completed", "ended_early", "removed"]
Action = Literal["extend", "complete", "end_early", "remove"]
Actor = Literal["mentor", "mentee", "coordinator"]

LIVE: frozenset[str] = frozenset({"active", "extended"})

__all__ = ["LIVE", "Action", "Actor", "EndKind", "Refused", "State", "refusal"]


class Refused(ValueError):
    """A matching or pair action was refused; nothing was written. The text says why in
    plain words (the pages show it)."""


def refusal(
    state: str, action: Action, actor: Actor, *, either_party_may_end: bool, reason: str = ""
) -> str | None:
    """Why `actor` may not do `action` on a pair in `state` (plain words), or None."""
    if state not in LIVE:
        return "This relationship has already ended."
    if action == "remove":
        if actor != "coordinator":
            return "Only the coordinator can remove a pair."
        if not reason.strip():
            return "Say why the pair is removed."
        return None
    if action == "complete" and actor != "coordinator":
        return "Only the coordinator marks a relationship completed."
    if action == "end_early" and actor != "coordinator" and not either_party_may_end:
        return "This scheme does not let a mentor or mentee end the relationship themselves."
    return None
