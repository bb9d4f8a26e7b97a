"""Forms as configuration: each scheme's application questions per role and the forms its
checkpoints are answered with (surveys), how a posted form becomes answers, and the one check
of what a form means.

A tenant file declares ``[scheme.forms.mentor]`` and ``[scheme.forms.mentee]`` (a role with no
form cannot apply). Each question has a ``kind`` (text, long_text, single_choice,
multiple_choice, number, yes_no, consent, location, email, organisation), a label, help text,
``required`` and its limits, and may say which matching criterion field its answer supplies
(``feeds``), which eligibility exclusion a "yes" declares (``excludes``), that it is the line
manager's address the approval link goes to (``approver``), and who else sees it
(``shown_to_mentor``, ``shown_to_approver``).

Checkpoint forms (``[[scheme.checkpoint_forms]]``, issue 16) use the same questions plus two
kinds: ``rating`` (a whole number from ``min`` to ``max``, words at the ends in
``low_label``/``high_label``; posted as the field ``<id>``, answered as an int) and ``likert``
(statements ``rows`` each answered with one of ``options``; posted as ``<id>.<n>`` for the
n-th statement, 1-based; answered as a list aligned with ``rows``, None where unanswered). A
consent or yes_no question may be the ``permission`` to share the submission.

Decisions where the issue is silent:

* rating and likert are for checkpoint forms only. An application form asks for the facts
  eligibility, approval and matching read, and the application pages, the demo applicants and
  the coordinator's review show only the application kinds; ``permission`` belongs to
  checkpoint forms too (nothing in an application is shared beyond its readers).
* A checkpoint form is answered by participants about their relationship: it cannot feed
  matching, declare an exclusion, carry the approver's address, be shown to the mentor or the
  approver, nor ask the organisation or an e-mail address.
* A rating scale has at most 11 points (0 to 10, the widest scale surveys use) and a Likert
  scale 2 to 7 options, so each fits a row of radios on a phone.
* A Likert grid has one error (at the question's id) naming the first statement at fault, so
  a question never has two messages.

:func:`parse_answers` turns raw posted fields into answers (JSON-ready values) or field
errors, never an exception; :func:`check_form`, :func:`check_checkpoint_form` and
:func:`check_feeds` are the scheme check's (``mentorhub scheme check``) view of the same
model: what the form asks must agree with the scheme's exclusions, its line-manager approval
and every criterion its matching reads.

Pure: msgspec and the standard library (and the core's text check).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

import msgspec
from msgspec import Meta

from mentorhub.core.shape import Found
from mentorhub.core.text import EMAIL, LINE, TEXT, BadText, TextKind, clean_text
from mentorhub.matching.criteria import RESERVED_FIELDS
from mentorhub.schemes.geo import Place, find_ca_city, find_uk_postcode

if TYPE_CHECKING:
    from mentorhub.matching.criteria import Criterion
    from mentorhub.schemes.rules import Scheme

__all__ = [
    "CHOICE_KINDS",
    "DEFAULT_MAX_LENGTH",
    "Exclusion",
    "FieldError",
    "Form",
    "Forms",
    "Question",
    "QuestionKind",
    "approver_address",
    "check_checkpoint_form",
    "check_feeds",
    "check_form",
    "check_repeated",
    "declared_exclusions",
    "form_for",
    "form_values",
    "likert_field",
    "matching_fields",
    "organisation_answer",
    "parse_answers",
    "visible_answers",
]

QuestionKind = Literal[
    "text",
    "long_text",
    "single_choice",
    "multiple_choice",
    "number",
    "yes_no",
    "consent",
    "location",
    "email",
    "organisation",
    # Checkpoint forms (issue 16): a scale of whole numbers (min..max, end labels), and a
    # Likert grid (statements `rows`, each answered with one of `options`).
    "rating",
    "likert",
]
Exclusion = Literal["students", "already_in_mentoring_relationship"]
Role = Literal["mentor", "mentee"]

CHOICE_KINDS: frozenset[str] = frozenset({"single_choice", "multiple_choice"})
#: Characters a text answer holds unless the question says otherwise.
DEFAULT_MAX_LENGTH: dict[str, int] = {"text": 200, "long_text": 4000}
#: The most a question may allow (a tenant cannot make a form store novels).
MAX_LENGTH_CAP: dict[str, int] = {"text": 1000, "long_text": 20000}
#: What the person sees for each exclusion, in the question and in errors.
EXCLUSION_WORDS: dict[str, str] = {
    "students": "students",
    "already_in_mentoring_relationship": "people already in a mentoring relationship",
}

Ident = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]*$")]
Text = Annotated[str, Meta(min_length=1)]
NonNegInt = Annotated[int, Meta(ge=0)]
PosInt = Annotated[int, Meta(ge=1)]


class _Model(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Immutable, unknown keys rejected (as the scheme's other tables)."""


