"""What an applicant reads about their application, in plain words (pure: no database,
no web): what its state means, what happens next under the scheme's rules, when a window
closes, and an answer as they gave it.

The pages (`views/applicant*.py`) show these; the coordinator's pages have their own words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from mentorhub.applications.eligibility import (
    LINE_MANAGER_DECLINED,
    needs_training,
    waiting_words,
)
from mentorhub.applications.states import State
from mentorhub.schemes.forms import Question
from mentorhub.schemes.rules import Scheme

__all__ = [
    "Decision",
    "Recorded",
    "answer_words",
    "check_rows",
    "day",
    "interview_format",
    "next_steps",
    "state_words",
    "typed_words",
    "when",
    "who_can_apply",
]

_FORMATS = {"phone": "phone", "video": "video call", "in_person": "in-person"}

_STATE_WORDS = {
    State.DRAFT: "Draft — not sent yet",
    State.SUBMITTED: "Submitted — being checked",
    State.AWAITING_APPROVAL: "Submitted — waiting for approval",
    State.ELIGIBLE: "Eligible — under consideration",
    State.INELIGIBLE: "Not eligible",
    State.SHORTLISTED: "Shortlisted",
    State.INTERVIEW_SCHEDULED: "Interview arranged",
    State.INTERVIEWED: "Interviewed — waiting for the decision",
    State.ACCEPTED: "Accepted — you have a place",
    State.WAITLISTED: "On the waiting list",
    State.UNSUCCESSFUL: "Not successful this time",
    State.WITHDRAWN: "Withdrawn",
}


def state_words(state: str) -> str:
    """The application's state as the applicant reads it."""
    try:
        return _STATE_WORDS[State(state)]
    except ValueError:
        return state


def day(d: date | datetime) -> str:
    """5 January 2027."""
    return f"{d.day} {d:%B %Y}"


def when(d: datetime) -> str:
    """Tuesday 5 January 2027 at 14:30 (UTC)."""
    return f"{d:%A} {d.day} {d:%B %Y} at {d:%H:%M} (UTC)"


def interview_format(value: str | None) -> str:
    return _FORMATS.get(value or "", "phone")


def _is_shortlisted(scheme: Scheme, role: str) -> bool:
    return role in scheme.application.shortlist


def _is_interviewed(scheme: Scheme, role: str) -> bool:
    rule = scheme.application.interview
    return rule is not None and role in rule.roles


def _decision_steps(scheme: Scheme, role: str) -> str:
    """What the coordinator does with an eligible application of `role`."""
    if _is_shortlisted(scheme, role):
        said = "The coordinators shortlist applications when the application period has ended."
        if _is_interviewed(scheme, role):
            fmt = interview_format(scheme.application.interview.format)  # type: ignore[union-attr]
            said += f" If you are shortlisted, we will arrange a short {fmt} interview with you."
        return said + " We will tell you by e-mail at each step."
    if _is_interviewed(scheme, role):
        fmt = interview_format(scheme.application.interview.format)  # type: ignore[union-attr]
        return (
            f"The coordinator will arrange a short {fmt} interview with you, then tell you "
            "the decision by e-mail."
        )
    return "The coordinator will look at your application and tell you the decision by e-mail."


def _matching_steps(scheme: Scheme, role: str) -> str:
    flow = scheme.matching.flow
    if flow == "suggest_and_accept":
        if role == "mentee":
            n = scheme.matching.top_n or 3
            return (
                f"When matching opens you will see the {n} mentors who suit you best and "
                "choose one; they then accept or decline."
            )
        return (
            "Mentees will see you among their suggested mentors; when one chooses you, "
            "you accept or decline, and can see their reasons for wanting a mentor."
        )
    if flow == "mutual_acceptance":
        return "We will propose a match; it goes ahead when both of you accept it."
    return "The coordinator will match you and tell you who your match is."


def _training_words(scheme: Scheme, role: str) -> str | None:
    training = scheme.application.training
    if training is None or not training.required or role not in training.roles:
        return None
    what = "the joint training day" if training.format == "joint" else "the scheme's training"
    return {
        "application": f"You need to have completed {what} to apply.",
        "matching": f"You take part in {what} before you are matched.",
        "relationship_start": f"You take part in {what} before the relationship starts.",
    }[training.before]


#: Ineligibility rules a change in the association's records can lift (they are evaluated
#: again when the roster, a ratification or the partner list changes).
_RECHECKED = frozenset({"membership", "member_type", "partner_organisation"})


