"""A page of a long list (members, the audit log): which rows, how many in all, which page.

Pages are numbered from 1 and hold `PAGE_SIZE` rows in a stable order (the order's own
columns, then the row's id, so rows with equal names never swap between pages). A page's
keys are read first from an index that covers the order (an index-only scan), then only
that page's rows are read; a page in the second half is counted from the end, so the middle
page of 100,000 members costs the most and still skips only 50,000 index entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

PAGE_SIZE = 50
#: A search term longer than this is cut (no name, e-mail or member number is longer).
MAX_QUERY = 320


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    number: int  # 1-based
    size: int
    total: int
    #: True when `total` stopped counting (a search with very many matches).
    capped: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first_index(self) -> int:
        """The 1-based position of the page's first row (0 when the page is empty)."""
        return (self.number - 1) * self.size + 1 if self.rows else 0

    @property
    def last_index(self) -> int:
        return (self.number - 1) * self.size + len(self.rows)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    def nearby(self, width: int = 2) -> list[int]:
        """Page numbers to link: the first, the last, and `width` either side of this one."""
        around = range(max(1, self.number - width), min(self.pages, self.number + width) + 1)
        return sorted({1, self.pages, *around})


def page_number(value: str | None) -> int:
    """The page a `?page=` parameter asks for; anything that is not a positive number is 1."""
    try:
        number = int(value or "1")
    except ValueError:
        return 1
    return number if 1 <= number <= 1_000_000 else 1


def search_term(value: str | None) -> str:
    """The search a `?q=` parameter asks for: trimmed, without control characters, cut."""
    cleaned = "".join(c for c in (value or "") if c.isprintable())
    return " ".join(cleaned.split())[:MAX_QUERY]


@dataclass(frozen=True)
class Window:
    """Which rows of the ordered list a page is, and from which end to count to them."""

    offset: int
    limit: int
    backwards: bool


def window(total: int, number: int, size: int, *, exact: bool = True) -> Window:
    """A page in the second half of the list is counted from the end (the order reversed,
    the offset from the last row), so no page skips more than half the list's keys. Only
    when `total` is exact: a capped count does not know where the end is."""
    start = (number - 1) * size
    end = min(start + size, total)
    if exact and total - end < start:
        return Window(offset=total - end, limit=end - start, backwards=True)
    return Window(offset=start, limit=size, backwards=False)
