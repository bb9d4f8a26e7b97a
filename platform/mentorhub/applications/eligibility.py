"""Eligibility, evaluated (pure: no database, no web).

`evaluate(scheme, role, facts)` reads a scheme's rules and what is known about one applicant
and answers one of:

* `eligible`;
* `ineligible(rule, reason)`: the first rule that fails, with the plain words the applicant
  reads (the coordinator sees the same words, and the rule id to filter by);
* `waiting(for …)`: nothing fails, but something the scheme requires is still outstanding —
  the line manager's signature (`line_manager`), the board's ratification
  (`board_ratification`), a training record (`training`).

A failing rule wins over anything outstanding: nobody waits for a line manager to sign an
application the scheme cannot accept anyway.

The rules, in the order they are checked:

1. membership — where the scheme is for members (`eligibility.open_to = "members"` or
   `membership.required`), the membership status from the roster or the ID-token claim must
   be active (active is good standing: a roster or claim says `lapsed` or `pending`
   otherwise). A required member type (Alberta's "Individual Member") refuses only a member
   whose type is known and different: neither the roster nor the claims carry a type today,
   so an unknown type is not held against anyone.
2. declared exclusions — a yes to a question that declares one of the scheme's exclusions
   (Museums Association: students, people already in a mentoring relationship); an
   exclusion the scheme does not list is ignored.
3. partner organisation — where the scheme is open to partner organisations (Advice Skills
   Academy), the organisation answered must be on the tenant's active list.
4. line manager — a declined signature refuses; a missing one is waited for.
5. board ratification — waited for until the board's ratification is recorded (a ratified-on
   date from the roster, or one the tenant admin records).
6. training — where training is required for the role before application or before
   matching, a training record of the role (or a joint one) is waited for. Training before
   the relationship starts is checked when a pair starts, not here.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from mentorhub.schemes.rules import Scheme

__all__ = [
    "Facts",
    "LineManager",
    "Outcome",
    "Verdict",
    "Waiting",
    "evaluate",
    "requirements",
    "waiting_words",
]


class Verdict(enum.StrEnum):
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    WAITING = "waiting"


class Waiting(enum.StrEnum):
    LINE_MANAGER = "line_manager"
    BOARD_RATIFICATION = "board_ratification"
    TRAINING = "training"


class LineManager(enum.StrEnum):
    NOT_ASKED = "not_asked"
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


#: Rule ids (stored with an ineligible application; the coordinator's queue filters by them).
MEMBERSHIP = "membership"
MEMBER_TYPE = "member_type"
PARTNER_ORGANISATION = "partner_organisation"
LINE_MANAGER_DECLINED = "line_manager_declined"
EXCLUSION = "exclusion:"  # + the exclusion's name

_EXCLUSION_WORDS = {
    "students": (
        "This scheme is not open to students, and you told us you are a student. If that has "
        "changed, you can withdraw this application and apply again."
    ),
    "already_in_mentoring_relationship": (
        "This scheme is not open to people who are already in a mentoring relationship, and "
        "you told us you are in one. If that has changed, you can withdraw this application "
        "and apply again."
    ),
}

_WAITING_WORDS = {
    Waiting.LINE_MANAGER: "Your line manager's approval (we sent them a link by e-mail).",
    Waiting.BOARD_RATIFICATION: "The Board's ratification of your membership.",
    Waiting.TRAINING: "A record that you completed the scheme's training.",
}


def waiting_words(waiting: str) -> str:
    """What the applicant reads about one outstanding step."""
    return _WAITING_WORDS.get(Waiting(waiting), waiting)


@dataclass(frozen=True)
class Facts:
    """What is known about one applicant when their application is evaluated."""

    #: active | lapsed | pending | None (nobody said): from the roster or the ID-token claim.
    membership_status: str | None = None
    #: The member's type where a roster or claim gives one (none does today).
    member_type: str | None = None
    #: Exclusions the applicant declared (forms.declared_exclusions).
    declared_exclusions: frozenset[str] = frozenset()
    #: The organisation answered (forms.organisation_answer), and the tenant's active list.
    organisation: str | None = None
    partner_organisations: frozenset[str] = field(default_factory=frozenset)
    #: Kinds of training the member completed: mentor, mentee, joint.
    trained: frozenset[str] = frozenset()
    #: When the board ratified the member (roster or the tenant admin's record).
    ratified_on: date | None = None
    line_manager: LineManager = LineManager.NOT_ASKED


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    rule: str | None = None
    reason: str | None = None
    waiting_for: tuple[Waiting, ...] = ()

    @property
    def eligible(self) -> bool:
        return self.verdict is Verdict.ELIGIBLE


def _ineligible(rule: str, reason: str) -> Outcome:
    return Outcome(Verdict.INELIGIBLE, rule=rule, reason=reason)


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


def members_only(scheme: Scheme) -> bool:
    e = scheme.eligibility
    return e.open_to == "members" or e.membership.required


def needs_line_manager(scheme: Scheme, role: str) -> bool:
    return role in scheme.application.line_manager_signature


def needs_training(scheme: Scheme, role: str) -> bool:
    t = scheme.application.training
    return (
        t is not None and t.required and role in t.roles and t.before in ("application", "matching")
    )


def _trained(scheme: Scheme, role: str, trained: Iterable[str]) -> bool:
    done = set(trained)
    return role in done or "joint" in done


def evaluate(scheme: Scheme, role: str, facts: Facts) -> Outcome:
    """Eligible, ineligible (the first failing rule, in plain words) or waiting (for what)."""
    eligibility = scheme.eligibility
    membership = eligibility.membership
    if members_only(scheme):
        if facts.membership_status != "active":
            return _ineligible(
                MEMBERSHIP,
                "This scheme is for members of the association in good standing, and our "
                "records do not show an active membership for you. If you have renewed "
                "recently, the association's next membership update will put this right.",
            )
        if (
            membership.member_type
            and facts.member_type is not None
            and _norm(facts.member_type) != _norm(membership.member_type)
        ):
            return _ineligible(
                MEMBER_TYPE,
                f"This scheme is for {membership.member_type}s of the association, and our "
                f"records show you as {facts.member_type}.",
            )
    for exclusion in eligibility.exclusions:  # the file's order: the first one declared
        if exclusion in facts.declared_exclusions:
            return _ineligible(EXCLUSION + exclusion, _EXCLUSION_WORDS[exclusion])
    if eligibility.open_to == "partner_organisations":
        listed = {_norm(name) for name in facts.partner_organisations}
        if facts.organisation is None or _norm(facts.organisation) not in listed:
            return _ineligible(
                PARTNER_ORGANISATION,
                "This scheme is for staff and volunteers of its partner organisations, and "
                "the organisation in your application is not one of them.",
            )
    if needs_line_manager(scheme, role) and facts.line_manager is LineManager.DECLINED:
        return _ineligible(
            LINE_MANAGER_DECLINED,
            "Your line manager did not approve your application, so it cannot go ahead.",
        )
    waiting: list[Waiting] = []
    if needs_line_manager(scheme, role) and facts.line_manager is not LineManager.APPROVED:
        waiting.append(Waiting.LINE_MANAGER)
    if scheme.application.board_ratification and facts.ratified_on is None:
        waiting.append(Waiting.BOARD_RATIFICATION)
    if needs_training(scheme, role) and not _trained(scheme, role, facts.trained):
        waiting.append(Waiting.TRAINING)
    if waiting:
        return Outcome(Verdict.WAITING, waiting_for=tuple(waiting))
    return Outcome(Verdict.ELIGIBLE)


def requirements(scheme: Scheme, role: str) -> list[str]:
    """Who may apply, in plain words, shown *before* anyone applies (the Museums
    Association's report recommends saying so up front)."""
    e = scheme.eligibility
    said: list[str] = []
    if members_only(scheme):
        kind = e.membership.member_type or "member"
        said.append(f"You need to be an active {kind} of the association, in good standing.")
    elif e.open_to == "partner_organisations":
        said.append("You need to work or volunteer for one of the scheme's partner organisations.")
    if e.includes:
        said.append("Welcome: " + ", ".join(e.includes) + ".")
    words = {
        "students": "students",
        "already_in_mentoring_relationship": "people already in a mentoring relationship",
    }
    if e.exclusions:
        said.append(
            "The scheme is not open to " + " or ".join(words[x] for x in e.exclusions) + "."
        )
    if needs_line_manager(scheme, role):
        said.append("Your line manager approves and signs your application (we e-mail them).")
    if scheme.application.board_ratification:
        said.append("The Board ratifies your membership before the relationship starts.")
    training = scheme.application.training
    if training is not None and training.required and role in training.roles:
        when = {
            "application": "before you apply",
            "matching": "before you are matched",
            "relationship_start": "before the relationship starts",
        }[training.before]
        said.append(f"You take part in the scheme's training {when}.")
    return said
