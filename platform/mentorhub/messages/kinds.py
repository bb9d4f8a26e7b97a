"""Every kind of message the product sends: what it is for, which variables its templates
may use, and why the recipient gets it (the footer).

Transactional mail (approval links, role changes, roster results, match decisions) always
goes. Reminder mail carries `List-Unsubscribe` (RFC 8058 one-click) and is not sent to a
member who turned reminders off. A tenant file may override a kind's subject and body text
(`[messages.<kind>]`); `check_overrides` validates that like every other rule of the file.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, StrictUndefined, TemplateSyntaxError, meta


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


OVERRIDE_KEYS = ("subject", "body")

_checker = Environment(undefined=StrictUndefined, autoescape=True)


def template_variables(source: str) -> set[str]:
    """The variables a template text uses; raises TemplateSyntaxError."""
    return set(meta.find_undeclared_variables(_checker.parse(source)))


def check_overrides(data: Any, path: str = "messages") -> list[tuple[str, str]]:
    """Problems in a tenant file's `[messages]` table, each as (key path, message)."""
    found: list[tuple[str, str]] = []
    if not isinstance(data, dict):
        return [(path, "must be a table of message kinds, e.g. [messages.reminder]")]
    for name, table in data.items():
        where = f"{path}.{name}"
        if name not in KINDS:
            found.append((where, f"unknown message kind (known: {', '.join(sorted(KINDS))})"))
            continue
        if not isinstance(table, dict):
            found.append((where, "must be a table with subject and/or body"))
            continue
        kind = KINDS[name]
        for key, value in table.items():
            if key not in OVERRIDE_KEYS:
                found.append((f"{where}.{key}", "unknown key (allowed here: body, subject)"))
            elif not isinstance(value, str) or not value.strip():
                found.append((f"{where}.{key}", "must be non-empty text"))
            elif key == "subject" and ("\n" in value or len(value) > 200):
                found.append((f"{where}.{key}", "must be one line of at most 200 characters"))
            else:
                try:
                    unknown = template_variables(value) - kind.allowed
                except TemplateSyntaxError as exc:
                    found.append((f"{where}.{key}", f"is not a valid template: {exc.message}"))
                    continue
                for variable in sorted(unknown):
                    found.append(
                        (
                            f"{where}.{key}",
                            f"unknown variable {variable!r} (allowed: "
                            f"{', '.join(sorted(kind.allowed))})",
                        )
                    )
    return found
