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

import ctypes
import ctypes.util
import math
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from mentorhub.matching.criteria import Criterion
from mentorhub.matching.input import Instance
from mentorhub.matching.scoring import EARTH_RADIUS_KM

F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]
I64 = npt.NDArray[np.int64]


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed block buffers instead of returning them to the OS.

    Scoring allocates a few megabyte-sized temporaries per block. By default glibc maps
    each one fresh and unmaps it on free, so every block pays page faults — measured here
    as most of the time (a 16 × 10,000 haversine took 2.6 ms instead of 0.4 ms). Raising
    the mmap and trim thresholds keeps those pages in the process for reuse. It is a
    process-wide setting, so entry points (command line, benchmark, web/worker startup)
    call it, not the library. Returns False where it does not apply (not glibc).
    """
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        m_trim_threshold, m_mmap_threshold = -1, -3
        ok_trim = libc.mallopt(m_trim_threshold, 512 * 2**20)
        ok_mmap = libc.mallopt(m_mmap_threshold, 32 * 2**20)  # glibc's maximum
    except (OSError, AttributeError):
        return False
    return bool(ok_trim and ok_mmap)


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
        lo = crit.min if crit.min is not None else 0.0
        me_arr = np.array(me, dtype=np.float64)
        mo_arr = np.array(mo, dtype=np.float64)
        both = np.concatenate([me_arr, mo_arr, [lo]])
        if np.all(both == np.round(both)) and np.all(np.abs(both) < 2.0**50):
            # Whole numbers: "mentor - mentee >= min" is exactly "mentor >= mentee + min",
            # one comparison per pair instead of a subtraction and a comparison.
            return _Prepared(crit, (me_arr + lo,), (mo_arr,))
        return _Prepared(crit, (me_arr, np.zeros(0)), (mo_arr,))
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
    # career_stage: a mentee's stage is one of a few, so precompute each stage's row of
    # points and "met" over all mentors once; a block is then a gather of rows.
    rank = {stage: i for i, stage in enumerate(crit.stages())}
    lo = crit.min if crit.min is not None else 0.0
    mentor_rank = np.array([rank[v] for v in mo], dtype=np.float64)
    gaps = mentor_rank[None, :] - np.arange(len(crit.stages()), dtype=np.float64)[:, None]
    met = gaps >= lo
    denom = (gaps - lo) + 1.0
    points = np.divide(crit.weight, denom, out=np.zeros_like(gaps), where=met)
    return _Prepared(crit, (np.array([rank[v] for v in me], dtype=np.int64),), (points, met))


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
            return np.multiply(shared, w), (shared >= lo) if lo > 0 else None
        if kind == "same":
            met = prep.mentee[0][rows][:, None] == prep.mentor[0][None, :]
            return np.multiply(met, w), met
        if kind == "min_gap":
            me_v, mo_v = prep.mentee[0][rows][:, None], prep.mentor[0][None, :]
            # One array on the mentee side: whole numbers, threshold precomputed.
            met = (mo_v >= me_v) if len(prep.mentee) == 1 else ((mo_v - me_v) >= lo)
            return (np.where(met, w, 0.0) if w else 0.0), met
        if kind == "career_stage":
            stage = prep.mentee[0][rows]
            return prep.mentor[0][stage], prep.mentor[1][stage]
        return self._distance(prep, rows)

    def _distance(self, prep: _Prepared, rows: I64) -> tuple[F64, Bool]:
        """Haversine from half-angle products; sqrt/arcsin only for pairs near enough."""
        crit = prep.crit
        top = crit.max if crit.max is not None else math.inf
        sl, cl, sx, cx = (a[rows][:, None] for a in prep.mentee)
        msl, mcl, msx, mcx = (a[None, :] for a in prep.mentor)
        h = msl * cl
        h -= mcl * sl
        h *= h
        t = msx * cx
        t -= mcx * sx
        t *= t
        h += t
        # h grows with distance; a 1e-9 relative margin keeps every pair the exact test
        # below could accept, whatever the last-bit differences between formulas.
        if top / (2 * EARTH_RADIUS_KM) < math.pi / 2:
            limit = math.sin(top / (2 * EARTH_RADIUS_KM)) ** 2 * (1 + 1e-9)
            near = np.flatnonzero(h <= limit)
        else:
            near = np.arange(h.size)
        d = np.minimum(h.ravel()[near], 1.0)
        np.sqrt(d, out=d)
        np.arcsin(d, out=d)
        d *= 2 * EARTH_RADIUS_KM
        ok = d <= top
        near, d = near[ok], d[ok]
        met = np.zeros(h.shape, dtype=np.bool_)
        met.ravel()[near] = True
        points = t  # reuse the buffer
        points.fill(0.0)
        points.ravel()[near] = crit.weight * (1.0 - d / top)
        return points, met

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
            labels.append(f"excluded by {prep.crit.title()}")
            reason[(reason < 0) & ~met[0]] = len(labels) - 1
        return [labels[k] if k >= 0 else None for k in reason.tolist()]