class Question(_Model, frozen=True, kw_only=True):
    """One question of an application form. Limits that make no sense for the kind are
    refused by :func:`check_form` (options on a number, max_length on a choice…)."""

    id: Ident
    kind: QuestionKind
    label: Text
    help: str = ""
    required: bool = False
    # single_choice / multiple_choice: the choices, in the order shown.
    options: tuple[Text, ...] = ()
    # multiple_choice: how many may be (and, on submitting, must be) chosen.
    min_choices: PosInt | None = None
    max_choices: PosInt | None = None
    # text / long_text: most characters (defaults: DEFAULT_MAX_LENGTH).
    max_length: PosInt | None = None
    # number: inclusive bounds; integer = whole numbers only.
    min: float | None = None
    max: float | None = None
    integer: bool = False
    # location: "GB" (a UK postcode) or "CA" (a Canadian city or town).
    location: Literal["GB", "CA"] | None = None
    # The matching criterion field this answer supplies.
    feeds: Text | None = None
    # yes_no: answering yes declares this eligibility exclusion.
    excludes: Exclusion | None = None
    # email: the line manager's address the approval link goes to.
    approver: bool = False
    # Mentee form: the mentor later sees this answer (AHEP's reasons for wanting a mentor).
    shown_to_mentor: bool = False
    # The part of the application the approver (line manager) sees.
    shown_to_approver: bool = False
    # likert: the statements, each answered with one of `options` (the scale, in order).
    rows: tuple[Text, ...] = ()
    # rating: the words at the ends of the scale ("Not at all", "Very much").
    low_label: str = ""
    high_label: str = ""
    # Checkpoint forms: a consent or yes_no whose "yes" is the written permission to share
    # the submission beyond its readers (Alberta; without it, confidential).
    permission: bool = False

    @property
    def limit(self) -> int:
        """The most characters a text answer holds."""
        return self.max_length or DEFAULT_MAX_LENGTH.get(self.kind, 200)


class Form(_Model, frozen=True, kw_only=True):
    intro: str = ""
    questions: Annotated[tuple[Question, ...], Meta(min_length=1)]

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


class Forms(_Model, frozen=True, kw_only=True):
    """A scheme's application forms; a role without one cannot apply."""

    mentor: Form | None = None
    mentee: Form | None = None

    def declared(self) -> list[tuple[Role, Form]]:
        out: list[tuple[Role, Form]] = []
        if self.mentor is not None:
            out.append(("mentor", self.mentor))
        if self.mentee is not None:
            out.append(("mentee", self.mentee))
        return out


def form_for(scheme: Scheme, role: str) -> Form | None:
    """The form people of `role` ("mentor" or "mentee") apply with, or None."""
    if role == "mentor":
        return scheme.forms.mentor
    if role == "mentee":
        return scheme.forms.mentee
    return None


# --- answers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldError:
    """What is wrong with one answer; `field` is the question id (the form field's name)."""

    field: str
    message: str


_YES = frozenset({"yes", "true", "on", "1"})
_NO = frozenset({"no", "false", "off", "0"})
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?$")
_WHOLE = re.compile(r"[+-]?[0-9]+")


class _Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _values(raw: object) -> list[str]:
    """The posted values of one field, as strings (anything else posted is ignored)."""
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, bytes | bytearray | Mapping) or not isinstance(raw, Iterable):
        return []
    try:
        return [v for v in raw if isinstance(v, str)]
    except Exception:  # a hostile iterable: treat as nothing posted
        return []


def _clean(value: str, kind: TextKind, max_length: int) -> str:
    try:
        return clean_text(value, label="Your answer", kind=kind, max_length=max_length)
    except BadText as exc:
        raise _Refused(exc.message) from None


def _one(values: list[str]) -> str:
    distinct = list(dict.fromkeys(values))
    if len(distinct) > 1:
        raise _Refused("Give one answer only")
    return distinct[0]


