"""The application form page's parts: the posted answers as the form's fields, a saved
draft's answers shown again, and what the template needs for each question (its field id,
hint with limits, the anchor the error summary links to)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from litestar.datastructures import UploadFile

from mentorhub.identity.views._common import AnyRequest
from mentorhub.schemes.forms import Form, Question

#: The form's own fields (never a question's id: those match [a-z][a-z0-9_]*).
ACTION_FIELD = "_action"
VERSION_FIELD = "_version"
CONTROL_FIELDS = frozenset({ACTION_FIELD, VERSION_FIELD, "_csrf_token"})
#: Most values kept per field and characters per value when a form is shown again.
_MAX_VALUES = 50
_MAX_SHOWN = 25_000


async def posted(
    request: AnyRequest, *, version_field: str = VERSION_FIELD
) -> tuple[dict[str, list[str]], str | None, int | None]:
    """The posted answers (field → values; no files, no control fields), the button
    pressed ("save" or "submit", None if neither) and the version the form showed (in
    `version_field`: an application's draft `_version`, a checkpoint item's `lock_version`)."""
    control = CONTROL_FIELDS | {version_field}
    form = await request.form()
    data: dict[str, list[str]] = {}
    action: str | None = None
    version: int | None = None
    for key, value in form.multi_items():
        if isinstance(value, UploadFile) or not isinstance(value, str):
            continue
        if key == ACTION_FIELD:
            action = value if value in ("save", "submit") else action
        elif key == version_field:
            version = int(value) if value.isdigit() and len(value) < 10 else None
        elif key not in control:
            kept = data.setdefault(key, [])
            if len(kept) < _MAX_VALUES:
                kept.append(value)
    return data, action, version


def shown(data: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Posted values as they may be shown again (printable, cut to a sane length)."""
    return {
        k: ["".join(c for c in v if c.isprintable() or c in "\t\n")[:_MAX_SHOWN] for v in vs]
        for k, vs in data.items()
    }


@dataclass(frozen=True)
class Field:
    """One question as the template renders it."""

    question: Question
    id: str  # the input's id (or the group's: a fieldset)
    anchor: str  # where the error summary's link goes
    label: str
    hint: str


def _limits(q: Question) -> list[str]:
    said: list[str] = []
    if q.kind in ("text", "long_text"):
        said.append(f"Up to {q.limit:,} characters.")
    elif q.kind == "multiple_choice" and "choose" not in q.help.lower():
        lo, hi = q.min_choices, q.max_choices
        if lo and hi and lo == hi:
            said.append(f"Choose {lo}.")
        elif lo and hi:
            said.append(f"Choose from {lo} to {hi}.")
        elif hi:
            said.append(f"Choose up to {hi}.")
        elif lo and lo > 1:
            said.append(f"Choose at least {lo}.")
    elif q.kind == "number":
        whole = "A whole number" if q.integer else "A number"
        if q.min is not None and q.max is not None:
            said.append(f"{whole} from {q.min:g} to {q.max:g}.")
        elif q.min is not None:
            said.append(f"{whole} of at least {q.min:g}.")
        elif q.max is not None:
            said.append(f"{whole} no more than {q.max:g}.")
        else:
            said.append(f"{whole}.")
    elif q.kind == "location":
        said.append(
            "A UK postcode, like SW1A 1AA."
            if q.location == "GB"
            else "A city or town in Canada, like Red Deer."
        )
    elif q.kind == "organisation":
        said.append("If your organisation is not listed, the scheme is not open to it yet.")
    return said


def fields(form: Form) -> list[Field]:
    out = []
    for q in form.questions:
        group = q.kind in ("single_choice", "multiple_choice", "yes_no", "consent")
        field_id = f"q-{q.id}"
        hint = " ".join(part for part in (q.help.strip(), *_limits(q)) if part)
        label = q.label + (" (required)" if q.required else "")
        out.append(
            Field(
                question=q,
                id=field_id,
                anchor=f"{field_id}-0" if group else field_id,
                label=label,
                hint=hint,
            )
        )
    return out
