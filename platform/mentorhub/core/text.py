"""The one check of text that comes from outside (a form, a query, a roster cell, a sign-in
answer), made at the edge so bad text never reaches the database.

:func:`clean_text` normalises (Unicode NFC, surrounding white space trimmed) and refuses,
with a sentence naming the field:

- control characters: NUL (which PostgreSQL cannot store) and the other C0/C1 controls, and
  the line and paragraph separators; tab and line breaks only in long text (`TEXT`);
- lone surrogates (which cannot be stored as UTF-8);
- in names, e-mail addresses, identifiers, URLs and secrets: the invisible formatting
  characters that make text look like other text — bidi embeddings, overrides and isolates
  (U+202A–U+202E, U+2066–U+2069) and zero-width characters (U+200B–U+200D, U+2060, U+FEFF);
- more characters than the field holds (counted after normalisation, as PostgreSQL counts);
- an e-mail address that is not one (:func:`email_problem`).

Free text (a comment, a search) may hold right-to-left marks and joiners: people's
languages need them. A secret is never normalised (its bytes are what the provider checks).
Pure: the standard library only.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

__all__ = [
    "EMAIL",
    "EMAIL_MAX",
    "IDENTIFIER",
    "KINDS",
    "LINE",
    "NAME",
    "SECRET",
    "TEXT",
    "URL",
    "BadText",
    "TextKind",
    "clean_text",
    "email_problem",
]

TextKind = Literal["text", "line", "name", "email", "identifier", "url", "secret"]
TEXT: TextKind = "text"  # long text: a comment; tab and line breaks allowed
LINE: TextKind = "line"  # one line of free text: a search
NAME: TextKind = "name"  # a person's or a thing's name
EMAIL: TextKind = "email"
IDENTIFIER: TextKind = "identifier"  # a client ID, a member number, a scope list, a claim
URL: TextKind = "url"
SECRET: TextKind = "secret"  # kept exactly as typed (but trimmed)
KINDS: tuple[TextKind, ...] = (TEXT, LINE, NAME, EMAIL, IDENTIFIER, URL, SECRET)

#: The longest e-mail address a mail system carries (RFC 5321's path limit, less <>).
EMAIL_MAX = 254

#: Invisible characters that reorder or hide text: bidi embeddings, overrides, isolates
#: and zero-width characters.
INVISIBLE = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200c\u200d\u2060\ufeff"
)
_STRICT: frozenset[TextKind] = frozenset({NAME, EMAIL, IDENTIFIER, URL, SECRET})

_LOCAL_FORBIDDEN = re.compile(r'[\s@<>()\[\]\\,;:"]')
_DOMAIN_LABEL = re.compile(r"^(?!-)[^\W_](?:[\w-]{0,61}[^\W_])?$")


class BadText(ValueError):
    """The text cannot be taken; `message` is a sentence naming the field."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


#: Control characters (Unicode category Cc), lone surrogates (Cs), line and paragraph
#: separators; in long text less tab, line feed and carriage return.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_INVISIBLE = re.compile("[" + "".join(sorted(INVISIBLE)) + "]")


def _offending(value: str, kind: TextKind) -> str | None:
    if (_CONTROL_IN_TEXT if kind == TEXT else _CONTROL).search(value):
        return "control"
    if kind in _STRICT and _INVISIBLE.search(value):
        return "invisible"
    return None


def email_problem(address: str) -> str | None:
    """What makes `address` not an e-mail address, or None: one @, a local part of at most
    64 characters without spaces, quotes or brackets, a domain of at least two labels of
    letters, digits and hyphens. (Deliberately simpler than RFC 5322: an address a person
    types and a mail system delivers.)"""
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return "must be an e-mail address, like name@example.org"
    if len(local) > 64 or _LOCAL_FORBIDDEN.search(local) or ".." in local:
        return "must be an e-mail address, like name@example.org"
    if local.startswith(".") or local.endswith("."):
        return "must be an e-mail address, like name@example.org"
    labels = domain.removesuffix(".").split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        return "must be an e-mail address, like name@example.org"
    return None


def clean_text(
    value: str,
    *,
    label: str,
    kind: TextKind = LINE,
    max_length: int | None = None,
    required: bool = False,
) -> str:
    """`value` normalised, or BadText saying, in a sentence that names the field by
    `label`, what is wrong. Empty text is "" (or BadText when `required`)."""
    if kind != SECRET and not value.isascii():
        value = unicodedata.normalize("NFC", value)
    value = value.strip()
    found = _offending(value, kind)
    if found == "control":
        allowed = " (line breaks and tabs are allowed)" if kind == TEXT else ""
        raise BadText(
            f"{label} must not contain control characters, such as a NUL byte"
            + (" or a line break" if kind != TEXT else "")
            + allowed
        )
    if found == "invisible":
        raise BadText(
            f"{label} must not contain invisible formatting characters "
            "(text-direction or zero-width characters)"
        )
    if kind == EMAIL and max_length is None:
        max_length = EMAIL_MAX
    if max_length is not None and len(value) > max_length:
        raise BadText(f"{label} must be {max_length:,} characters or fewer")
    if not value:
        if required:
            raise BadText(f"{label} is needed")
        return value
    if kind == EMAIL and (problem := email_problem(value)) is not None:
        raise BadText(f"{label} {problem}")
    return value
