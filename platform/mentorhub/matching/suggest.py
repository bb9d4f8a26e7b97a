"""Suggestions: a mentee's best N mentors (AHEP's "top 3"), for one mentee or for all.

Excluded from suggestions: pairs failing a hard rule (criteria, conflicts, forbidden),
mentors who already declined the mentee, and mentors with no free place. Order: score
descending, then mentor id ascending, so equal scores always list the same way.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mentorhub.matching.input import Instance
from mentorhub.matching.scoring import PairScore, score_people
from mentorhub.matching.vector import F64, I64, Bool, ScoreTable


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One suggested mentor with the explanation shown to the mentee."""

    mentor: str
    score: float
    why: PairScore

    def to_dict(self) -> dict[str, object]:
        return {
            "mentor": self.mentor,
            "score": self.score,
            "why": [c.to_dict() for c in self.why.contributions],
        }


def top_k(scores: F64, eligible: Bool, rank: I64, k: int) -> tuple[I64, F64]:
    """Per row, the ``k`` best eligible columns (score desc, then ``rank`` asc).

    Returns columns and scores of shape ``(rows, k)``, padded with -1 / NaN where a row has
    fewer than ``k`` eligible mentors. ``scores`` is overwritten (ineligible → -inf).
    """
    n_rows, n_cols = scores.shape
    cols_out = np.full((n_rows, k), -1, dtype=np.int64)
    vals_out = np.full((n_rows, k), np.nan, dtype=np.float64)
    if k <= 0 or n_cols == 0 or n_rows == 0:
        return cols_out, vals_out
    np.copyto(scores, -np.inf, where=~eligible)
    # A cheap lower bound of each row's k-th best value: the k-th best of the maxima of k
    # or more disjoint chunks (each of those chunks holds a value at least that high). It
    # leaves a handful of candidates per row — a full partition of 10,000 values is slower.
    width = max(16, n_cols // 64)
    chunks = n_cols // width
    if chunks >= k:
        maxima = scores[:, : chunks * width].reshape(n_rows, chunks, width).max(axis=2)
        threshold = np.partition(maxima, chunks - k, axis=1)[:, chunks - k]
        candidates = scores >= threshold[:, None]
        candidates &= eligible
    else:
        candidates = eligible
    r, c = np.nonzero(candidates)
    v = scores[r, c]
    order = np.lexsort((rank[c], -v, r))
    r, c, v = r[order], c[order], v[order]
    pos = np.arange(len(r)) - np.searchsorted(r, np.arange(n_rows))[r]
    keep = pos < k
    cols_out[r[keep], pos[keep]] = c[keep]
    vals_out[r[keep], pos[keep]] = v[keep]
    return cols_out, vals_out


def suggest(
    instance: Instance, mentee_id: str, top: int = 3, table: ScoreTable | None = None
) -> list[Suggestion]:
    """The ``top`` mentors for one mentee, best first, each with its explanation.

    Pass a prebuilt ``table`` when asking for several mentees of the same input, so the
    mentor arrays are built once. Raises ``KeyError`` for an unknown mentee id.
    """
    table = table or ScoreTable(instance)
    row = instance.mentee_index(mentee_id)
    scores, eligible = table.block(np.array([row]), with_capacity=True)
    cols, vals = top_k(scores, eligible, table.rank, top)
    mentee = instance.mentees[row]
    out: list[Suggestion] = []
    for col, val in zip(cols[0].tolist(), vals[0].tolist(), strict=True):
        if col < 0:
            break
        mentor = instance.mentors[col]
        out.append(Suggestion(mentor.id, val, score_people(instance, mentee, mentor)))
    return out


def _blocks(n: int, size: int) -> Iterator[npt.NDArray[np.int64]]:
    for start in range(0, n, size):
        yield np.arange(start, min(n, start + size), dtype=np.int64)


def suggest_all(
    table: ScoreTable, top: int = 3, *, workers: int | None = None, block_rows: int = 16
) -> tuple[I64, F64]:
    """Top ``top`` mentor columns and scores for every mentee, blockwise across threads.

    Memory stays at a few blocks of ``block_rows × mentors``; NumPy releases the GIL in the
    array operations, so threads use every core without copying the table to processes.
    Returns ``(columns, scores)`` of shape ``(mentees, top)``, padded with -1 / NaN.
    """
    n = table.n_mentees
    cols = np.full((n, top), -1, dtype=np.int64)
    vals = np.full((n, top), np.nan, dtype=np.float64)

    def run(rows: npt.NDArray[np.int64]) -> None:
        scores, eligible = table.block(rows, with_capacity=True)
        c, v = top_k(scores, eligible, table.rank, top)
        cols[rows] = c
        vals[rows] = v

    workers = workers or min(4, os.cpu_count() or 1)
    if workers <= 1:
        for rows in _blocks(n, block_rows):
            run(rows)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for _ in pool.map(run, _blocks(n, block_rows)):
                pass
    return cols, vals