def _number(q: Question, text: str) -> int | float:
    compact = text.replace(",", "").replace(" ", "")
    if len(compact) > 30 or not _NUMBER.match(compact):
        raise _Refused("Enter a number, like 12" + ("" if q.integer else " or 2.5"))
    value: int | float
    if re.match(r"^[+-]?\d+$", compact):
        value = int(compact)
    else:
        value = float(compact)
        if not math.isfinite(value):
            raise _Refused("Enter a number, like 12")
        if q.integer:
            if not value.is_integer():
                raise _Refused("Enter a whole number, like 12")
            value = int(value)
    if q.min is not None and value < q.min:
        raise _Refused(f"Enter a number of at least {q.min:g}")
    if q.max is not None and value > q.max:
        raise _Refused(f"Enter a number no more than {q.max:g}")
    return value


def _bounds_words(q: Question) -> str:
    if q.min is not None and q.max is not None:
        return f"Choose a number from {q.min:g} to {q.max:g}"
    return "Choose a number"


def _rating(q: Question, text: str) -> int:
    """A point of the scale: a whole number from `min` to `max` (the radio's value)."""
    compact = text.strip()
    if len(compact) > 12 or not _WHOLE.fullmatch(compact):
        raise _Refused(_bounds_words(q))
    value = int(compact)
    if (q.min is not None and value < q.min) or (q.max is not None and value > q.max):
        raise _Refused(_bounds_words(q))
    return value


def _field(data: Mapping[str, Sequence[str]], name: str) -> list[str]:
    """The non-blank posted values of field `name` (nothing, for anything odd)."""
    try:
        raw = data.get(name) if isinstance(data, Mapping) else None
    except Exception:  # a hostile mapping: treat as nothing posted
        raw = None
    return [v for v in _values(raw) if v.strip()]


def likert_field(question_id: str, row: int) -> str:
    """The posted field of row `row` (1-based) of Likert question `question_id`."""
    return f"{question_id}.{row}"


def _likert(q: Question, data: Mapping[str, Sequence[str]]) -> list[str | None]:
    """The option chosen for each statement (None: not answered), aligned with `rows`."""
    chosen: list[str | None] = []
    for n, statement in enumerate(q.rows, start=1):
        values = _field(data, likert_field(q.id, n))
        if not values:
            chosen.append(None)
            continue
        if len(set(values)) > 1:
            raise _Refused(f"Give one answer only for “{statement}”")
        try:
            value = _clean(values[0], LINE, 1000)
        except _Refused:
            value = ""
        if value not in q.options:
            raise _Refused(f"Choose from the list for “{statement}”")
        chosen.append(value)
    return chosen


def _location(q: Question, text: str) -> dict[str, Any]:
    found: Place | str = find_uk_postcode(text) if q.location == "GB" else find_ca_city(text)
    if isinstance(found, str):
        raise _Refused(found)
    return {"text": found.text, "label": found.label, "lat": found.lat, "lon": found.lon}


def _answer(q: Question, values: list[str], organisations: Sequence[str]) -> Any:
    """The answer to `q` from its non-empty posted values, or _Refused."""
    kind = q.kind
    if kind == "multiple_choice":
        chosen = list(dict.fromkeys(_clean(v, LINE, 1000) for v in values))
        stray = [c for c in chosen if c not in q.options]
        if stray:
            raise _Refused("Choose from the list")
        if q.max_choices is not None and len(chosen) > q.max_choices:
            raise _Refused(f"Choose no more than {q.max_choices}")
        return [o for o in q.options if o in chosen]
    value = _one(values)
    if kind in ("text", "long_text"):
        return _clean(value, TEXT if kind == "long_text" else LINE, q.limit)
    if kind == "email":
        return _clean(value, EMAIL, 254)
    value = _clean(value, LINE, 1000)
    if kind == "single_choice":
        if value not in q.options:
            raise _Refused("Choose from the list")
        return value
    if kind == "organisation":
        if value not in organisations:
            raise _Refused("Choose your organisation from the list")
        return value
    if kind == "number":
        return _number(q, value)
    if kind == "rating":
        return _rating(q, value)
    if kind == "yes_no":
        word = value.casefold()
        if word in _YES:
            return True
        if word in _NO:
            return False
        raise _Refused("Answer yes or no")
    if kind == "consent":
        if value.casefold() in _YES:
            return True
        raise _Refused("Tick the box to agree")
    return _location(q, value)


