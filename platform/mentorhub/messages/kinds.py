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
