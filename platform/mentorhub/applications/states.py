"""The application's state machine (pure: no database, no web).

One journey serves every scheme; the scheme's `[scheme.application]` rules decide which
steps it uses:

```
draft → submitted → awaiting_approval → eligible | ineligible
      → shortlisted → interview_scheduled → interviewed
      → accepted | waitlisted | unsuccessful ;  withdrawn from any live state
```

* `submitted` is passed through inside the submit action (the form was complete); the
  eligibility evaluation then moves the application on at once, to `eligible`,
  `ineligible`, or `awaiting_approval` while a line manager, the board or a training record
  is outstanding. An application is only seen resting in `submitted` if the evaluation could
  not run (it never happens in the product's own actions, but the state exists and the
  machine allows re-evaluating it).
* `shortlisted` is used for the roles in `application.shortlist`; for other roles the
  coordinator accepts, waitlists or declines an eligible application directly.
* `interview_scheduled` / `interviewed` are used for the roles in `application.interview`:
  a role that is interviewed is accepted only after its interview was held.
* `waitlisted` may still be accepted (a place came free) or declined later.
* Terminal: `ineligible` stays open to re-evaluation (a roster import, a board
  ratification, a training record can make the member eligible), everything else in
  TERMINAL is final: `accepted`, `unsuccessful`, `withdrawn`.

`allowed_actions(rules, role, state)` lists what may happen next; `next_state` gives the
state an action leads to or raises :class:`TransitionRefused` with plain words.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from mentorhub.schemes.rules import Application as ApplicationRules

__all__ = [
    "LIVE",
    "TERMINAL",
    "Action",
    "Refused",
    "State",
    "TransitionRefused",
    "allowed_actions",
    "next_state",
    "state_label",
]


class State(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    AWAITING_APPROVAL = "awaiting_approval"
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    SHORTLISTED = "shortlisted"
    INTERVIEW_SCHEDULED = "interview_scheduled"
    INTERVIEWED = "interviewed"
    ACCEPTED = "accepted"
    WAITLISTED = "waitlisted"
    UNSUCCESSFUL = "unsuccessful"
    WITHDRAWN = "withdrawn"


class Action(enum.StrEnum):
    SAVE_DRAFT = "save_draft"
    SUBMIT = "submit"
    #: eligibility evaluated: the outcome picks the state (eligible / ineligible / awaiting)
    EVALUATE = "evaluate"
    SHORTLIST = "shortlist"
    SCHEDULE_INTERVIEW = "schedule_interview"
    RECORD_INTERVIEW = "record_interview"
    ACCEPT = "accept"
    WAITLIST = "waitlist"
    DECLINE = "decline"
    WITHDRAW = "withdraw"


#: States no action leaves (an ineligible application may still be re-evaluated).
TERMINAL = frozenset({State.ACCEPTED, State.UNSUCCESSFUL, State.WITHDRAWN})
#: States the applicant may withdraw from: everything not yet final.
LIVE = frozenset(State) - TERMINAL

#: The outcomes an evaluation may lead to.
EVALUATED = frozenset({State.ELIGIBLE, State.INELIGIBLE, State.AWAITING_APPROVAL})

_LABELS = {
    State.DRAFT: "Draft",
    State.SUBMITTED: "Submitted",
    State.AWAITING_APPROVAL: "Awaiting approval",
    State.ELIGIBLE: "Eligible",
    State.INELIGIBLE: "Not eligible",
    State.SHORTLISTED: "Shortlisted",
    State.INTERVIEW_SCHEDULED: "Interview scheduled",
    State.INTERVIEWED: "Interviewed",
    State.ACCEPTED: "Accepted",
    State.WAITLISTED: "On the waiting list",
    State.UNSUCCESSFUL: "Unsuccessful",
    State.WITHDRAWN: "Withdrawn",
}


def state_label(state: str) -> str:
    return _LABELS.get(State(state), state)


class Refused(ValueError):
    """An action on an application was refused; nothing was written. The text says why in
    plain words (the pages show it)."""


class TransitionRefused(Refused):
    """The action is not allowed in the application's state; the text says why."""


@dataclass(frozen=True)
class Steps:
    """Which optional steps a role goes through under a scheme's rules."""

    shortlist: bool
    interview: bool

    @classmethod
    def of(cls, rules: ApplicationRules, role: str) -> Steps:
        return cls(
            shortlist=role in rules.shortlist,
            interview=rules.interview is not None and role in rules.interview.roles,
        )


