"""The one problem type: what is wrong with an input, where, and in which document.

Every area reports bad input the same way, so one page (or one command-line report) can show
it: a scheme file (`mentorhub.schemes.errors.SchemeError`), a matching input
(`mentorhub.matching.criteria.InputError`, converted with :func:`from_lines`), a membership
roster (`mentorhub.identity.roster`), single sign-on settings (`SsoProblems`) and any form
(`mentorhub.web.forms.FormErrors`). :class:`Problems` is the exception that carries them;
whoever raises it has changed nothing. Pure: msgspec only.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

__all__ = ["Problem", "Problems", "from_lines"]


class Problem(msgspec.Struct, frozen=True, kw_only=True):
    """One thing wrong. `path` says where: a form field's name (the page links to the field
    with that id), a key path in a document (`scheme.checkpoints[2].when.offset_months`,
    list indices from 0 like the TOML array they point into) or a line (`line 4`); empty
    for the input as a whole. `message` is a plain sentence or phrase (a form's names its
    field: "Client ID must be 255 characters or fewer"). `file` names the document, if the
    input is one."""

    path: str = ""
    message: str
    file: str = ""

    def __str__(self) -> str:
        return ": ".join(part for part in (self.file, self.path, self.message) if part)


class Problems(ValueError):
    """Every problem found in one input (never just the first: whoever fixes it fixes the
    whole input in one round); nothing was changed."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def at(self, path: str) -> list[Problem]:
        """The problems of one field (or key path)."""
        return [p for p in self.problems if p.path == path]


def from_lines(lines: Iterable[str], *, file: str = "") -> list[Problem]:
    """Problems written as "path: message" lines (the matching input's and a pair's facts'
    lists) as the one type; a line without a path is about the input as a whole."""
    out: list[Problem] = []
    for line in lines:
        path, sep, message = line.partition(": ")
        if sep and path and " " not in path.strip("'"):
            out.append(Problem(path=path, message=message, file=file))
        else:
            out.append(Problem(message=line, file=file))
    return out