def next_steps(
    scheme: Scheme,
    role: str,
    state: str,
    *,
    waiting_for: Iterable[str] = (),
    window_closes: datetime | None = None,
    interview_at: datetime | None = None,
    interview_format_: str | None = None,
    waitlist_rank: int | None = None,
    priority_next_intake: bool = False,
    feedback_sent: bool = False,
    contact_email: str = "",
    ineligible_rule: str | None = None,
    window_shut: str | None = None,
) -> list[str]:
    """What happens next, one sentence or two per line. `window_shut`: why the role's
    window is not open now (a draft cannot be submitted then)."""
    s = State(state)
    ask = f"write to {contact_email}" if contact_email else "reply to the e-mail we sent you"
    if s is State.DRAFT:
        if window_shut:
            return [
                "Your answers are saved. Nobody else can see them.",
                f"{window_shut} This draft cannot be submitted now.",
            ]
        until = f" before {when(window_closes)}" if window_closes else ""
        return [
            "Your answers are saved. Nobody else can see them yet.",
            f"Finish the form and submit it{until}.",
        ]
    if s is State.SUBMITTED:
        return ["We have your application and are checking it. We will e-mail you."]
    if s is State.AWAITING_APPROVAL:
        waits = [waiting_words(w) for w in waiting_for] or ["An approval the scheme requires."]
        lines = [f"Waiting for: {w[:1].lower()}{w[1:]}" for w in waits]
        if "board_ratification" in waiting_for:
            lines.append("The Board ratifies members at its meetings; you need do nothing.")
        if "training" in waiting_for:
            lines.append("The coordinator records your training when you have completed it.")
        lines.append(_decision_steps(scheme, role))
        return lines
    if s is State.ELIGIBLE:
        return ["You meet the scheme's conditions.", _decision_steps(scheme, role)]
    if s is State.INELIGIBLE:
        lines = ["Your application cannot go ahead as it stands (the reason is above)."]
        if ineligible_rule == LINE_MANAGER_DECLINED:
            lines.append(
                "If your line manager changes their mind, or you have a new line manager, "
                "you can withdraw this application and apply again while applications are "
                "open: we will ask them again."
            )
        if ineligible_rule in _RECHECKED:
            lines.append(
                "If the association's records change (for example a renewed membership, or "
                "a new partner organisation), we check your application again and tell you."
            )
        return lines
    if s is State.SHORTLISTED:
        return ["You are on the shortlist.", _decision_steps_after_shortlist(scheme, role)]
    if s is State.INTERVIEW_SCHEDULED:
        fmt = interview_format(interview_format_)
        at = f" on {when(interview_at)}" if interview_at else ""
        return [
            f"Your {fmt} interview is{at}. To move it, {ask}.",
            "After the interview we will tell you the decision by e-mail.",
        ]
    if s is State.INTERVIEWED:
        return ["Thank you for your interview. We will tell you the decision by e-mail."]
    if s is State.ACCEPTED:
        lines = ["You have a place on the scheme.", _matching_steps(scheme, role)]
        # Training the application waited for is done already (eligibility checked it).
        training = None if needs_training(scheme, role) else _training_words(scheme, role)
        if training:
            lines.append(training)
        return lines
    if s is State.WAITLISTED:
        rank = f"You are number {waitlist_rank} on the" if waitlist_rank else "You are on the"
        lines = [f"{rank} waiting list for {role}s. If a place comes free, we will offer it."]
        if priority_next_intake:
            lines.append("You are also offered priority when you apply for the next intake.")
        return lines
    if s is State.UNSUCCESSFUL:
        lines = ["We could not offer you a place this time."]
        if feedback_sent:
            lines.append("The coordinator's feedback is below.")
        elif scheme.application.feedback_to_unsuccessful:
            lines.append(f"You can have personal feedback on your application: {ask}.")
        if priority_next_intake:
            lines.append(
                "You are invited to apply again for the next intake, and will have priority."
            )
        return lines
    return ["You withdrew this application. You can apply again while applications are open."]


def _decision_steps_after_shortlist(scheme: Scheme, role: str) -> str:
    if _is_interviewed(scheme, role):
        fmt = interview_format(scheme.application.interview.format)  # type: ignore[union-attr]
        return f"We will contact you to arrange a short {fmt} interview."
    return "The coordinator will tell you the decision by e-mail."


_EXCLUSIONS = {
    "students": "students",
    "already_in_mentoring_relationship": "people already in a mentoring relationship",
}


def who_can_apply(scheme: Scheme, role: str, organisations: Iterable[str] = ()) -> list[str]:
    """Who may apply for `role`, in plain words, said before anyone starts the form: who the
    scheme is open to, who cannot apply, membership, partner organisations, what mentors
    need, training, the line manager's signature and the Board's ratification."""
    e = scheme.eligibility
    lines: list[str] = []
    members = e.open_to == "members" or e.membership.required
    if members:
        kind = e.membership.member_type or "member"
        standing = " in good standing" if e.membership.good_standing or kind != "member" else ""
        article = "an" if kind[:1].lower() in "aeiou" else "a"
        lines.append(f"You need to be {article} {kind} of the association{standing}.")
        if e.membership.kept_for_whole_relationship:
            lines.append("You need to keep your membership for the whole relationship.")
    elif e.open_to == "partner_organisations":
        names = sorted(organisations, key=str.casefold)
        said = "You need to work or volunteer for one of the scheme's partner organisations"
        lines.append(said + (": " + ", ".join(names) + "." if names else "."))
    else:
        lines.append("The scheme is open to everyone in the sector.")
    if e.includes:
        lines.append("Welcome to apply: " + "; ".join(e.includes) + ".")
    if e.exclusions:
        who = " and ".join(_EXCLUSIONS.get(x, x) for x in e.exclusions)
        lines.append(
            f"{who[:1].upper()}{who[1:]} cannot apply. The form asks you about this first."
        )
    if role == "mentor" and e.mentor_requirements:
        lines.append("Mentors need " + "; ".join(e.mentor_requirements) + ".")
    training = _training_words(scheme, role)
    if training:
        lines.append(training)
    if role in scheme.application.line_manager_signature:
        lines.append(
            "Your line manager approves and signs your application: the form asks for their "
            "e-mail address, and we send them a link."
        )
    if scheme.application.board_ratification:
        lines.append(
            "The association's Board ratifies your membership before the relationship starts."
        )
    if e.note:
        lines.append(e.note)
    return [line for line in lines if line]