def _missing(q: Question) -> str:
    if q.kind == "rating":
        return _bounds_words(q)
    if q.kind == "likert":
        return f"Choose an answer for “{q.rows[0]}”" if q.rows else "Choose an answer"
    if q.kind == "consent":
        return "Tick the box to agree"
    if q.kind in CHOICE_KINDS or q.kind in ("organisation", "yes_no"):
        return "Choose an answer"
    return "Answer this question"


def parse_answers(
    form: Form,
    data: Mapping[str, Sequence[str]],
    *,
    final: bool,
    organisations: Sequence[str] = (),
) -> tuple[dict[str, Any], list[FieldError]]:
    """The answers to `form` in `data` (raw posted fields: name → values; a question's field
    is its id), and what is wrong with them, question by question in form order.

    ``final=False`` (saving a draft) checks types, limits and choices; ``final=True``
    (submitting) also that required questions are answered and multiple choices reach
    ``min_choices``. Unanswered questions are absent from the answers; an answer with an
    error is left out too. Never raises on any input.
    """
    answers: dict[str, Any] = {}
    errors: list[FieldError] = []
    for q in form.questions:
        if q.kind == "likert":
            _parse_likert(q, data, final, answers, errors)
            continue
        values = _field(data, q.id)
        if not values:
            if final and q.required:
                errors.append(FieldError(q.id, _missing(q)))
            continue
        try:
            value = _answer(q, values, organisations)
        except _Refused as exc:
            errors.append(FieldError(q.id, exc.message))
            continue
        if final and q.kind == "multiple_choice" and q.min_choices and len(value) < q.min_choices:
            errors.append(FieldError(q.id, f"Choose at least {q.min_choices}"))
            continue
        answers[q.id] = value
    return answers, errors


def _parse_likert(
    q: Question,
    data: Mapping[str, Sequence[str]],
    final: bool,
    answers: dict[str, Any],
    errors: list[FieldError],
) -> None:
    """A Likert grid: one field per statement; the answer is the list of chosen options
    aligned with `rows` (None where a statement is unanswered), absent if none is answered.
    Submitting a required grid needs every statement answered; the error names the first
    one missing (one error per question, at the question's id, like the other kinds)."""
    try:
        chosen = _likert(q, data)
    except _Refused as exc:
        errors.append(FieldError(q.id, exc.message))
        return
    if all(c is None for c in chosen):
        if final and q.required:
            errors.append(FieldError(q.id, _missing(q)))
        return
    if final and q.required and None in chosen:
        errors.append(FieldError(q.id, f"Choose an answer for “{q.rows[chosen.index(None)]}”"))
        return
    answers[q.id] = chosen


def form_values(form: Form, answers: Mapping[str, Any]) -> dict[str, list[str]]:
    """The answers as form fields again (field name → values), to show a saved draft:
    posting them back gives the same answers. A Likert grid gives one field per answered
    statement (:func:`likert_field`)."""
    out: dict[str, list[str]] = {}
    for q in form.questions:
        if q.id not in answers:
            continue
        value = answers[q.id]
        if q.kind == "likert":
            if isinstance(value, list):
                for n, (_, option) in enumerate(zip(q.rows, value, strict=False), start=1):
                    if isinstance(option, str):
                        out[likert_field(q.id, n)] = [option]
            continue
        if q.kind == "multiple_choice" and isinstance(value, list):
            out[q.id] = [str(v) for v in value]
        elif q.kind in ("yes_no", "consent") and isinstance(value, bool):
            out[q.id] = ["yes" if value else "no"]
        elif q.kind == "location" and isinstance(value, Mapping):
            out[q.id] = [str(value.get("text", ""))]
        elif q.kind == "number" and isinstance(value, int | float):
            out[q.id] = [repr(value)]
        elif q.kind == "rating" and isinstance(value, int):
            out[q.id] = [str(value)]
        else:
            out[q.id] = [str(value)]
    return out


def declared_exclusions(form: Form, answers: Mapping[str, Any]) -> list[str]:
    """The eligibility exclusions the applicant declared (answered yes), in form order."""
    return [q.excludes for q in form.questions if q.excludes and answers.get(q.id) is True]


def approver_address(form: Form, answers: Mapping[str, Any]) -> str | None:
    """The line manager's e-mail address the approval link goes to, if the form asks it."""
    for q in form.questions:
        if q.approver and isinstance(answers.get(q.id), str):
            return str(answers[q.id])
    return None


