"""What the records pages take from a form or a query, field by field, with each field's
rules (`mentorhub.web.forms`): a bad value is a 400 naming the field and never reaches an
action."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import msgspec

from mentorhub.applications.records import NOTE_MAX, ORGANISATION_MAX, TRAINING_MAX_BYTES
from mentorhub.core.paging import MAX_QUERY
from mentorhub.core.problems import Problem
from mentorhub.core.text import EMAIL_MAX
from mentorhub.web.forms import EMAIL, IDENTIFIER, LINE, TEXT, choice, field

__all__ = [
    "ActiveForm",
    "NameForm",
    "RatifyForm",
    "RecordsQuery",
    "TrainingForm",
    "TrainingImport",
    "iso_date",
]

#: Longest list of e-mail addresses typed on the ratification form (about 500 addresses).
EMAILS_MAX = 40_000


class RecordsQuery(msgspec.Struct, kw_only=True):
    """A records list's search (`?q=`) and page (`?page=`)."""

    q: Annotated[str, field("Search", kind=LINE, max_length=MAX_QUERY)] = ""
    page: Annotated[str, field("Page", kind=IDENTIFIER, max_length=20)] = ""


class NameForm(msgspec.Struct, kw_only=True):
    """A partner organisation's name (to add one, or rename one)."""

    name: Annotated[
        str, field("Organisation name", kind=LINE, max_length=ORGANISATION_MAX, required=True)
    ]


class ActiveForm(msgspec.Struct, kw_only=True):
    """Deactivate (no) or reactivate (yes) a partner organisation."""

    active: Annotated[Literal["yes", "no"], choice("Choose to deactivate or reactivate")]


class TrainingForm(msgspec.Struct, kw_only=True):
    """One training record, typed by the coordinator."""

    email: Annotated[
        str, field("Member's e-mail address", kind=EMAIL, max_length=EMAIL_MAX, required=True)
    ]
    kind: Annotated[
        Literal["mentor", "mentee", "joint"],
        choice("Choose the training the member completed", label="Training"),
    ]
    completed_on: Annotated[str, field("Date completed", kind=IDENTIFIER, max_length=10)] = ""


class TrainingImport(msgspec.Struct, kw_only=True):
    training: Annotated[
        bytes, field("Training file", max_length=TRAINING_MAX_BYTES, required=True)
    ] = b""


class RatifyForm(msgspec.Struct, kw_only=True):
    """The Board's ratification of the ticked members and of those given by e-mail
    address (one per line, or separated by commas), on one date."""

    members: Annotated[list[str], field("Members", kind=IDENTIFIER, max_length=36)] = []
    emails: Annotated[
        str, field("Other members' e-mail addresses", kind=TEXT, max_length=EMAILS_MAX)
    ] = ""
    ratified_on: Annotated[str, field("Date of ratification", kind=IDENTIFIER, max_length=10)] = ""
    note: Annotated[str, field("Note", kind=TEXT, max_length=NOTE_MAX)] = ""


def iso_date(value: str, path: str, label: str) -> tuple[date | None, Problem | None]:
    """A date typed as 2026-09-30 (what a date input sends), or the problem at `path`."""
    if not value.strip():
        return None, Problem(path=path, message=f"Enter the {label.lower()}")
    try:
        return date.fromisoformat(value.strip()), None
    except ValueError:
        return None, Problem(path=path, message=f"{label} must be a real date, like 2026-09-30")


def split_emails(text: str) -> list[str]:
    """Addresses typed one per line, or separated by commas, semicolons or spaces."""
    for sep in (",", ";", "\t", "\r", "\n"):
        text = text.replace(sep, " ")
    return [part for part in text.split(" ") if part]
