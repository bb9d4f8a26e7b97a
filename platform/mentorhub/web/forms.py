"""The one way a form or a query is read, and the one way its errors are shown.

A handler declares what it takes as a msgspec Struct whose fields carry their rules:

    class SsoFields(msgspec.Struct, kw_only=True):
        issuer: Annotated[str, field("Issuer URL", kind=URL, max_length=500)] = ""
        decision: Annotated[Literal["approve", "decline"], choice("Choose approve or decline")]

and reads it with :func:`read_form` (urlencoded or multipart) or :func:`read_query`. Every
text value goes through the one edge check, :func:`mentorhub.core.text.clean_text`
(NFC, length, control and invisible characters, e-mail syntax); a choice must be one of its
values, a number a whole number in range, a file no larger than its limit. Every problem is
collected, each naming its field ("Client ID must be 255 characters or fewer"), and raised
together as :class:`FormErrors` — the one problem type with what was submitted, so
:func:`rerender` can show the page again, answering 400, with the error summary first
and each message at its field (`templates/macros/forms.html`). Nothing reaches the
database until the whole input is good.

Supported field types: `str`, a `Literal` of strings, `int`, `bytes` (an uploaded file),
a `list` of any of these (every value of a repeated key: checkboxes), and each of them
`| None`. The form key is the field's name (or its msgspec `name=` rename); the page's input
carries the same `id`, which the error summary links to.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
import msgspec.inspect as mi
from litestar import Request
from litestar.datastructures import UploadFile
from litestar.response import Template

from mentorhub.core.problems import Problem, Problems
from mentorhub.core.text import (
    EMAIL,
    IDENTIFIER,
    LINE,
    NAME,
    SECRET,
    TEXT,
    URL,
    BadText,
    TextKind,
    clean_text,
)

__all__ = [
    "EMAIL",
    "IDENTIFIER",
    "LINE",
    "NAME",
    "SECRET",
    "TEXT",
    "URL",
    "FormErrors",
    "choice",
    "decode",
    "field",
    "read_form",
    "read_query",
    "rerender",
    "values_of",
]

S = TypeVar("S", bound=msgspec.Struct)


def field(
    label: str,
    *,
    kind: TextKind = LINE,
    max_length: int | None = None,
    required: bool = False,
    minimum: int | None = None,
    maximum: int | None = None,
) -> msgspec.Meta:
    """A field's rules, for `Annotated[...]`: its label (in messages), the kind of text,
    its longest length (characters; bytes for a file), whether it may be empty, and a
    number's range."""
    rules: dict[str, Any] = {"title": label, "extra": {"kind": kind}}
    if minimum is not None or maximum is not None:  # a number
        rules.update(ge=minimum, le=maximum)
    else:  # text, or a file's bytes
        rules.update(max_length=max_length, min_length=1 if required else None)
    meta: msgspec.Meta = msgspec.Meta(**rules)
    return meta


def choice(message: str, *, label: str = "") -> msgspec.Meta:
    """A choice's rules: the sentence shown when no allowed value was chosen."""
    return msgspec.Meta(title=label or None, extra={"choose": message})


class FormErrors(Problems):
    """A form's problems (`path` is the field's key) and what was submitted, for showing the
    form again: `values` holds each field as typed (control characters dropped, so the page
    stays readable), never a secret or a file."""

    def __init__(self, problems: list[Problem], values: Mapping[str, Any] | None = None) -> None:
        super().__init__(problems)
        self.values: dict[str, Any] = dict(values or {})

    def first(self, path: str) -> str | None:
        """The first message for a field, for the message at the field."""
        found = self.at(path)
        return found[0].message if found else None


# --- reading a field's rules --------------------------------------------------------------


@dataclass(frozen=True)
class _Rules:
    name: str  # the Struct's attribute
    key: str  # the form's key
    label: str
    kind: TextKind
    many: bool
    base: mi.Type  # StrType, LiteralType, IntType or BytesType
    required: bool
    has_default: bool
    choose: str | None


