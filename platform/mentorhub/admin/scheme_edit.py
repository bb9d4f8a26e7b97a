"""The tenant admin's scheme form, pure: which of a scheme document's rules the form shows
(the common ones: duration, cadence, checkpoint offsets and windows, the forms' questions,
matching weights, and the tenant's wording of messages), the form's values ↔ the document,
a validation problem's key path → the field it belongs to, the difference between two
versions by key path in words, what a new version changes for the pairs already running,
the proposal carried signed from the preview to the confirmation, and the tenant file a
version downloads as.

Decisions where the issue is silent:

* The form edits what the document already has: the kind of duration or cadence, and which
  checkpoints, questions and criteria exist, are changed by uploading a file. Options of a
  choice question (and a Likert grid's statements and scale) are one per line, so options
  are added, removed and reordered in the form.
* A form field's name is the rule's key path without the `scheme.` head, indices as dotted
  numbers (`checkpoints.2.window_days_after`; `messages.reminder.subject` for wording), so a
  problem the scheme engine reports at `scheme.checkpoints[2].window_days_after` is shown at
  that field; a problem about something the form does not show goes to the nearest section
  of the form that holds it (the checkpoint's fieldset, "Meetings"), else to the summary.
* The wording of messages is part of a proposal (not of the versioned rules: see
  `schemes.services`): a blank subject or body is the product's own text.
* The proposal travels in the preview's confirm form, compressed and signed with a key
  derived from the app's secret for this purpose and tenant (as approval links are), so a
  changed or another tenant's proposal is refused; the base version in it makes a second
  confirmation against a newer scheme stale.

Pure: the standard library, msgspec, and the scheme engine's own models.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import math
import re
import uuid
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from mentorhub.core.problems import Problem
from mentorhub.core.text import LINE, TEXT, BadText, clean_text
from mentorhub.identity.secrets import derive_key
from mentorhub.schemes.forms import CHOICE_KINDS
from mentorhub.schemes.messages import (
    BODY_MAX,
    MESSAGE_VARIABLES,
    SUBJECT_MAX,
    allowed_variables,
)

__all__ = [
    "Change",
    "Field",
    "Group",
    "Proposal",
    "apply_form",
    "diff",
    "field_for",
    "form_groups",
    "form_values",
    "impact",
    "messages_of",
    "open_proposal",
    "seal_proposal",
    "summary_of",
    "tenant_toml",
    "texts_of",
]

FieldKind = Literal[
    "int",
    "opt_int",
    "opt_float",
    "float",
    "line",
    "opt_line",
    "text",
    "bool",
    "lines",
    # A question's "remove" box, and a new question's kind (one of `choices`).
    "remove",
    "choice",
]
Messages = dict[str, dict[str, str]]

LABEL_MAX = 500
HELP_MAX = 2000
OPTION_MAX = 200


@dataclass(frozen=True)
class Field:
    """One input: its form key (also its id), where it writes in the document (a key path
    from the scheme's root, or ("messages", kind, "subject"|"body")), its label and kind."""

    key: str
    path: tuple[str | int, ...]
    label: str
    kind: FieldKind
    hint: str = ""
    choices: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Group:
    """A fieldset of the form: its anchor (a key path prefix), heading and fields."""

    key: str
    heading: str
    fields: tuple[Field, ...]
    section: str
    open: bool = True


def _key(path: Sequence[str | int]) -> str:
    return ".".join(str(p) for p in path)


def _get(doc: Any, path: Sequence[str | int]) -> Any:
    for p in path:
        if isinstance(doc, dict) and isinstance(p, str):
            doc = doc.get(p)
        elif isinstance(doc, list) and isinstance(p, int) and 0 <= p < len(doc):
            doc = doc[p]
        else:
            return None
    return doc


# --- which fields a document has --------------------------------------------------------------

_PERIOD = (("months", "months"), ("weeks", "weeks"), ("days", "days"))


def _question_fields(prefix: tuple[str | int, ...], q: Mapping[str, Any]) -> list[Field]:
    name = q.get("label") or q.get("id")
    out = [
        Field(
            _key((*prefix, "label")), (*prefix, "label"), f"Question “{q.get('id')}”: label", "line"
        ),
        Field(_key((*prefix, "help")), (*prefix, "help"), f"Help text of “{name}”", "text"),
        Field(
            _key((*prefix, "required")), (*prefix, "required"), f"“{name}” must be answered", "bool"
        ),
    ]
    kind = q.get("kind")
    if kind in CHOICE_KINDS or kind == "likert":
        words = "Answers (scale)" if kind == "likert" else "Options"
        out.append(
            Field(
                _key((*prefix, "options")),
                (*prefix, "options"),
                f"{words} of “{name}”",
                "lines",
                hint="One per line, in the order shown.",
            )
        )
    if kind == "likert":
        out.append(
            Field(
                _key((*prefix, "rows")),
                (*prefix, "rows"),
                f"Statements of “{name}”",
                "lines",
                hint="One per line.",
            )
        )
    out.append(
        Field(_key((*prefix, "_remove")), (*prefix, "_remove"), f"Remove “{name}”", "remove")
    )
    return out


#: The kinds a question added in the form may have (others need limits only a file states).
NEW_KINDS: dict[str, tuple[tuple[str, str], ...]] = {
    "forms": (
        ("text", "A line of text"),
        ("long_text", "Paragraphs of text"),
        ("single_choice", "One of the options"),
        ("multiple_choice", "Any of the options"),
        ("yes_no", "Yes or no"),
        ("consent", "A box to tick"),
    ),
    "checkpoint_forms": (
        ("text", "A line of text"),
        ("long_text", "Paragraphs of text"),
        ("single_choice", "One of the options"),
        ("multiple_choice", "Any of the options"),
        ("yes_no", "Yes or no"),
    ),
}


def _new_question_group(list_path: tuple[str | int, ...], section: str, where: str) -> Group:
    """The fields of one question added at the end of the list at `list_path`."""
    key = _key((*list_path, "new"))

    def f(name: str, label: str, kind: FieldKind, **more: Any) -> Field:
        return Field(f"{key}.{name}", (*list_path, "new", name), label, kind, **more)

    return Group(
        key,
        f"Add a question to {where}",
        (
            f(
                "id",
                "Its identifier",
                "opt_line",
                hint="Lower-case letters, digits and underscores, starting with a letter; "
                "leave blank to add no question.",
            ),
            f("kind", "How it is answered", "choice", choices=NEW_KINDS[section]),
            f("label", "The question", "opt_line"),
            f("help", "Help text", "text"),
            f("required", "Must be answered", "bool"),
            f("options", "Options (for a choice)", "lines", hint="One per line."),
        ),
        section,
        open=False,
    )


def question_lists(document: Mapping[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """Every list of questions the form edits: its key path and its section."""
    out: list[tuple[tuple[str | int, ...], str]] = []
    forms = document.get("forms") or {}
    for role in ("mentor", "mentee"):
        if forms.get(role):
            out.append((("forms", role, "questions"), "forms"))
    for j, _cf in enumerate(document.get("checkpoint_forms") or []):
        out.append((("checkpoint_forms", j, "questions"), "checkpoint_forms"))
    return out


def form_groups(document: Mapping[str, Any]) -> list[Group]:
    """The form's fieldsets for `document` (a stored scheme version), in page order."""
    groups: list[Group] = []
    d = document.get("duration") or {}
    kind = d.get("kind")
    duration: list[Field] = []
    if kind == "fixed":
        duration.append(Field("duration.months", ("duration", "months"), "Length (months)", "int"))
    elif kind == "range":
        duration += [
            Field("duration.min_months", ("duration", "min_months"), "Shortest (months)", "int"),
            Field("duration.max_months", ("duration", "max_months"), "Longest (months)", "int"),
        ]
    elif kind == "cohort":
        duration += [
            Field(
                "duration.start_month",
                ("duration", "start_month"),
                "Cohort starts in month (1–12)",
                "int",
            ),
            Field(
                "duration.end_month",
                ("duration", "end_month"),
                "Cohort ends in month (1–12)",
                "int",
            ),
        ]
    duration.append(
        Field(
            "duration.typical_months",
            ("duration", "typical_months"),
            "Typical length (months)",
            "opt_int",
            hint="Leave blank if the scheme states none.",
        )
    )
    groups.append(Group("duration", "How long it lasts", tuple(duration), "duration"))

    m = document.get("meetings") or {}
    cadence = m.get("cadence") or {}
    meetings: list[Field] = []
    if cadence.get("kind") == "interval":
        for name, words in _PERIOD:
            meetings.append(
                Field(
                    f"meetings.cadence.every.{name}",
                    ("meetings", "cadence", "every", name),
                    f"Time between meetings: {words}",
                    "int",
                )
            )
    meetings += [
        Field(
            "meetings.session_minutes.min",
            ("meetings", "session_minutes", "min"),
            "Shortest meeting (minutes)",
            "opt_int",
        ),
        Field(
            "meetings.session_minutes.max",
            ("meetings", "session_minutes", "max"),
            "Longest meeting (minutes)",
            "opt_int",
        ),
        Field(
            "meetings.contact_hours.min",
            ("meetings", "contact_hours", "min"),
            "Least contact time in all (hours)",
            "opt_float",
        ),
        Field(
            "meetings.contact_hours.max",
            ("meetings", "contact_hours", "max"),
            "Most contact time in all (hours)",
            "opt_float",
        ),
    ]
    groups.append(Group("meetings", "Meetings", tuple(meetings), "meetings"))

    for i, c in enumerate(document.get("checkpoints") or []):
        prefix: tuple[str | int, ...] = ("checkpoints", i)
        fields = [Field(_key((*prefix, "title")), (*prefix, "title"), "Title", "line")]
        when = c.get("when") or {}
        if when.get("kind") == "offset":
            for name, words in _PERIOD:
                path = (*prefix, "when", f"offset_{name}")
                fields.append(
                    Field(
                        _key(path),
                        path,
                        f"Due after {when.get('anchor', 'matching').replace('_', ' ')}: {words}",
                        "int",
                    )
                )
        elif when.get("kind") == "after_each_meeting":
            path = (*prefix, "when", "within_days")
            fields.append(Field(_key(path), path, "Due within (days of each meeting)", "int"))
        fields += [
            Field(
                _key((*prefix, "window_days_before")),
                (*prefix, "window_days_before"),
                "Opens (days before it is due)",
                "int",
            ),
            Field(
                _key((*prefix, "window_days_after")),
                (*prefix, "window_days_after"),
                "On time until (days after it is due)",
                "int",
            ),
        ]
        groups.append(
            Group(
                _key(prefix),
                f"Checkpoint: {c.get('title') or c.get('id')}",
                tuple(fields),
                "checkpoints",
            )
        )

    forms = document.get("forms") or {}
    for role in ("mentor", "mentee"):
        form = forms.get(role)
        if not form:
            continue
        for i, q in enumerate(form.get("questions") or []):
            prefix = ("forms", role, "questions", i)
            groups.append(
                Group(
                    _key(prefix),
                    f"{role.capitalize()}s’ application: {q.get('label') or q.get('id')}",
                    tuple(_question_fields(prefix, q)),
                    "forms",
                    open=False,
                )
            )
        if form:
            groups.append(
                _new_question_group(
                    ("forms", role, "questions"), "forms", f"the {role}s’ application"
                )
            )
    titles = {c.get("id"): c.get("title") for c in document.get("checkpoints") or []}
    for j, cf in enumerate(document.get("checkpoint_forms") or []):
        cf_title = titles.get(cf.get("checkpoint")) or cf.get("checkpoint")
        for i, q in enumerate(cf.get("questions") or []):
            prefix = ("checkpoint_forms", j, "questions", i)
            groups.append(
                Group(
                    _key(prefix),
                    f"Form of “{cf_title}”: {q.get('label') or q.get('id')}",
                    tuple(_question_fields(prefix, q)),
                    "checkpoint_forms",
                    open=False,
                )
            )
        groups.append(
            _new_question_group(
                ("checkpoint_forms", j, "questions"),
                "checkpoint_forms",
                f"the form of “{cf_title}”",
            )
        )

    criteria = (document.get("matching") or {}).get("criteria") or []
    if criteria:
        weights = [
            Field(
                f"matching.criteria.{i}.weight",
                ("matching", "criteria", i, "weight"),
                f"Weight of “{c.get('label') or c.get('name')}”",
                "float",
                hint="0 or more; 0: the criterion only excludes (if it is hard).",
            )
            for i, c in enumerate(criteria)
        ]
        groups.append(Group("matching", "Matching weights", tuple(weights), "matching"))

    for kind in sorted(MESSAGE_VARIABLES):
        groups.append(
            Group(
                f"messages.{kind}",
                f"Message: {kind.replace('_', ' ')}",
                (
                    Field(
                        f"messages.{kind}.subject",
                        ("messages", kind, "subject"),
                        "Subject",
                        "opt_line",
                    ),
                    Field(
                        f"messages.{kind}.body",
                        ("messages", kind, "body"),
                        "Body",
                        "text",
                        hint="Placeholders it may use: "
                        + ", ".join(f"{{{{ {v} }}}}" for v in sorted(allowed_variables(kind)))
                        + ".",
                    ),
                ),
                "messages",
                open=False,
            )
        )
    return groups


def _fields(document: Mapping[str, Any]) -> list[Field]:
    return [f for g in form_groups(document) for f in g.fields]


# --- values ↔ document -------------------------------------------------------------------------


def _shown(value: Any, kind: FieldKind) -> str:
    if value is None:
        return ""
    if kind == "bool":
        return "yes" if value else ""
    if kind == "lines":
        return "\n".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def form_values(
    document: Mapping[str, Any], messages: Mapping[str, Mapping[str, str]]
) -> dict[str, str]:
    """Each field's value as the form shows it (checkbox: "yes" or "")."""
    out: dict[str, str] = {}
    for f in _fields(document):
        if f.path[0] == "messages":
            value = (messages.get(str(f.path[1])) or {}).get(str(f.path[2]))
        else:
            value = _get(document, f.path)
        out[f.key] = _shown(value, f.kind)
    return out


_INT = re.compile(r"-?[0-9]{1,9}")
_FLOAT = re.compile(r"-?[0-9]{1,9}(\.[0-9]{1,6})?")


def _parse(f: Field, raw: str) -> Any:
    """One posted value as the document holds it; BadText says what is wrong."""
    if f.kind in ("bool", "remove"):
        return raw.strip() == "yes"
    if f.kind == "choice":
        if raw.strip() not in {value for value, _ in f.choices}:
            raise BadText(f"Choose how “{f.label}” is answered from the list")
        return raw.strip()
    if f.kind == "lines":
        lines = [
            clean_text(line, label=f.label, kind=LINE, max_length=OPTION_MAX)
            for line in raw.splitlines()
        ]
        return [line for line in lines if line]
    if f.kind in ("line", "opt_line"):
        return clean_text(
            raw,
            label=f.label,
            kind=LINE,
            max_length=SUBJECT_MAX if f.path[0] == "messages" else LABEL_MAX,
        )
    if f.kind == "text":
        return clean_text(
            raw,
            label=f.label,
            kind=TEXT,
            max_length=BODY_MAX if f.path[0] == "messages" else HELP_MAX,
        )
    text = raw.strip()
    if not text and f.kind.startswith("opt_"):
        return None
    if f.kind in ("int", "opt_int"):
        if not _INT.fullmatch(text):
            raise BadText(f"{f.label} must be a whole number, like 6")
        return int(text)
    if not _FLOAT.fullmatch(text) or not math.isfinite(float(text)):
        raise BadText(f"{f.label} must be a number, like 1 or 1.5")
    return float(text)


def _set(doc: dict[str, Any], path: Sequence[str | int], value: Any) -> None:
    parent: Any = doc
    for p in path[:-1]:
        nxt = parent[int(p)] if isinstance(parent, list) else parent.get(p)
        if nxt is None:  # an optional table the document leaves out: made when given
            if value is None:
                return
            nxt = {}
            parent[p] = nxt
        parent = nxt
    parent[path[-1]] = value


_RANGES = (("meetings", "session_minutes"), ("meetings", "contact_hours"))


def apply_form(
    document: Mapping[str, Any],
    messages: Mapping[str, Mapping[str, str]],
    posted: Mapping[str, str],
) -> tuple[dict[str, Any], Messages, list[Problem]]:
    """The document and wording the form's `posted` values make from `document` and
    `messages` (a field left out of `posted` keeps its value, a checkbox excepted: absent is
    unticked), and the problems with the values themselves (not yet the scheme engine's)."""
    doc = copy.deepcopy(dict(document))
    words: Messages = {k: dict(v) for k, v in messages.items()}
    problems: list[Problem] = []
    added: dict[str, dict[str, Any]] = {}
    for f in _fields(document):
        if f.kind == "remove":
            continue  # applied below, with the questions added
        if "new" in f.path:
            raw = posted.get(f.key, "")
            if f.kind == "choice" and not posted.get(f.key[: -len("kind")] + "id", "").strip():
                continue  # no question added: its kind is not asked for
            try:
                value = _parse(f, raw)
            except BadText as exc:
                problems.append(Problem(path=f.key, message=exc.message))
                continue
            added.setdefault(_key(f.path[: f.path.index("new")]), {})[str(f.path[-1])] = value
            continue
        if f.key not in posted and f.kind != "bool":
            continue
        try:
            value = _parse(f, posted.get(f.key, ""))
        except BadText as exc:
            problems.append(Problem(path=f.key, message=exc.message))
            continue
        if f.path[0] == "messages":
            kind, part = str(f.path[1]), str(f.path[2])
            entry = words.setdefault(kind, {})
            if value:
                entry[part] = value
            else:
                entry.pop(part, None)
            if not entry:
                words.pop(kind)
            continue
        if f.kind == "text" and f.path[-1] == "help" and value == "" and _get(doc, f.path) is None:
            continue
        _set(doc, f.path, value)
    for list_path, _section in question_lists(document):
        questions = _get(doc, list_path)
        kept = kept_questions(document, list_path, posted)
        new_list = [questions[i] for i in kept]
        if (question := _new_question(added.get(_key(list_path), {}))) is not None:
            new_list.append(question)
        _set(doc, list_path, new_list)
    for path in _RANGES:
        found = _get(doc, path)
        if isinstance(found, dict) and found.get("min") is None and found.get("max") is None:
            _set(doc, path, None)
    return doc, words, problems


def kept_questions(
    document: Mapping[str, Any], list_path: Sequence[str | int], posted: Mapping[str, str]
) -> list[int]:
    """The indices of the questions at `list_path` the form keeps (not ticked "remove")."""
    questions = _get(document, list_path) or []
    return [
        i
        for i in range(len(questions))
        if posted.get(_key((*list_path, i, "_remove")), "").strip() != "yes"
    ]


def _new_question(values: Mapping[str, Any]) -> dict[str, Any] | None:
    """The question the "Add a question" fields describe, or None (no identifier given)."""
    if not values.get("id"):
        return None
    question: dict[str, Any] = {
        "id": values["id"],
        "kind": values.get("kind") or "text",
        "label": values.get("label") or "",
        "help": values.get("help") or "",
        "required": bool(values.get("required")),
    }
    if question["kind"] in CHOICE_KINDS or values.get("options"):
        question["options"] = list(values.get("options") or [])
    return question


def _renumbered(path: str, document: Mapping[str, Any], posted: Mapping[str, str]) -> str:
    """A problem's dotted path in the sent document as the form's keys name it: a question
    after a removed one moved up, and one past the kept ones is the added question."""
    for list_path, _section in question_lists(document):
        head = _key(list_path) + "."
        if not path.startswith(head):
            continue
        index, _, rest = path[len(head) :].partition(".")
        if not index.isdigit():
            return path
        kept = kept_questions(document, list_path, posted)
        n = int(index)
        moved = f"{head}{kept[n]}" if n < len(kept) else f"{head}new"
        return f"{moved}.{rest}" if rest else moved
    return path


def field_for(
    problem_path: str, document: Mapping[str, Any], posted: Mapping[str, str] | None = None
) -> str:
    """The form key a problem at `problem_path` (`scheme.checkpoints[2].title`,
    `messages.reminder.body`) is shown at: the field itself, else the nearest fieldset or
    section holding it, else "" (the error summary only)."""
    path = problem_path.removeprefix("scheme.")
    path = re.sub(r"\[(\d+)\]", r".\1", path)
    if posted is not None:
        path = _renumbered(path, document, posted)
    anchors: set[str] = set()
    for g in form_groups(document):
        anchors.add(g.key)
        anchors.update(f.key for f in g.fields)
    parts = path.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in anchors:
            return candidate
        parts.pop()
    return ""


def messages_of(texts: Iterable[Any]) -> Messages:
    """Stored wording (`MessageText`s or rows with kind/subject/body) as the form's dict."""
    out: Messages = {}
    for t in texts:
        entry = {k: v for k, v in (("subject", t.subject), ("body", t.body)) if v}
        if entry:
            out[t.kind] = entry
    return out


def texts_of(messages: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    """The wording as a tenant file's `[messages]` table (for `check_messages`)."""
    return {kind: dict(entry) for kind, entry in sorted(messages.items()) if entry}


# --- the difference between two versions ---------------------------------------------------


@dataclass(frozen=True)
class Change:
    path: str
    label: str
    kind: Literal["changed", "added", "removed"]
    old: str = ""
    new: str = ""


_ID_KEYS = ("id", "name", "checkpoint")


def _keyed(items: list[Any]) -> str | None:
    """The key that names each item of a list of tables uniquely, if any."""
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for key in _ID_KEYS:
        names = [i.get(key) for i in items]
        if all(isinstance(n, str) for n in names) and len(set(names)) == len(names):
            return key
    return None


def _flatten(value: Any, path: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(v, f"{path}.{k}" if path else str(k), out)
        return
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        key = _keyed(value)
        for i, item in enumerate(value):
            _flatten(item, f"{path}[{item[key] if key else i}]", out)
        return
    if value is None:
        return  # an optional rule left out
    out[path] = value


_WORDS = {
    "duration": "Duration",
    "meetings": "Meetings",
    "checkpoints": "Checkpoint",
    "checkpoint_forms": "Checkpoint form",
    "forms": "Application form",
    "questions": "question",
    "matching": "Matching",
    "criteria": "criterion",
    "messages": "Message",
    "eligibility": "Eligibility",
    "application": "Application",
    "relationship": "Relationship",
    "reminders": "Reminders",
    "space": "The pair's space",
}


def _label(path: str) -> str:
    """A key path in words: `checkpoints[review].window_days_after` →
    "Checkpoint “review” › window days after"."""
    words: list[str] = []
    for part in re.findall(r"[^.\[\]]+|\[[^\]]*\]", path):
        if part.startswith("["):
            words[-1] = f"{words[-1]} “{part[1:-1]}”" if words else part
        else:
            words.append(_WORDS.get(part, part.replace("_", " ")))
    return " › ".join(words)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value) if value else "(none)"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text if len(text) <= 300 else text[:299] + "…"


def _flat_path(doc: Any, path: Sequence[str | int]) -> str:
    """A form field's key path as the diff writes it (items of named lists by name)."""
    out = ""
    for p in path:
        if isinstance(doc, list) and isinstance(p, int):
            key = _keyed(doc)
            out += f"[{doc[p][key] if key and p < len(doc) else p}]"
            doc = doc[p] if p < len(doc) else None
        else:
            out = f"{out}.{p}" if out else str(p)
            doc = doc.get(p) if isinstance(doc, dict) else None
    return out


_PLAIN_SECTIONS = frozenset({"duration", "meetings", "matching"})


def _form_labels(document: Mapping[str, Any]) -> dict[str, str]:
    """The form's words for each rule it shows, by the diff's key path."""
    labels: dict[str, str] = {}
    for g in form_groups(document):
        for f in g.fields:
            flat = _key(f.path) if f.path[0] == "messages" else _flat_path(document, f.path)
            words = f.label if g.section in _PLAIN_SECTIONS else f"{g.heading} › {f.label}"
            labels[flat] = words
    return labels


def diff(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    old_messages: Mapping[str, Mapping[str, str]] | None = None,
    new_messages: Mapping[str, Mapping[str, str]] | None = None,
) -> list[Change]:
    """What differs between two scheme documents (and wordings), by key path, in page order
    of the new document; the version number is the server's and left out."""
    a: dict[str, Any] = {}
    b: dict[str, Any] = {}
    _flatten({k: v for k, v in old.items() if k != "version"}, "", a)
    _flatten({k: v for k, v in new.items() if k != "version"}, "", b)
    if old_messages is not None or new_messages is not None:
        _flatten({"messages": dict(old_messages or {})}, "", a)
        _flatten({"messages": dict(new_messages or {})}, "", b)
    names = {**_form_labels(old), **_form_labels(new)}

    def label(path: str) -> str:
        return names.get(path) or _label(path)

    changes: list[Change] = []
    for path, value in b.items():
        if path not in a:
            changes.append(Change(path, label(path), "added", new=_show(value)))
        elif a[path] != value:
            changes.append(Change(path, label(path), "changed", _show(a[path]), _show(value)))
    for path, value in a.items():
        if path not in b:
            changes.append(Change(path, label(path), "removed", old=_show(value)))
    return changes


def summary_of(changes: Sequence[Change], limit: int = 300) -> str:
    """One line for the versions list: the first changes' labels."""
    if not changes:
        return "No change to the rules"
    text = "; ".join(
        c.label + (" (added)" if c.kind == "added" else " (removed)" if c.kind == "removed" else "")
        for c in changes
    )
    return text if len(text) <= limit else text[: limit - 1] + "…"


def impact(pairs_by_version: Mapping[int, int], current: int) -> str:
    """What storing version current+1 changes for the pairs already running: nothing."""
    total = sum(pairs_by_version.values())
    nxt = current + 1
    if total == 0:
        return (
            "Nothing for existing pairs: there are none yet. "
            f"Pairs matched from now on start on version {nxt}."
        )
    on = ", ".join(
        f"{n:,} on version {v}" for v, n in sorted(pairs_by_version.items(), reverse=True) if n
    )
    stay = f"{total:,} pair{'s' if total != 1 else ''} stay{'s' if total == 1 else ''}"
    if set(k for k, n in pairs_by_version.items() if n) == {current}:
        where = f"on version {current}"
    else:
        where = f"on the version each started under ({on})"
    return (
        f"Nothing for existing pairs — {stay} {where}. "
        f"Pairs matched from now on start on version {nxt}."
    )


# --- the proposal, signed ---------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    """What the preview shows and the confirmation stores."""

    base_version: int
    document: dict[str, Any]
    messages: Messages
    source: str
    changes: list[Change] = field(default_factory=list)


def _mac(secret_key: str, tenant_id: uuid.UUID, blob: str) -> str:
    key = derive_key(secret_key, "scheme-proposal", tenant_id)
    return hmac.new(key, blob.encode(), hashlib.sha256).hexdigest()


def seal_proposal(secret_key: str, tenant_id: uuid.UUID, proposal: Proposal) -> str:
    """The proposal as one signed string for a hidden field."""
    payload = {
        "b": proposal.base_version,
        "d": proposal.document,
        "m": proposal.messages,
        "s": proposal.source,
    }
    raw = zlib.compress(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode(), 9)
    blob = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return f"{blob}.{_mac(secret_key, tenant_id, blob)}"


MAX_SEALED = 2_000_000


def open_proposal(secret_key: str, tenant_id: uuid.UUID, sealed: str) -> Proposal | None:
    """The proposal `sealed` carries, or None when it was not made by this app for this
    tenant (changed, cut, another tenant's)."""
    if len(sealed) > MAX_SEALED or not sealed.isascii():
        return None
    blob, _, mac = sealed.rpartition(".")
    if not blob or not hmac.compare_digest(mac, _mac(secret_key, tenant_id, blob)):
        return None
    try:
        raw = zlib.decompress(
            base64.urlsafe_b64decode(blob + "=" * (-len(blob) % 4)), bufsize=MAX_SEALED
        )
        payload = json.loads(raw)
        return Proposal(
            base_version=int(payload["b"]),
            document=dict(payload["d"]),
            messages={str(k): dict(v) for k, v in payload["m"].items()},
            source=str(payload["s"]),
        )
    except (ValueError, KeyError, TypeError, zlib.error):
        return None


# --- the tenant file ----------------------------------------------------------------------------

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(key: str) -> str:
    return key if _BARE.match(key) else _toml_str(key)


def _toml_str(value: str) -> str:
    out = ['"']
    for ch in value:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("TOML numbers here are finite")
        return repr(value)
    if isinstance(value, str):
        return _toml_str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items() if v is not None]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _is_tables(value: Any) -> bool:
    return (
        isinstance(value, list | tuple) and bool(value) and all(isinstance(v, dict) for v in value)
    )


def _table(name: str, table: Mapping[str, Any], lines: list[str], *, array: bool = False) -> None:
    lines.append(f"[[{name}]]" if array else f"[{name}]")
    nested: list[tuple[str, Any]] = []
    for k, v in table.items():
        if v is None:
            continue
        if isinstance(v, dict) or _is_tables(v):
            nested.append((k, v))
        else:
            lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
    # A header after `[[name]]` opens a table of that last element, so arrays of tables and
    # their own tables nest the same way as plain tables do.
    for k, v in nested:
        lines.append("")
        if isinstance(v, dict):
            _table(f"{name}.{_toml_key(k)}", v, lines)
        else:
            for item in v:
                _table(f"{name}.{_toml_key(k)}", item, lines, array=True)
                lines.append("")


def tenant_toml(
    tenant: Mapping[str, Any],
    document: Mapping[str, Any],
    messages: Mapping[str, Mapping[str, str]],
) -> str:
    """A tenant file (`[tenant]`, `[scheme]`, `[messages.<kind>]`) that `tomllib` reads back
    as exactly these tables (null values left out: they are the rules' defaults)."""
    lines = [
        "# Downloaded from the tenant admin's scheme page. Upload it again, changed, to",
        "# propose a new version (its number is given on storing).",
        "",
    ]
    _table("tenant", tenant, lines)
    lines.append("")
    _table("scheme", document, lines)
    for kind, entry in sorted(messages.items()):
        if entry:
            lines.append("")
            _table(f"messages.{_toml_key(kind)}", entry, lines)
    return "\n".join(lines).rstrip("\n") + "\n"