def organisation_answer(form: Form, answers: Mapping[str, Any]) -> str | None:
    """The partner organisation the applicant chose, if the form asks it."""
    for q in form.questions:
        if q.kind == "organisation" and isinstance(answers.get(q.id), str):
            return str(answers[q.id])
    return None


def matching_fields(form: Form, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The person-record fields the answers supply to matching (``feeds`` → value), in the
    shape :mod:`mentorhub.matching.input` reads: a location becomes ``[lat, lon]``."""
    out: dict[str, Any] = {}
    for q in form.questions:
        if q.feeds is None or q.id not in answers:
            continue
        value = answers[q.id]
        if q.kind == "location" and isinstance(value, Mapping):
            value = [value.get("lat"), value.get("lon")]
        out[q.feeds] = value
    return out


def visible_answers(
    form: Form, answers: Mapping[str, Any], audience: Literal["mentor", "approver"]
) -> list[tuple[Question, Any]]:
    """The answered questions `audience` may read, in form order: the mentor sees the
    ``shown_to_mentor`` ones, the approver the ``shown_to_approver`` ones."""
    return [
        (q, answers[q.id])
        for q in form.questions
        if q.id in answers and (q.shown_to_mentor if audience == "mentor" else q.shown_to_approver)
    ]


# --- the scheme check --------------------------------------------------------------------


#: The kinds only a checkpoint form asks (a survey's scales).
SURVEY_KINDS: frozenset[str] = frozenset({"rating", "likert"})
#: The most points a rating scale has (0 to 10), and how many options a Likert scale has.
MAX_RATING_POINTS = 11
LIKERT_OPTIONS = (2, 7)
#: Question settings that only mean something in an application form, and why.
APPLICATION_ONLY: dict[str, str] = {
    "feeds": "matching reads the application",
    "excludes": "eligibility reads the application",
    "approver": "the line manager approves the application",
    "shown_to_mentor": "the mentor reads the mentee's application",
    "shown_to_approver": "the line manager reads the application",
}
#: Kinds a checkpoint form does not ask, and why.
NOT_IN_CHECKPOINT_FORMS: dict[str, str] = {
    "organisation": "the organisation is asked when applying",
    "email": "the people answering are members whose addresses are known",
}


def _check_options(q: Question, p: str, checkpoint: bool, found: Found) -> None:
    kind = q.kind
    if kind in CHOICE_KINDS or kind == "likert":
        if not q.options:
            found.append((f"{p}.options", f"a {kind} question needs its options"))
        elif len(set(q.options)) != len(q.options):
            found.append((f"{p}.options", "lists an option twice"))
        fewest, most = LIKERT_OPTIONS
        if kind == "likert" and q.options and not fewest <= len(q.options) <= most:
            found.append(
                (
                    f"{p}.options",
                    f"a likert scale has {fewest} to {most} options, not {len(q.options)}",
                )
            )
    elif q.options:
        where = (
            " (the partner organisations are kept by the tenant admin)"
            if kind == "organisation"
            else ""
        )
        kinds = (
            "single_choice, multiple_choice or likert"
            if checkpoint
            else ("single_choice or multiple_choice")
        )
        found.append((f"{p}.options", f"only for {kinds}{where}"))
    for key in ("min_choices", "max_choices"):
        if getattr(q, key) is not None and kind != "multiple_choice":
            found.append((f"{p}.{key}", "only for multiple_choice questions"))
    if kind == "multiple_choice" and q.options:
        lo, hi, n = q.min_choices, q.max_choices, len(q.options)
        if lo is not None and hi is not None and lo > hi:
            found.append((f"{p}.min_choices", f"{lo} exceeds max_choices ({hi})"))
        if hi is not None and hi > n:
            found.append((f"{p}.max_choices", f"{hi} exceeds the {n} option(s)"))
        if lo is not None and lo > n:
            found.append((f"{p}.min_choices", f"{lo} exceeds the {n} option(s)"))
    if kind == "likert":
        if not q.rows:
            found.append((f"{p}.rows", "a likert question needs its statements"))
        elif len(set(q.rows)) != len(q.rows):
            found.append((f"{p}.rows", "lists a statement twice"))
    elif q.rows:
        found.append((f"{p}.rows", "only for likert questions"))


def _check_bounds(q: Question, p: str, checkpoint: bool, found: Found) -> None:
    """min/max: a number's bounds, or a rating's scale (both ends, whole, ≤ 11 points)."""
    kind = q.kind
    for key in ("min", "max"):
        v = getattr(q, key)
        if v is None:
            if kind == "rating":
                end = "lowest" if key == "min" else "highest"
                found.append(
                    (f"{p}.{key}", f"required for a rating question: the {end} point of the scale")
                )
            continue
        if kind not in ("number", "rating"):
            found.append(
                (f"{p}.{key}", f"only for number{' and rating' if checkpoint else ''} questions")
            )
        elif not math.isfinite(v):
            found.append((f"{p}.{key}", "must be a finite number"))
        elif kind == "rating" and not float(v).is_integer():
            found.append((f"{p}.{key}", "must be a whole number (a rating's points are)"))
        elif q.integer and not float(v).is_integer():
            found.append((f"{p}.{key}", "must be a whole number (integer = true)"))
    if q.integer and kind != "number":
        found.append((f"{p}.integer", "only for number questions"))
    if q.min is None or q.max is None or not (math.isfinite(q.min) and math.isfinite(q.max)):
        return
    if kind == "number" and q.min > q.max:
        found.append((f"{p}.min", f"minimum {q.min:g} exceeds maximum {q.max:g}"))
    if kind == "rating" and q.min.is_integer() and q.max.is_integer():
        points = int(q.max) - int(q.min) + 1
        if q.min >= q.max:
            found.append((f"{p}.min", f"minimum {q.min:g} must be below maximum {q.max:g}"))
        elif points > MAX_RATING_POINTS:
            found.append(
                (
                    f"{p}.max",
                    f"a scale of {points} points; at most {MAX_RATING_POINTS} (e.g. 0 to 10)",
                )
            )


def _check_question(q: Question, p: str, role: str | None, found: Found) -> None:
    """What is wrong with question `q` (at key path `p`) of the application form of `role`,
    or of a checkpoint form (`role` None)."""
    kind = q.kind
    checkpoint = role is None
    if not checkpoint and kind in SURVEY_KINDS:
        found.append(
            (
                f"{p}.kind",
                f"{kind} questions are for checkpoint forms ([[scheme.checkpoint_forms]]), "
                "not application forms",
            )
        )
        return
    if checkpoint and kind in NOT_IN_CHECKPOINT_FORMS:
        found.append((f"{p}.kind", f"not in a checkpoint form: {NOT_IN_CHECKPOINT_FORMS[kind]}"))
    _check_options(q, p, checkpoint, found)
    if q.max_length is not None:
        if kind not in MAX_LENGTH_CAP:
            found.append((f"{p}.max_length", "only for text and long_text questions"))
        elif q.max_length > MAX_LENGTH_CAP[kind]:
            found.append((f"{p}.max_length", f"must be ≤ {MAX_LENGTH_CAP[kind]} for {kind}"))
    _check_bounds(q, p, checkpoint, found)
    for key in ("low_label", "high_label"):
        if getattr(q, key) and kind != "rating":
            found.append((f"{p}.{key}", "only for rating questions"))
    if kind == "location" and q.location is None:
        found.append((f"{p}.location", "required for a location question: 'GB' or 'CA'"))
    if kind != "location" and q.location is not None:
        found.append((f"{p}.location", "only for location questions"))
    if q.permission:
        if not checkpoint:
            found.append(
                (
                    f"{p}.permission",
                    "only in checkpoint forms (nothing in an application is shared beyond "
                    "its readers)",
                )
            )
        elif kind not in ("consent", "yes_no"):
            found.append((f"{p}.permission", "only for consent or yes_no questions"))
        elif q.required:
            found.append(
                (
                    f"{p}.required",
                    "a permission to share is never required: without it the answers stay "
                    "confidential",
                )
            )
    if checkpoint:
        for key, why in APPLICATION_ONLY.items():
            if getattr(q, key) not in (None, False):
                found.append((f"{p}.{key}", f"only in application forms ({why})"))
        return
    if q.excludes is not None and kind != "yes_no":
        found.append((f"{p}.excludes", "only for yes_no questions"))
    if q.approver and kind != "email":
        found.append((f"{p}.approver", "only for email questions"))
    if q.shown_to_mentor and role != "mentee":
        found.append((f"{p}.shown_to_mentor", "only in the mentee form (the mentor reads it)"))


def check_checkpoint_form(form: Form, path: str) -> Found:
    """What is wrong with a checkpoint form at key path `path` (``scheme.checkpoint_forms[i]``):
    each question (see the module's decisions), ids used once, at most one permission."""
    found: Found = []
    ids: dict[str, int] = {}
    permissions: list[int] = []
    for i, q in enumerate(form.questions):
        p = f"{path}.questions[{i}]"
        if q.id in ids:
            found.append((f"{p}.id", f"{q.id!r} is already used by questions[{ids[q.id]}]"))
        ids.setdefault(q.id, i)
        _check_question(q, p, None, found)
        if q.permission and q.kind in ("consent", "yes_no"):
            permissions.append(i)
            if len(permissions) > 1:
                found.append(
                    (
                        f"{p}.permission",
                        f"only one permission question per form (questions[{permissions[0]}] "
                        "is one)",
                    )
                )
    return found


def _asked_as(q: Question) -> tuple[object, ...]:
    return (q.kind, q.options, q.rows, q.min, q.max)


def check_repeated(
    forms: Sequence[tuple[int, Form]],
    path: str,
    *,
    flawed: Collection[tuple[int, int]] = (),
) -> Found:
    """A question id asked in two checkpoint forms is one question asked twice (MA's baseline
    questionnaire and final survey: the report compares the answers), so it must be asked
    the same way: kind, options, statements and scale. `forms`: (index, form) pairs;
    `flawed`: (form, question) indexes with problems of their own, not compared."""
    found: Found = []
    first: dict[str, tuple[int, int, Question]] = {}
    for i, form in forms:
        for k, q in enumerate(form.questions):
            if (i, k) in flawed:
                continue
            if q.id not in first:
                first[q.id] = (i, k, q)
                continue
            j, m, earlier = first[q.id]
            if j != i and _asked_as(q) != _asked_as(earlier):
                found.append(
                    (
                        f"{path}[{i}].questions[{k}].id",
                        f"{q.id!r} is also asked by checkpoint_forms[{j}].questions[{m}], which "
                        "it is compared with: ask it the same way (kind, options, rows, min, max)"
                        " or give it another id",
                    )
                )
    return found


def check_form(
    form: Form,
    role: str,
    *,
    exclusions: Sequence[str] = (),
    approval: bool = False,
) -> Found:
    """What is wrong with the form of `role`, as (key path, message) pairs under
    ``scheme.forms.<role>``. `exclusions`: the scheme's eligibility exclusions (each must be
    asked, as a yes_no question that ``excludes`` it); `approval`: the role's application
    is signed by the line manager (exactly one email question with ``approver = true``)."""
    found: Found = []
    base = f"scheme.forms.{role}"
    ids: dict[str, int] = {}
    feeds: dict[str, int] = {}
    asked: dict[str, int] = {}
    approvers: list[int] = []
    for i, q in enumerate(form.questions):
        p = f"{base}.questions[{i}]"
        if q.id in ids:
            found.append((f"{p}.id", f"{q.id!r} is already used by questions[{ids[q.id]}]"))
        ids.setdefault(q.id, i)
        _check_question(q, p, role, found)
        if q.feeds is not None:
            if q.feeds in feeds:
                found.append(
                    (
                        f"{p}.feeds",
                        f"{q.feeds!r} is already fed by questions[{feeds[q.feeds]}]",
                    )
                )
            feeds.setdefault(q.feeds, i)
        if q.excludes is not None and q.kind == "yes_no":
            if q.excludes not in exclusions:
                found.append(
                    (
                        f"{p}.excludes",
                        f"{q.excludes!r} is not an exclusion of this scheme "
                        "([scheme.eligibility].exclusions)",
                    )
                )
            elif q.excludes in asked:
                found.append(
                    (
                        f"{p}.excludes",
                        f"{q.excludes!r} is already asked by questions[{asked[q.excludes]}]",
                    )
                )
            asked.setdefault(q.excludes, i)
        if q.approver and q.kind == "email":
            approvers.append(i)
            if not approval:
                found.append(
                    (
                        f"{p}.approver",
                        f"{role}s' applications are not signed by a line manager "
                        "([scheme.application].line_manager_signature)",
                    )
                )
        if q.shown_to_approver and not approval:
            found.append(
                (
                    f"{p}.shown_to_approver",
                    f"nobody approves {role}s' applications "
                    "([scheme.application].line_manager_signature)",
                )
            )
    for exclusion in exclusions:
        if exclusion not in asked:
            found.append(
                (
                    f"{base}.questions",
                    f"does not ask whether the applicant is one of the "
                    f"{EXCLUSION_WORDS.get(exclusion, exclusion)}: add a yes_no question with "
                    f"excludes = {exclusion!r}",
                )
            )
    if approval:
        if not approvers:
            found.append(
                (
                    f"{base}.questions",
                    "needs the line manager's e-mail address: an email question with "
                    "approver = true (the application is signed by the line manager)",
                )
            )
        for i in approvers[1:]:
            found.append(
                (
                    f"{base}.questions[{i}].approver",
                    f"only one approver address per form (questions[{approvers[0]}] is one)",
                )
            )
    return found


#: Which question kinds can supply a field each criterion kind reads (matching.input).
FEEDING_KINDS: dict[str, frozenset[str]] = {
    "overlap": frozenset({"multiple_choice"}),
    "availability": frozenset({"multiple_choice"}),
    "same": frozenset({"single_choice", "yes_no", "number", "organisation"}),
    "min_gap": frozenset({"number"}),
    "distance": frozenset({"location"}),
    "career_stage": frozenset({"single_choice"}),
}


def _check_reserved(forms: Forms, capacity_declared: bool, found: Found) -> None:
    """``capacity`` is the one person-record key a form may feed (a mentor's declared
    capacity, a whole number); the other reserved keys are the platform's."""
    capacity_asked = False
    for role, form in forms.declared():
        for j, q in enumerate(form.questions):
            if q.feeds not in RESERVED_FIELDS:
                continue
            p = f"scheme.forms.{role}.questions[{j}].feeds"
            if q.feeds != "capacity":
                found.append((p, f"{q.feeds!r} is reserved for the person record"))
            elif role != "mentor":
                found.append((p, "only mentors declare a capacity"))
            else:
                capacity_asked = True
                if q.kind != "number" or not q.integer or q.min is None or q.min < 1:
                    found.append(
                        (p, "a capacity is a number question with integer = true and min ≥ 1")
                    )
    if capacity_declared and forms.mentor is not None and not capacity_asked:
        found.append(
            (
                "scheme.forms.mentor.questions",
                "mentors declare how many mentees they take on ([scheme.matching] "
                "capacity_declared = true): add a number question with feeds = 'capacity'",
            )
        )


def check_feeds(
    forms: Forms,
    criteria: Iterable[tuple[int, Criterion]],
    path: str,
    *,
    capacity_declared: bool = False,
) -> Found:
    """The drift check: every field a criterion reads is asked of both mentors and mentees
    (criteria compare a mentee with a mentor), by a required question whose answer has the
    shape the criterion reads. Problems name the criterion (``<path>[i].field``) or the
    question. A question feeding a field no criterion reads is fine. A scheme that declares
    no form at all is not checked (a version stored before forms existed). With
    `capacity_declared`, the mentor form must ask the mentor's capacity."""
    found: Found = []
    declared = forms.declared()
    if not declared:
        return found
    _check_reserved(forms, capacity_declared, found)
    for i, c in criteria:
        for role in ("mentor", "mentee"):
            form = forms.mentor if role == "mentor" else forms.mentee
            if form is None:
                found.append(
                    (
                        f"{path}[{i}].field",
                        f"{c.name!r} reads {c.field!r} of every {role}, but there is no {role} "
                        f"form ([scheme.forms.{role}])",
                    )
                )
                continue
            feeding = [(j, q) for j, q in enumerate(form.questions) if q.feeds == c.field]
            if not feeding:
                found.append(
                    (
                        f"{path}[{i}].field",
                        f"{c.name!r} reads {c.field!r}, which no question of the {role} form "
                        f"asks (add feeds = {c.field!r} to one)",
                    )
                )
                continue
            j, q = feeding[0]
            p = f"scheme.forms.{role}.questions[{j}]"
            kinds = FEEDING_KINDS[c.kind]
            if q.kind not in kinds:
                found.append(
                    (
                        f"{p}.kind",
                        f"feeds {c.field!r} to criterion {c.name!r} ({c.kind}), which needs "
                        f"a {' or '.join(sorted(kinds))} question",
                    )
                )
            elif c.kind == "career_stage":
                stray = [o for o in q.options if o not in c.stages()]
                if stray:
                    found.append(
                        (
                            f"{p}.options",
                            f"{stray[0]!r} is not a stage of criterion {c.name!r} "
                            f"({', '.join(c.stages())})",
                        )
                    )
            if not q.required:
                found.append(
                    (
                        f"{p}.required",
                        f"must be true: criterion {c.name!r} reads this answer of every {role}",
                    )
                )
    return found