def _unwrap(t: mi.Type, meta: dict[str, Any]) -> mi.Type:
    """Strip Metadata (collecting its title and extra) and `| None`."""
    while True:
        if isinstance(t, mi.Metadata):
            meta.update(t.extra_json_schema or {})
            meta.update(t.extra or {})
            t = t.type
        elif isinstance(t, mi.UnionType):
            rest = [x for x in t.types if not isinstance(x, mi.NoneType)]
            if len(rest) != 1:
                raise TypeError(f"form fields are one type or None, not {t}")
            t = rest[0]
        else:
            return t


def _rules(model: type[msgspec.Struct]) -> list[_Rules]:
    info = mi.type_info(model)
    assert isinstance(info, mi.StructType)
    out: list[_Rules] = []
    for f in info.fields:
        meta: dict[str, Any] = {}
        t = _unwrap(f.type, meta)
        many = isinstance(t, mi.ListType)
        if isinstance(t, mi.ListType):
            t = _unwrap(t.item_type, meta)
        if not isinstance(t, mi.StrType | mi.LiteralType | mi.IntType | mi.BytesType):
            raise TypeError(f"{model.__name__}.{f.name}: unsupported form field type {t}")
        min_length = getattr(t, "min_length", None)
        out.append(
            _Rules(
                name=f.name,
                key=f.encode_name,
                label=str(meta.get("title") or f.name.replace("_", " ").capitalize()),
                kind=meta.get("kind", IDENTIFIER if isinstance(t, mi.LiteralType) else LINE),
                many=many,
                base=t,
                required=f.required or bool(min_length),
                has_default=not f.required,
                choose=meta.get("choose"),
            )
        )
    return out


_RULES: dict[type[msgspec.Struct], list[_Rules]] = {}


def _rules_of(model: type[msgspec.Struct]) -> list[_Rules]:
    if model not in _RULES:
        _RULES[model] = _rules(model)
    return _RULES[model]


# --- checking values ----------------------------------------------------------------------

_NUMBER = re.compile(r"[0-9]{1,12}")


def _shown(value: object) -> object:
    """A submitted value as it may be shown again: text without control characters, cut."""
    if isinstance(value, str):
        return "".join(c for c in value if c.isprintable() or c in "\t\n")[:5000]
    return None


def _size(n: int) -> str:
    if n >= 1024 * 1024 and n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KB"
    return f"{n:,} bytes"


def _check(rules: _Rules, value: object) -> object:
    """One value, checked and converted; BadText says what is wrong."""
    base = rules.base
    if isinstance(base, mi.BytesType):
        data = value if isinstance(value, bytes) else str(value).encode()
        if base.max_length is not None and len(data) > base.max_length:
            raise BadText(f"{rules.label} must be {_size(base.max_length)} or smaller")
        if not data and rules.required:
            raise BadText(f"Choose a {rules.label.lower()} to upload")
        return data
    if not isinstance(value, str):
        raise BadText(f"{rules.label} must be text")
    if isinstance(base, mi.StrType):
        return clean_text(
            value,
            label=rules.label,
            kind=rules.kind,
            max_length=base.max_length,
            required=rules.required,
        )
    if isinstance(base, mi.LiteralType):
        allowed = [str(v) for v in base.values]
        longest = max(len(v) for v in allowed)
        refusal = rules.choose or f"{rules.label} must be one of: {', '.join(allowed)}"
        try:
            text = clean_text(value, label=rules.label, kind=IDENTIFIER, max_length=longest)
        except BadText:
            raise BadText(refusal) from None
        if text not in allowed:
            raise BadText(refusal)
        return text
    assert isinstance(base, mi.IntType)
    text = value.strip()
    low = base.ge if base.ge is not None else 0
    high = base.le if base.le is not None else 10**12 - 1
    if not _NUMBER.fullmatch(text) or not low <= int(text) <= high:
        raise BadText(f"{rules.label} must be a whole number from {low:,} to {high:,}")
    return int(text)


