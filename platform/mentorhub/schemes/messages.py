"""The `[messages.<kind>]` tables of a tenant file: an association's own subject and body
text for one kind of message, validated like every other rule of the file.

```toml
[messages.reminder]
subject = "Don't forget: {{ title }} by {{ due_on }}"
body = '''Hello {{ recipient_name }}, …'''
```

An override is *plain text with `{{ variable }}` placeholders* and nothing else: no
attributes (`{{ title.upper }}`), items, calls, filters, operators or `{% … %}` blocks. So a
tenant file cannot reach past the values a message declares (`{{ ''.__class__ }}` is refused
here, with its key path), and delivery renders it in Jinja's immutable sandbox besides
(`mentorhub.messages.render`). Problems are `(key path, message)` pairs, e.g.
`messages.reminder.subject: unknown variable {{ foo }} (allowed: …)`.

Which kinds exist and which variables each may use is declared *here*, in the scheme
engine, because the tenant loader (`mentorhub.tenancy`) reads tenant files and must not
import the messages area (pyproject's import contracts). `mentorhub.messages.kinds` declares
the same kinds with their templates; `tests/messages/test_overrides.py` keeps the two equal.
Pure: Jinja's parser and the shared text check only.
"""

from __future__ import annotations

from typing import Any

import msgspec
from jinja2 import TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from mentorhub.core.text import LINE, TEXT, BadText, clean_text

__all__ = [
    "COMMON_VARIABLES",
    "MESSAGE_VARIABLES",
    "OVERRIDE_KEYS",
    "MessageText",
    "allowed_variables",
    "check_messages",
    "message_texts",
    "placeholder_problems",
]

#: Variables every message may use, filled in at delivery.
COMMON_VARIABLES = frozenset({"association", "scheme_name", "recipient_name"})

#: Each kind of message a tenant may reword, and the variables of its own.
MESSAGE_VARIABLES: dict[str, frozenset[str]] = {
    "approval_request": frozenset({"summary", "details", "link", "expires_on"}),
    "role_change": frozenset({"roles", "added", "removed", "link"}),
    "roster_rejected": frozenset({"problems", "rows", "link"}),
    "reminder": frozenset({"title", "due_on", "link", "note", "unsubscribe_url"}),
    # The applications area's (mentorhub.applications.services).
    "application_received": frozenset({"role", "cohort", "link", "waiting_for"}),
    "application_eligible": frozenset({"role", "cohort", "link"}),
    "application_ineligible": frozenset({"role", "cohort", "link", "why"}),
    "application_shortlisted": frozenset({"role", "cohort", "link"}),
    "application_interview_scheduled": frozenset({"role", "cohort", "link", "when", "format"}),
    "application_accepted": frozenset({"role", "cohort", "link"}),
    "application_waitlisted": frozenset({"role", "cohort", "link"}),
    "application_unsuccessful": frozenset(
        {"role", "cohort", "link", "feedback", "feedback_offered", "priority_next_intake"}
    ),
    "application_next_intake": frozenset({"role", "cohort", "link"}),
    "application_withdrawn": frozenset({"role", "cohort", "link"}),
    # Matching and pairs (mentorhub.pairs.services, mentorhub.matching.services).
    "match_made": frozenset({"role", "other_name", "cohort", "link", "why"}),
    "match_unmatched": frozenset({"role", "cohort", "link", "next_intake", "feedback_offered"}),
    "match_ended": frozenset({"role", "other_name", "cohort", "link", "how"}),
    "match_extended": frozenset({"role", "other_name", "cohort", "link", "until"}),
    "match_reopened": frozenset({"cohort", "link"}),
    # Suggest and accept, mutual acceptance (mentorhub.matching.suggest_flow, mutual_flow).
    "match_request_received": frozenset(
        {"mentee_name", "cohort", "link", "expires_on", "reasons", "answers"}
    ),
    "match_request_reminder": frozenset({"mentee_name", "cohort", "link", "expires_on"}),
    "match_request_passed": frozenset(
        {"mentor_name", "outcome", "next_name", "cohort", "link", "reason"}
    ),
    "match_request_exhausted": frozenset(
        {"mentor_name", "outcome", "cohort", "link", "reason", "may_choose_again"}
    ),
    "proposal_made": frozenset({"role", "other_name", "cohort", "link", "note"}),
    "proposal_declined": frozenset(
        {"mentor_name", "mentee_name", "declined_by", "reason", "cohort", "link"}
    ),
    "proposal_cancelled": frozenset({"role", "other_name", "cohort", "link"}),
    # The pair's space (mentorhub.pairs.services: meetings, agreement, plan, logs, chat, ending).
    "meeting_proposed": frozenset({"other_name", "when", "minutes", "mode", "where", "link"}),
    "meeting_scheduled": frozenset({"other_name", "when", "minutes", "mode", "where", "link"}),
    "meeting_changed": frozenset({"other_name", "when", "minutes", "mode", "where", "link"}),
    "meeting_declined": frozenset({"other_name", "when", "reason", "link"}),
    "meeting_cancelled": frozenset({"other_name", "when", "reason", "link"}),
    "agreement_changed": frozenset({"other_name", "link"}),
    "plan_submitted": frozenset({"mentor_name", "mentee_name", "cohort", "link"}),
    "log_shared": frozenset({"author_name", "cohort", "link"}),
    "chat_unread": frozenset({"other_name", "count", "link", "unsubscribe_url"}),
    "extension_proposed": frozenset({"other_name", "months", "until", "link"}),
    "extension_declined": frozenset({"other_name", "months", "link"}),
    "pair_ended_coordinator": frozenset(
        {"mentor_name", "mentee_name", "how", "reason", "cohort", "link"}
    ),
    # Scheme operations (mentorhub.checkpoints: the clock and the submissions).
    "checkpoint_open": frozenset({"title", "due_on", "link", "note", "together"}),
    "checkpoint_overdue": frozenset({"title", "due_on", "link", "note", "unsubscribe_url"}),
    "checkpoint_submitted": frozenset({"title", "other_name", "link"}),
    "quiet_pair_nudge": frozenset({"other_name", "days", "link", "unsubscribe_url"}),
}

