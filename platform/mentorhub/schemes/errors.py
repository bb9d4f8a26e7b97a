"""Validation problems that name the file, the key path and what is wrong."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

__all__ = ["FactsError", "Problem", "SchemeError"]


class Problem(msgspec.Struct, frozen=True):
    """One thing wrong with a document, e.g. file `tenants/ahep.toml`,
    path `scheme.checkpoints[2].when.offset_months`, message `must be ≥ 0`.

    List indices in paths count from 0, like the TOML array they point into.
    """

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}" if self.path else (
            f"{self.file}: {self.message}"
        )


class SchemeError(ValueError):
    """A tenant file or scheme document is invalid; `problems` lists *every* problem found,
    so a tenant admin fixes the whole file in one round instead of one error per run."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class FactsError(ValueError):
    """A pair's facts contradict its scheme (a meeting before matching, an extension the
    scheme does not allow…); `problems` lists every one of them."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: list[str] = list(problems)
        super().__init__("; ".join(self.problems))
