"""The words members read for the values the product stores: roles and audit actions.

One mapping, used by every page (the `role_label`, `role_labels` and `action_label` template
filters, `mentorhub.web.templating`) and by the demo identity provider's list, so a stored
value such as `tenant_admin` never reaches a page.
"""

from __future__ import annotations

from collections.abc import Iterable

from mentorhub.identity.models import Role

__all__ = ["ACTION_LABELS", "ROLE_LABELS", "action_label", "role_label", "role_labels"]

ROLE_LABELS: dict[str, str] = {
    Role.TENANT_ADMIN: "Administrator",
    Role.COORDINATOR: "Coordinator",
    Role.MENTOR: "Mentor",
    Role.MENTEE: "Mentee",
}

#: The audit log's actions, as the log shows them.
ACTION_LABELS: dict[str, str] = {
    "login": "Signed in",
    "login_failed": "Sign-in refused",
    "logout": "Signed out",
    "role_change": "Roles changed",
    "roster_upload": "Roster uploaded",
    "approval_decision": "Approval decided",
    "sso_configured": "Single sign-on settings saved",
    "sso_activated": "Single sign-on switched to new settings",
    "sso_test_failed": "Single sign-on test failed",
    "sso_pending_withdrawn": "Waiting single sign-on settings withdrawn",
    "sso_default_moved": "Demo sign-in moved to a new address",
    "message.failed": "E-mail not delivered",
    "reminders_off": "Reminder e-mails turned off",
    "reminders_on": "Reminder e-mails turned on",
}


def _plain(value: str) -> str:
    words = value.replace("_", " ").replace(".", " ").strip()
    return words[:1].upper() + words[1:]


def role_label(value: object) -> str:
    """"tenant_admin" → "Administrator"; any other value as it is, underscores as spaces
    (the audit log passes every listed detail through here)."""
    text = str(value)
    return ROLE_LABELS.get(text) or text.replace("_", " ")


def role_labels(values: Iterable[object], empty: str = "none") -> str:
    """Roles in the product's order (administrator first), comma-separated."""
    order = list(ROLE_LABELS)
    known = sorted(
        {str(v) for v in values}, key=lambda v: (order.index(v) if v in order else 99, v)
    )
    return ", ".join(role_label(v) for v in known) or empty


def action_label(value: object) -> str:
    text = str(value)
    return ACTION_LABELS.get(text) or _plain(text)