OVERRIDE_KEYS = ("body", "subject")
SUBJECT_MAX = 200
BODY_MAX = 20_000


class MessageText(msgspec.Struct, frozen=True, kw_only=True):
    """One kind's overridden texts (either may be absent: the product's own is used)."""

    kind: str
    subject: str | None = None
    body: str | None = None


def allowed_variables(kind: str) -> frozenset[str]:
    return COMMON_VARIABLES | MESSAGE_VARIABLES[kind]


# Parsing only (never rendering here): the sandbox's parser is Jinja's own.
_parser = ImmutableSandboxedEnvironment()


def _show(node: nodes.Node) -> str:
    """A short description of what a placeholder does beyond naming a variable."""
    if isinstance(node, nodes.Getattr):
        return f"reads the attribute {node.attr!r}"
    if isinstance(node, nodes.Getitem):
        return "reads an item"
    if isinstance(node, nodes.Call):
        called = node.node
        return f"calls {called.attr!r}" if isinstance(called, nodes.Getattr) else "calls a function"
    if isinstance(node, nodes.Filter | nodes.Test):
        return f"uses {node.name!r}"
    if isinstance(node, nodes.Const):
        return "is a constant"
    return "is an expression"


def placeholder_problems(source: str, allowed: frozenset[str]) -> list[str]:
    """What keeps `source` from being plain text with `{{ variable }}` placeholders of the
    `allowed` variables, as messages (empty: fine)."""
    try:
        tree = _parser.parse(source)
    except TemplateSyntaxError as exc:
        return [f"is not a valid template: {exc.message} (line {exc.lineno})"]
    found: list[str] = []
    unknown: list[str] = []
    for statement in tree.body:
        if not isinstance(statement, nodes.Output):
            found.append(
                f"line {statement.lineno}: only {{{{ variable }}}} placeholders are allowed, "
                "not {% … %} blocks"
            )
            continue
        for node in statement.nodes:
            if isinstance(node, nodes.TemplateData):
                continue
            if isinstance(node, nodes.Name):
                if node.name not in allowed and node.name not in unknown:
                    unknown.append(node.name)
                continue
            found.append(
                f"line {node.lineno}: only {{{{ variable }}}} placeholders are allowed; this "
                f"one {_show(node)}"
            )
    return [
        f"unknown variable {{{{ {name} }}}} (allowed: {', '.join(sorted(allowed))})"
        for name in unknown
    ] + found


def _text_problem(value: str, key: str) -> str | None:
    try:
        if key == "subject":
            clean_text(value, label="the subject", kind=LINE, max_length=SUBJECT_MAX)
        else:
            clean_text(value, label="the body", kind=TEXT, max_length=BODY_MAX)
    except BadText as exc:
        return exc.message
    return None


def check_messages(data: Any, path: str = "messages") -> list[tuple[str, str]]:
    """Problems in a tenant file's `[messages]` table, each as (key path, message)."""
    if not isinstance(data, dict):
        return [(path, "must be a table of message kinds, e.g. [messages.reminder]")]
    found: list[tuple[str, str]] = []
    for name, table in data.items():
        where = f"{path}.{name}"
        if name not in MESSAGE_VARIABLES:
            known = ", ".join(sorted(MESSAGE_VARIABLES))
            found.append((where, f"unknown message kind (known: {known})"))
            continue
        if not isinstance(table, dict):
            found.append((where, "must be a table with subject and/or body"))
            continue
        if not table:
            found.append((where, "give a subject, a body or both"))
        for key, value in table.items():
            at = f"{where}.{key}"
            if key not in OVERRIDE_KEYS:
                found.append((at, "unknown key (allowed here: body, subject)"))
            elif not isinstance(value, str) or not value.strip():
                found.append((at, "must be non-empty text"))
            elif (problem := _text_problem(value, key)) is not None:
                found.append((at, problem))
            else:
                found.extend((at, p) for p in placeholder_problems(value, allowed_variables(name)))
    return found


def message_texts(data: Any) -> tuple[MessageText, ...]:
    """The overrides of a `[messages]` table that `check_messages` found sound, by kind."""
    if not isinstance(data, dict):
        return ()
    return tuple(
        MessageText(
            kind=name,
            subject=table.get("subject").strip() if table.get("subject") else None,
            body=table.get("body").strip() if table.get("body") else None,
        )
        for name, table in sorted(data.items())
    )
