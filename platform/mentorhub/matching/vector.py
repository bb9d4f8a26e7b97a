"""Vectorised scoring: the numbers of :mod:`mentorhub.matching.scoring`, a block at a time.

Why a second implementation: AHEP scores every mentee against every mentor, and a cohort of
10,000 × 10,000 is 10⁸ pairs — far too many for a Python loop. A :class:`ScoreTable` turns
the mentors (and mentees) into arrays once per input; :meth:`ScoreTable.block` then scores
a block of mentees against all mentors with whole-array operations:

- list fields become bit masks over the mentors' vocabulary (64 items per ``uint64`` word),
  so "items in common" is an AND and a popcount (``np.bitwise_count``);
- scalar fields become integer codes, so ``same`` is an integer comparison;
- coordinates become half-angle sines and cosines, so the haversine needs no per-pair
  ``sin``/``cos`` (only one ``sqrt`` and ``arcsin``) and stays exact for nearby points;
- criteria points are added in the listed order, as the reference scorer does, so the two
  agree to the last bit except for distances (libm vs NumPy trigonometry, ~1e-15).

Blocks keep memory bounded (a block is ``rows × mentors`` float64 plus a few temporaries).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from mentorhub.matching.model import Criterion, Instance
from mentorhub.matching.scoring import EARTH_RADIUS_KM

F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class _Prepared:
    """One criterion's mentee-side and mentor-side arrays."""

    crit: Criterion
    mentee: tuple[npt.NDArray[Any], ...]
    mentor: tuple[npt.NDArray[Any], ...]


def _masks(values: list[frozenset[Any]], vocab: dict[Any, int], words: int) -> npt.NDArray[
    np.uint64
]:
    out = np.zeros((len(values), max(words, 1)), dtype=np.uint64)
    for row, items in enumerate(values):
        for item in items:
            bit = vocab.get(item)
            if bit is not None:
                out[row, bit >> 6] |= np.uint64(1) << np.uint64(bit & 63)
    return out


def _prepare(crit: Criterion, instance: Instance) -> _Prepared:
    me = [p.fields[crit.field] for p in instance.mentees]
    mo = [p.fields[crit.field] for p in instance.mentors]
    if crit.kind in ("overlap", "availability"):
        vocab: dict[Any, int] = {}
        for items in mo:
            for item in items:
                vocab.setdefault(item, len(vocab))
        words = (len(vocab) + 63) // 64
        return _Prepared(crit, (_masks(me, vocab, words),), (_masks(mo, vocab, words),))
    if crit.kind == "same":
        codes: dict[Any, int] = {}
        mo_codes = np.array([codes.setdefault(v, len(codes)) for v in mo], dtype=np.int64)
        me_codes = np.array([codes.get(v, -1) for v in me], dtype=np.int64)
        return _Prepared(crit, (me_codes,), (mo_codes,))
    if crit.kind == "min_gap":
        return _Prepared(
            crit, (np.array(me, dtype=np.float64),), (np.array(mo, dtype=np.float64),)
        )
    if crit.kind == "distance":

        def trig(points: list[tuple[float, float]]) -> tuple[F64, ...]:
            arr = np.radians(np.array(points, dtype=np.float64).reshape(-1, 2))
            half_lat, half_lon = arr[:, 0] / 2, arr[:, 1] / 2
            root_cos = np.sqrt(np.cos(arr[:, 0]))
            return (
                np.sin(half_lat),
                np.cos(half_lat),
                root_cos * np.sin(half_lon),
                root_cos * np.cos(half_lon),
            )

        return _Prepared(crit, trig(me), trig(mo))
    rank = {stage: i for i, stage in enumerate(crit.order)}
    return _Prepared(
        crit,
        (np.array([rank[v] for v in me], dtype=np.float64),),
        (np.array([rank[v] for v in mo], dtype=np.float64),),
    )


