"""Validation problems that name the file, the key path and what is wrong: the one problem
type of `mentorhub.core.problems`, e.g. file `tenants/ahep.toml`, path
`scheme.checkpoints[2].when.offset_months`, message `must be ≥ 0`."""

from __future__ import annotations

from collections.abc import Iterable

from mentorhub.core.problems import Problem, Problems, from_lines

__all__ = ["FactsError", "Problem", "SchemeError"]


class SchemeError(Problems):
    """A tenant file or scheme document is invalid; `problems` lists *every* problem found,
    so a tenant admin fixes the whole file in one round instead of one error per run."""


class FactsError(ValueError):
    """A pair's facts contradict its scheme (a meeting before matching, an extension the
    scheme does not allow…); `problems` lists every one of them, as sentences; `found` as
    the one problem type."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: list[str] = list(problems)
        super().__init__("; ".join(self.problems))

    @property
    def found(self) -> list[Problem]:
        return from_lines(self.problems)
