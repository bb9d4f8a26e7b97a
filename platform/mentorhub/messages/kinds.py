"""Every kind of message the product sends: what it is for, which variables its templates
may use, and why the recipient gets it (the footer).

Transactional mail (approval links, role changes, roster results, match decisions) always
goes. Reminder mail carries `List-Unsubscribe` (RFC 8058 one-click) and is not sent to a
member who turned reminders off. A tenant file may override a kind's subject and body text
(`[messages.<kind>]`); the scheme engine validates that like every other rule of the file
(`mentorhub.schemes.messages`, which declares the same kinds and variables for tenant files).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from mentorhub.schemes.messages import check_messages


class Category(enum.StrEnum):
    TRANSACTIONAL = "transactional"
    REMINDER = "reminder"


#: Variables every template may use, filled in at delivery.
COMMON = frozenset({"association", "scheme_name", "recipient_name"})


@dataclass(frozen=True)
class Kind:
    name: str
    category: Category
    #: name → required? (the caller's context must give every required one, and no others)
    variables: dict[str, bool]
    subject: str
    #: why the recipient gets this message, shown in the footer
    reason: str

    @property
    def allowed(self) -> frozenset[str]:
        extra = {"unsubscribe_url"} if self.category is Category.REMINDER else set()
        return COMMON | set(self.variables) | extra


_APPLIED = "You get this because you applied to {{ scheme_name }}; it is about your application."
_MATCHED = (
    "You get this because you take part in {{ scheme_name }}; it is about your mentoring "
    "relationship."
)

_COORDINATING = (
    "You get this because you coordinate {{ scheme_name }} for {{ association }}; it is "
    "about a mentoring relationship you look after."
)
#: A meeting's variables (meeting_proposed, meeting_scheduled, meeting_changed).
_MEETING = {
    "other_name": True,
    "when": True,
    "minutes": True,
    "mode": True,
    "where": True,
    "link": True,
}

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "approval_request",
            Category.TRANSACTIONAL,
            {"summary": True, "details": True, "link": True, "expires_on": True},
            "Please approve: {{ summary }}",
            "You get this because you were named as the approver of this request in "
            "{{ scheme_name }}. The link is for you alone; do not forward it.",
        ),
        Kind(
            "role_change",
            Category.TRANSACTIONAL,
            {"roles": True, "added": True, "removed": True, "link": True},
            "Your roles in {{ scheme_name }} have changed",
            "You get this because you are a member of {{ association }} and your roles in "
            "{{ scheme_name }} changed.",
        ),
        Kind(
            "roster_rejected",
            Category.TRANSACTIONAL,
            {"problems": True, "rows": True, "link": True},
            "Your member roster was not imported",
            "You get this because you uploaded a member roster to {{ scheme_name }}.",
        ),
        Kind(
            "reminder",
            Category.REMINDER,
            {"title": True, "due_on": True, "link": True, "note": False},
            "Reminder: {{ title }} is due on {{ due_on }}",
            "You get this reminder because you take part in {{ scheme_name }}. You can turn "
            "reminders off at any time; messages about decisions still reach you.",
        ),
        # --- applications (mentorhub.applications.services) --------------------------------
        # Each is about one application: `role` ("mentor"/"mentee" in words), `cohort` (its
        # name), `link` (the application's page).
        Kind(
            "application_received",
            Category.TRANSACTIONAL,
            {"role": True, "cohort": True, "link": True, "waiting_for": False},
            "We have received your application to be a {{ role }}",
            _APPLIED,
        ),
        Kind(
            "application_eligible",
            Category.TRANSACTIONAL,
            {"role": True, "cohort": True, "link": True},
            "Your application to be a {{ role }} can go ahead",
            _APPLIED,
        ),
        Kind(
            "application_ineligible",
            Category.TRANSACTIONAL,
            {"role": True, "cohort": True, "link": True, "why": True},
            "Your application to be a {{ role }} cannot go ahead",
            _APPLIED,
        ),
        Kind(
            "application_shortlisted",
            Category.TRANSACTIONAL,
            {"role": True, "cohort": True, "link": True},
            "You are on the shortlist to be a {{ role }}",
            _APPLIED,
        ),
        Kind(
            "application_interview_scheduled",
            Category.TRANSACTIONAL,
            {"role": True, "cohort": True, "link": True, "when": True, "format": True},
            "Your interview for {{ scheme_name }}: {{ when }}",
            _APPLIED,
        ),
        Kind(
            "application_accepted",
            Category.TRANSACTIONAL,
            {"role": True, "cohort": True, "link": True},
            "You are accepted as a {{ role }} in {{ cohort }}",
            _APPLIED,
        ),
        Kind(
            "application_waitlisted",
            Category.TRANSACTIONAL,
            {"role": True, "cohort": True, "link": True},
            "You are on the waiting list to be a {{ role }}",
            _APPLIED,
        ),
        Kind(
            "application_unsuccessful",
            Category.TRANSACTIONAL,
            {
                "role": True,
                "cohort": True,
                "link": True,
                "feedback": False,
                "feedback_offered": False,
                "priority_next_intake": False,
            },
            "Your application to be a {{ role }} in {{ cohort }}",
            _APPLIED,
        ),
        Kind(
            "application_next_intake",
            Category.TRANSACTIONAL,
            {"role": True, "cohort": True, "link": True},
            "An invitation to apply again to {{ scheme_name }}",
            _APPLIED,
        ),
        Kind(
            "application_withdrawn",
            Category.TRANSACTIONAL,
            {"role": True, "cohort": True, "link": True},
            "Your application to be a {{ role }} is withdrawn",
            _APPLIED,
        ),
        # --- matching and pairs (mentorhub.pairs.services, mentorhub.matching.services) -----
        # `role` is the recipient's role in the pair ("mentor"/"mentee"), `other_name` the
        # other person's name, `cohort` the cohort's name, `link` the pair's or the
        # application's page.
        Kind(
            "match_made",
            Category.TRANSACTIONAL,
            {"role": True, "other_name": True, "cohort": True, "link": True, "why": False},
            "You are matched with {{ other_name }} in {{ scheme_name }}",
            _MATCHED,
        ),
        Kind(
            "match_unmatched",
            Category.TRANSACTIONAL,
            {
                "role": True,
                "cohort": True,
                "link": True,
                "next_intake": False,
                "feedback_offered": False,
            },
            "Matching in {{ cohort }}: we could not find you a match this time",
            _APPLIED,
        ),
        Kind(
            "match_ended",
            Category.TRANSACTIONAL,
            {"role": True, "other_name": True, "cohort": True, "link": True, "how": True},
            "Your mentoring relationship with {{ other_name }} has ended",
            _MATCHED,
        ),
        Kind(
            "match_extended",
            Category.TRANSACTIONAL,
            {"role": True, "other_name": True, "cohort": True, "link": True, "until": True},
            "Your mentoring relationship with {{ other_name }} is extended to {{ until }}",
            _MATCHED,
        ),
        Kind(
            "match_reopened",
            Category.TRANSACTIONAL,
            {"cohort": True, "link": True},
            "We will look for a new mentor for you",
            _APPLIED,
        ),
        # --- suggest and accept (AHEP) and mutual acceptance (Arts Marketing Association):
        # mentorhub.matching.suggest_flow and mentorhub.matching.mutual_flow. `link` is the
        # request's or proposal's page for the recipient.
        Kind(
            "match_request_received",
            Category.TRANSACTIONAL,
            {
                "mentee_name": True,
                "cohort": True,
                "link": True,
                "expires_on": True,
                "reasons": False,
                "answers": False,
            },
            "{{ mentee_name }} would like you as their mentor",
            _APPLIED,
        ),
        Kind(
            "match_request_reminder",
            Category.TRANSACTIONAL,
            {"mentee_name": True, "cohort": True, "link": True, "expires_on": True},
            "Reminder: {{ mentee_name }} is waiting for your answer",
            _APPLIED,
        ),
        Kind(
            "match_request_passed",
            Category.TRANSACTIONAL,
            {
                "mentor_name": True,
                "outcome": True,
                "next_name": True,
                "cohort": True,
                "link": True,
                "reason": False,
            },
            "Your mentor request: we have now asked {{ next_name }}",
            _APPLIED,
        ),
        Kind(
            "match_request_exhausted",
            Category.TRANSACTIONAL,
            {
                "mentor_name": True,
                "outcome": True,
                "cohort": True,
                "link": True,
                "reason": False,
                "may_choose_again": False,
            },
            "Your mentor request: please choose again",
            _APPLIED,
        ),
        Kind(
            "proposal_made",
            Category.TRANSACTIONAL,
            {"role": True, "other_name": True, "cohort": True, "link": True, "note": False},
            "A proposed match with {{ other_name }}: do you accept?",
            _APPLIED,
        ),
        Kind(
            "proposal_declined",
            Category.TRANSACTIONAL,
            {
                "mentor_name": True,
                "mentee_name": True,
                "declined_by": True,
                "reason": True,
                "cohort": True,
                "link": True,
            },
            "{{ declined_by }} declined the match of {{ mentee_name }} with {{ mentor_name }}",
            "You get this because you proposed this match in {{ scheme_name }}.",
        ),
        Kind(
            "proposal_cancelled",
            Category.TRANSACTIONAL,
            {"role": True, "other_name": True, "cohort": True, "link": True},
            "The proposed match with {{ other_name }} will not go ahead",
            _APPLIED,
        ),
        # --- the pair's space (mentorhub.pairs.services: meetings, agreement, plan, logs,
        # chat, ending). `link` is the absolute URL of the page to act on; `when` is
        # preformatted in the tenant's zone ("Tuesday 12 January 2027, 14:00
        # (America/Edmonton)"), `where` the place, the video link or "Phone". Meeting mail
        # carries an .ics attachment (services.Attachment) where the brief says so.
        Kind(
            "meeting_proposed",
            Category.TRANSACTIONAL,
            {**_MEETING},
            "{{ other_name }} proposes a meeting: {{ when }}",
            _MATCHED,
        ),
        Kind(
            "meeting_scheduled",
            Category.TRANSACTIONAL,
            {**_MEETING},
            "Meeting with {{ other_name }} confirmed: {{ when }}",
            _MATCHED,
        ),
        Kind(
            "meeting_changed",
            Category.TRANSACTIONAL,
            {**_MEETING},
            "Meeting with {{ other_name }} moved to {{ when }}",
            _MATCHED,
        ),
        Kind(
            "meeting_declined",
            Category.TRANSACTIONAL,
            {"other_name": True, "when": True, "reason": True, "link": True},
            "{{ other_name }} cannot make the meeting on {{ when }}",
            _MATCHED,
        ),
        Kind(
            "meeting_cancelled",
            Category.TRANSACTIONAL,
            {"other_name": True, "when": True, "reason": True, "link": True},
            "Meeting with {{ other_name }} cancelled: {{ when }}",
            _MATCHED,
        ),
        Kind(
            "agreement_changed",
            Category.TRANSACTIONAL,
            {"other_name": True, "link": True},
            "{{ other_name }} changed your mentoring agreement: please read and agree",
            _MATCHED,
        ),
        Kind(
            "plan_submitted",
            Category.TRANSACTIONAL,
            {"mentor_name": True, "mentee_name": True, "cohort": True, "link": True},
            "Plan submitted: {{ mentee_name }} and {{ mentor_name }}",
            _COORDINATING,
        ),
        Kind(
            "log_shared",
            Category.TRANSACTIONAL,
            {"author_name": True, "cohort": True, "link": True},
            "{{ author_name }} shared a log entry with you",
            _COORDINATING,
        ),
        Kind(
            "chat_unread",
            Category.REMINDER,
            {"other_name": True, "count": True, "link": True},
            "New in your chat with {{ other_name }}",
            "You get this because you take part in {{ scheme_name }} and have unread chat "
            "messages from the other person in your mentoring relationship (at most one "
            "notice an hour). You can turn these notices and reminders off at any time; "
            "messages about decisions and meetings still reach you.",
        ),
        Kind(
            "extension_proposed",
            Category.TRANSACTIONAL,
            {"other_name": True, "months": True, "until": True, "link": True},
            "{{ other_name }} proposes extending your mentoring relationship to {{ until }}",
            _MATCHED,
        ),
        Kind(
            "extension_declined",
            Category.TRANSACTIONAL,
            {"other_name": True, "months": True, "link": True},
            "{{ other_name }} declined the extension of your mentoring relationship",
            _MATCHED,
        ),
        Kind(
            "pair_ended_coordinator",
            Category.TRANSACTIONAL,
            {
                "mentor_name": True,
                "mentee_name": True,
                "how": True,
                "reason": True,
                "cohort": True,
                "link": True,
            },
            "Mentoring ended: {{ mentee_name }} and {{ mentor_name }}",
            _COORDINATING,
        ),
        # --- scheme operations (mentorhub.checkpoints: the clock and the submissions) ---------
        # `title` is the checkpoint item's title, `due_on` its due date in words, `link` the
        # item's page; `together` (pair items): the other person's name, written together.
        Kind(
            "checkpoint_open",
            Category.TRANSACTIONAL,
            {"title": True, "due_on": True, "link": True, "note": False, "together": False},
            "Now open: {{ title }}, due on {{ due_on }}",
            "You get this because you take part in {{ scheme_name }}, whose scheme asks for "
            "this at this point of your mentoring relationship.",
        ),
        Kind(
            "checkpoint_overdue",
            Category.REMINDER,
            {"title": True, "due_on": True, "link": True, "note": False},
            "Overdue: {{ title }} was due on {{ due_on }}",
            "You get this reminder because you take part in {{ scheme_name }}. You can turn "
            "reminders off at any time; messages about decisions still reach you.",
        ),
        Kind(
            "checkpoint_submitted",
            Category.TRANSACTIONAL,
            {"title": True, "other_name": True, "link": True},
            "{{ other_name }} sent in {{ title }} for you both",
            _MATCHED,
        ),
        Kind(
            "quiet_pair_nudge",
            Category.REMINDER,
            {"other_name": True, "days": True, "link": True},
            "It has been {{ days }} days since you and {{ other_name }} were last in touch",
            "You get this reminder because you take part in {{ scheme_name }} and nothing has "
            "been recorded in your mentoring space for a while. You can turn reminders off at "
            "any time; messages about decisions still reach you.",
        ),
    )
}


class UnknownKind(KeyError):
    pass


def get_kind(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise UnknownKind(f"unknown message kind {name!r}") from None


def check_overrides(data: Any, path: str = "messages") -> list[tuple[str, str]]:
    """Problems in a tenant file's `[messages]` table, each as (key path, message): the
    scheme engine's check (`mentorhub.schemes.messages`), which tenant files go through."""
    return check_messages(data, path)