def _table(steps: Steps) -> dict[State, dict[Action, frozenset[State]]]:
    """For each state, the allowed actions and the state(s) each may lead to."""
    decide: dict[Action, set[State]] = {
        Action.WAITLIST: {State.WAITLISTED},
        Action.DECLINE: {State.UNSUCCESSFUL},
    }
    evaluate: dict[Action, set[State]] = {Action.EVALUATE: set(EVALUATED)}
    table: dict[State, dict[Action, set[State]]] = {
        State.DRAFT: {Action.SAVE_DRAFT: {State.DRAFT}, Action.SUBMIT: {State.SUBMITTED}},
        State.SUBMITTED: {**evaluate},
        State.AWAITING_APPROVAL: {**evaluate, Action.DECLINE: {State.UNSUCCESSFUL}},
        State.INELIGIBLE: {**evaluate},
        State.ELIGIBLE: {**evaluate, **decide},
        State.SHORTLISTED: {**decide},
        State.INTERVIEW_SCHEDULED: {
            Action.SCHEDULE_INTERVIEW: {State.INTERVIEW_SCHEDULED},  # moved to another time
            Action.RECORD_INTERVIEW: {State.INTERVIEWED},
            Action.DECLINE: {State.UNSUCCESSFUL},
        },
        State.INTERVIEWED: {Action.ACCEPT: {State.ACCEPTED}, **decide},
        State.WAITLISTED: {
            Action.ACCEPT: {State.ACCEPTED},
            Action.WAITLIST: {State.WAITLISTED},  # re-ranked
            Action.DECLINE: {State.UNSUCCESSFUL},
        },
        State.ACCEPTED: {},
        State.UNSUCCESSFUL: {},
        State.WITHDRAWN: {},
    }
    # From eligible: to the shortlist when the role is shortlisted; else on towards a decision.
    if steps.shortlist:
        table[State.ELIGIBLE][Action.SHORTLIST] = {State.SHORTLISTED}
    elif steps.interview:
        table[State.ELIGIBLE][Action.SCHEDULE_INTERVIEW] = {State.INTERVIEW_SCHEDULED}
    else:
        table[State.ELIGIBLE][Action.ACCEPT] = {State.ACCEPTED}
    if steps.interview:
        table[State.SHORTLISTED][Action.SCHEDULE_INTERVIEW] = {State.INTERVIEW_SCHEDULED}
    else:
        table[State.SHORTLISTED][Action.ACCEPT] = {State.ACCEPTED}
    for state in LIVE:
        table[state][Action.WITHDRAW] = {State.WITHDRAWN}
    return {s: {a: frozenset(t) for a, t in acts.items()} for s, acts in table.items()}


_ACTION_WORDS = {
    Action.SAVE_DRAFT: "saved as a draft",
    Action.SUBMIT: "submitted",
    Action.EVALUATE: "checked for eligibility",
    Action.SHORTLIST: "shortlisted",
    Action.SCHEDULE_INTERVIEW: "given an interview",
    Action.RECORD_INTERVIEW: "recorded as interviewed",
    Action.ACCEPT: "accepted",
    Action.WAITLIST: "put on the waiting list",
    Action.DECLINE: "declined",
    Action.WITHDRAW: "withdrawn",
}


def allowed_actions(rules: ApplicationRules, role: str, state: str) -> frozenset[Action]:
    """What may happen next to an application of `role` in `state` under `rules`."""
    return frozenset(_table(Steps.of(rules, role))[State(state)])


def targets(rules: ApplicationRules, role: str, state: str, action: str) -> frozenset[State]:
    """The states `action` may lead to from `state` (empty when it is not allowed)."""
    return _table(Steps.of(rules, role))[State(state)].get(Action(action), frozenset())


def next_state(
    rules: ApplicationRules, role: str, state: str, action: str, outcome: str | None = None
) -> State:
    """The state `action` leads to from `state`; for EVALUATE, `outcome` (one of eligible,
    ineligible, awaiting_approval) picks it. Raises TransitionRefused with plain words."""
    current, act = State(state), Action(action)
    possible = targets(rules, role, current, act)
    if not possible:
        raise TransitionRefused(
            f"An application that is {state_label(current).lower()} cannot be {_ACTION_WORDS[act]}."
        )
    if len(possible) == 1:
        return next(iter(possible))
    if outcome is None or State(outcome) not in possible:
        raise TransitionRefused(f"The outcome {outcome!r} is not one of {sorted(possible)}.")
    return State(outcome)


def reachable(rules: ApplicationRules, role: str) -> frozenset[State]:
    """Every state an application of `role` can reach from a draft under `rules`."""
    table = _table(Steps.of(rules, role))
    seen = {State.DRAFT}
    todo: list[State] = [State.DRAFT]
    while todo:
        for following in table[todo.pop()].values():
            for state in following - seen:
                seen.add(state)
                todo.append(state)
    return frozenset(seen)


def states_used(
    rules: ApplicationRules, roles: Iterable[str] = ("mentor", "mentee")
) -> list[State]:
    """The states a scheme's applications can be in, in journey order (for filters)."""
    used: set[State] = set()
    for role in roles:
        used |= reachable(rules, role)
    return [s for s in State if s in used]