class ScoreTable:
    """Arrays for one input, built once; score blocks of mentees against all mentors."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.n_mentees = len(instance.mentees)
        self.n_mentors = len(instance.mentors)
        self.prepared = [_prepare(c, instance) for c in instance.criteria]
        self.free = np.array([m.free for m in instance.mentors], dtype=np.int64)
        ids = [m.id for m in instance.mentors]
        #: Tie-break rank of each mentor column (ids ascending).
        self.rank = np.empty(self.n_mentors, dtype=np.int64)
        self.rank[np.argsort(np.array(ids, dtype=object), kind="stable")] = np.arange(
            self.n_mentors
        )
        # Structural exclusions (conflicts, declined, forbidden) as CSR rows of mentor columns.
        forbidden: dict[str, set[str]] = {}
        for mentee_id, mentor_id in instance.forbidden:
            forbidden.setdefault(mentee_id, set()).add(mentor_id)
        ptr = [0]
        cols: list[int] = []
        for mentee in instance.mentees:
            banned = mentee.conflicts | mentee.declined | forbidden.get(mentee.id, set())
            cols.extend(sorted(instance.mentor_index(m) for m in banned))
            ptr.append(len(cols))
        self._ex_ptr = np.array(ptr, dtype=np.int64)
        self._ex_cols = np.array(cols, dtype=np.int64)

    def _structural(self, rows: I64) -> tuple[I64, I64]:
        """(block row, mentor column) of every structurally excluded pair in the block."""
        starts, ends = self._ex_ptr[rows], self._ex_ptr[rows + 1]
        counts = ends - starts
        total = int(counts.sum())
        if total == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        block_rows = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
        offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
        return block_rows, self._ex_cols[np.repeat(starts, counts) + offsets]

    def _points(self, prep: _Prepared, rows: I64) -> tuple[F64 | float, Bool | None]:
        """One criterion for a block: (points, met) — ``met`` None when always met."""
        crit = prep.crit
        w = crit.weight
        lo = crit.min if crit.min is not None else 0.0
        kind = crit.kind
        if kind in ("overlap", "availability"):
            me, mo = prep.mentee[0][rows], prep.mentor[0]
            shared: npt.NDArray[Any] = np.bitwise_count(me[:, None, 0] & mo[None, :, 0])
            if mo.shape[1] > 1:
                shared = shared.astype(np.int64)
                for word in range(1, mo.shape[1]):
                    shared += np.bitwise_count(me[:, None, word] & mo[None, :, word])
            points = w * shared.astype(np.float64)
            return points, (shared >= lo) if lo > 0 else None
        if kind == "same":
            met = prep.mentee[0][rows][:, None] == prep.mentor[0][None, :]
            return np.where(met, w, 0.0), met
        if kind in ("min_gap", "career_stage"):
            gap = prep.mentor[0][None, :] - prep.mentee[0][rows][:, None]
            met = gap >= lo
            if kind == "min_gap":
                return np.where(met, w, 0.0), met
            gap -= lo
            gap += 1.0
            return np.divide(w, gap, out=np.zeros_like(gap), where=met), met
        # distance
        top = crit.max if crit.max is not None else math.inf
        sl, cl, sx, cx = (a[rows][:, None] for a in prep.mentee)
        msl, mcl, msx, mcx = (a[None, :] for a in prep.mentor)
        s = msl * cl
        s -= mcl * sl
        s *= s
        t = msx * cx
        t -= mcx * sx
        t *= t
        s += t
        np.minimum(s, 1.0, out=s)
        np.sqrt(s, out=s)
        np.arcsin(s, out=s)
        s *= 2 * EARTH_RADIUS_KM
        met = s <= top
        s /= top
        np.subtract(1.0, s, out=s)
        s *= w
        s[~met] = 0.0
        return s, met

    def block(self, rows: I64, *, with_capacity: bool = False) -> tuple[F64, Bool]:
        """Scores and eligibility of mentees ``rows`` against every mentor.

        ``with_capacity`` also marks mentors without a free place ineligible (suggestions);
        cohort assignment leaves it off because it handles places itself.
        """
        rows = np.asarray(rows, dtype=np.int64)
        total = np.zeros((len(rows), self.n_mentors), dtype=np.float64)
        eligible = np.ones((len(rows), self.n_mentors), dtype=np.bool_)
        for prep in self.prepared:
            points, met = self._points(prep, rows)
            total += points
            if met is not None and prep.crit.hard:
                eligible &= met
        r, c = self._structural(rows)
        eligible[r, c] = False
        if with_capacity:
            eligible &= (self.free > 0)[None, :]
        return total, eligible

    def first_failure(self, row: int) -> list[str | None]:
        """For one mentee, the first rule excluding each mentor (None = eligible).

        Used to explain an unmatched mentee; same order of checks as the reference scorer.
        """
        rows = np.array([row], dtype=np.int64)
        reason = np.full(self.n_mentors, -1, dtype=np.int64)
        labels: list[str] = []
        mentee = self.instance.mentees[row]
        forbidden = {m for e, m in self.instance.forbidden if e == mentee.id}
        for label, ids in (
            ("conflict of interest", mentee.conflicts),
            ("declined", mentee.declined),
            ("forbidden by the coordinator", forbidden),
        ):
            labels.append(label)
            for mid in ids:
                col = self.instance.mentor_index(mid)
                if reason[col] < 0:
                    reason[col] = len(labels) - 1
        for prep in self.prepared:
            if not prep.crit.hard:
                continue
            _, met = self._points(prep, rows)
            if met is None:
                continue
            labels.append(f"excluded by {prep.crit.label()}")
            reason[(reason < 0) & ~met[0]] = len(labels) - 1
        return [labels[k] if k >= 0 else None for k in reason.tolist()]