def _absent(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def decode(values: Mapping[str, list[Any]], model: type[S]) -> S:
    """`values` (each key's submitted values, in order) checked against `model`: the Struct,
    or FormErrors listing every problem. Keys the model does not name (the CSRF token) are
    ignored; a single-valued field takes the first value of its key."""
    problems: list[Problem] = []
    taken: dict[str, Any] = {}
    shown: dict[str, Any] = {}
    for rules in _rules_of(model):
        raw = list(values.get(rules.key, []))
        showable = rules.kind != SECRET and not isinstance(rules.base, mi.BytesType)
        if showable and not rules.many and raw:
            shown[rules.key] = _shown(raw[0])
        elif showable and rules.many:
            shown[rules.key] = [_shown(v) for v in raw]
        try:
            if rules.many:
                taken[rules.key] = [_check(rules, v) for v in raw if not _absent(v)]
                continue
            value = raw[0] if raw else None
            if _absent(value) and rules.has_default and not rules.required:
                continue  # the model's default
            if value is None:
                value = b"" if isinstance(rules.base, mi.BytesType) else ""
            taken[rules.key] = _check(rules, value)
            if showable and isinstance(taken[rules.key], str):
                shown[rules.key] = taken[rules.key]
        except BadText as exc:
            problems.append(Problem(path=rules.key, message=exc.message))
    if problems:
        raise FormErrors(problems, shown)
    try:
        return msgspec.convert(taken, model)
    except msgspec.ValidationError as exc:  # a rule this module does not check itself
        raise FormErrors([Problem(message=f"The form could not be read: {exc}")], shown) from None


# --- reading a request --------------------------------------------------------------------


async def _read_upload(upload: UploadFile, limit: int | None) -> bytes:
    # One byte more than allowed is enough to say it is too large.
    data = await upload.read(-1 if limit is None else limit + 1)
    return data if isinstance(data, bytes) else bytes(data)


async def read_form(request: Request[Any, Any, Any], model: type[S]) -> S:
    """The request's form (urlencoded or multipart) as `model`, or FormErrors."""
    form = await request.form()
    limits = {r.key: getattr(r.base, "max_length", None) for r in _rules_of(model)}
    values: dict[str, list[Any]] = {}
    for key, value in form.multi_items():
        if key not in limits:
            continue
        if isinstance(value, UploadFile):
            value = await _read_upload(value, limits[key])
        values.setdefault(key, []).append(value)
    return decode(values, model)


def read_query(request: Request[Any, Any, Any], model: type[S]) -> S:
    """The request's query parameters as `model`, or FormErrors."""
    values: dict[str, list[Any]] = {}
    for key, value in request.query_params.multi_items():
        values.setdefault(key, []).append(value)
    return decode(values, model)


# --- showing a form again -----------------------------------------------------------------


def rerender(
    template: str,
    context: Mapping[str, Any],
    errors: Problems,
    *,
    values: Mapping[str, Any] | None = None,
    status_code: int = 400,
) -> Template:
    """The page again, answering 400: `errors` (its problems listed in the error summary,
    each linked to its field, and each field's message at the field) and `values` (what was
    submitted; a FormErrors' own by default) for the template's form macros."""
    shown = dict(errors.values) if isinstance(errors, FormErrors) else {}
    shown.update(values or {})
    return Template(
        template,
        context={**context, "errors": errors, "values": shown},
        status_code=status_code,
    )


def values_of(form: msgspec.Struct) -> dict[str, Any]:
    """A read form's values by field key, to show it again (never a secret or a file)."""
    out: dict[str, Any] = {}
    for rules in _rules_of(type(form)):
        if rules.kind == SECRET or isinstance(rules.base, mi.BytesType):
            continue
        out[rules.key] = getattr(form, rules.name)
    return out