def answer_words(question: Question, value: Any) -> str:
    """An answer as the applicant gave it, for reading back."""
    if value is None:
        return "Not answered"
    if question.kind == "consent":
        return "Agreed" if value is True else "Not agreed"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "None chosen"
    if isinstance(value, dict):
        return str(value.get("label") or value.get("text") or "")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


#: A yes/no or consent answer as the form offers it (the posted value is "yes" or "no").
_YES_NO = {"yes": "Yes", "no": "No"}
_CONSENT = {"yes": "Yes, I agree"}


def typed_words(question: Question, values: Sequence[str]) -> str:
    """What someone typed or chose for one question, in the words the form showed them (a
    submission the form could not keep is shown back to copy): "Yes"/"No" for a yes/no,
    "Yes, I agree" for a consent, a choice as its option is written. Anything the form
    does not offer is shown as it came."""
    given = [v for v in values if v.strip()]
    if question.kind == "yes_no":
        return ", ".join(_YES_NO.get(v.strip().lower(), v) for v in given)
    if question.kind == "consent":
        return ", ".join(_CONSENT.get(v.strip().lower(), v) for v in given)
    if question.kind in ("single_choice", "multiple_choice"):
        offered = {o.casefold(): o for o in question.options}
        return ", ".join(offered.get(v.strip().casefold(), v) for v in given)
    return ", ".join(given)


@dataclass(frozen=True)
class Decision:
    """The line manager's answer to the approval link (as the applicant may read it: never
    the line manager's comment, which they were not told the applicant would see)."""

    status: str  # pending | approved | declined
    approver_email: str
    asked_at: datetime
    expires_at: datetime
    decided_at: datetime | None


@dataclass(frozen=True)
class Recorded:
    """A fact the application waits for, once recorded: the Board's ratification or a
    training record (`kind`: mentor, mentee, joint). `recorded_at` is None for a
    ratification that came with the association's membership records."""

    on: date
    recorded_at: datetime | None
    kind: str = ""


_TRAINING_NAMES = {
    "mentor": "The mentor training",
    "mentee": "The mentee training",
    "joint": "The joint training",
}


def check_rows(
    *,
    line_manager: Decision | None,
    ratification: Recorded | None,
    training: Recorded | None,
    now: datetime,
    contact_email: str = "",
) -> list[tuple[str, str]]:
    """The approvals and records an application needed, each as (what, plain words): who
    the line manager's link went to and what they decided when (a refusal with what it
    means), when the Board's ratification and the training were recorded."""
    rows: list[tuple[str, str]] = []
    ask = f"write to {contact_email}" if contact_email else "reply to the e-mail we sent you"
    if line_manager is not None:
        lm = line_manager
        if lm.status == "approved" and lm.decided_at is not None:
            said = f"Approved by {lm.approver_email} on {when(lm.decided_at)}."
        elif lm.status == "declined" and lm.decided_at is not None:
            said = (  # what it means: the reason and what happens next, on the same page
                f"Declined by {lm.approver_email} on {when(lm.decided_at)}."
            )
        elif lm.expires_at <= now:
            said = (
                f"We sent the link to {lm.approver_email} on {when(lm.asked_at)}; it expired "
                f"on {when(lm.expires_at)} without an answer. To ask what happens now, {ask}."
            )
        else:
            said = (
                f"We sent the link to {lm.approver_email} on {when(lm.asked_at)}; it works "
                f"until {when(lm.expires_at)}. No answer yet."
            )
        rows.append(("Your line manager's approval", said))
    if ratification is not None:
        said = f"Ratified on {day(ratification.on)}"
        if ratification.recorded_at is not None:
            said += f"; recorded on {when(ratification.recorded_at)}."
        else:
            said += ", as the association's membership records show."
        rows.append(("The Board's ratification", said))
    if training is not None:
        name = _TRAINING_NAMES.get(training.kind, "The training")
        said = f"{name}, completed on {day(training.on)}"
        if training.recorded_at is not None:
            said += f"; recorded on {when(training.recorded_at)}."
        else:
            said += "."
        rows.append(("Training", said))
    return rows
