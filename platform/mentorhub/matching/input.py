"""The matching input: criteria, mentees, mentors, coordinator pins and vetoes — validated.

Validation collects *every* problem before giving up, because a coordinator fixing a
spreadsheet export wants the whole list at once, not one error per run. Nothing here does
I/O: the command line reads the file, the web layer reads the database, both hand a plain
mapping to :func:`parse_instance`.

Person records
--------------
A mentee is ``{"id", "conflicts": [...], "declined": [...], <fields>}`` and a mentor is
``{"id", "capacity": 2, "assigned": 1, <fields>}``:

- ``conflicts`` (mentee, optional): mentor ids the mentee must never be paired with
  (conflict of interest). Every id must name a mentor of the input.
- ``declined`` (mentee, optional): mentor ids who already declined this mentee (AHEP's
  accept/decline loop). They are left out of suggestions *and* of cohort assignment.
- ``capacity`` (mentor, optional): the most mentees the mentor takes in total. Defaults
  to 1 when absent — the cautious reading of a mentor who did not say (AHEP recommends ≤ 3,
  which a scheme states explicitly).
- ``assigned`` (mentor, optional, default 0): mentees the mentor already has (matched
  earlier, or accepted in the suggest/accept loop). Free places are
  ``max(0, capacity - assigned)``; ``assigned`` above ``capacity`` is allowed (a coordinator
  may have lowered a capacity) and simply leaves no free place.

Any other key is a field that criteria may read. A field a criterion reads must be present
on every person with the right shape; a missing or malformed field is an input problem, not
a silent zero, because a silent zero would quietly exclude or demote people.

Coordinator controls (top level, optional)
------------------------------------------
- ``pinned``: ``[{"mentee", "mentor"}]`` pairs forced into the cohort assignment. A pin must
  be admissible (no hard constraint broken, not forbidden, within the mentor's free places,
  one pin per mentee); otherwise it is reported as an input problem rather than honoured
  by breaking a rule.
- ``forbidden``: ``[{"mentee", "mentor"}]`` pairs never proposed — neither suggested nor
  assigned.

Criteria are checked by :mod:`mentorhub.matching.criteria` (the same check as a scheme
file's). Unknown top-level keys and unknown criterion keys are problems too (a typo such as
``"wieght"`` must not silently fall back to a default).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from mentorhub.matching.criteria import Criterion, InputError, parse_criteria

TOP_LEVEL_KEYS = frozenset({"criteria", "mentees", "mentors", "pinned", "forbidden"})

Scalar = str | int | float | bool


@dataclass(frozen=True, slots=True)
class Person:
    """A mentee or a mentor with the fields criteria read (already type-checked)."""

    id: str
    fields: Mapping[str, Any]
    conflicts: frozenset[str] = frozenset()
    declined: frozenset[str] = frozenset()
    capacity: int = 1
    assigned: int = 0

    @property
    def free(self) -> int:
        """Places left for a mentor (never negative)."""
        return max(0, self.capacity - self.assigned)


@dataclass(frozen=True, slots=True)
class Instance:
    """A validated matching problem. Build it with :func:`parse_instance`."""

    criteria: tuple[Criterion, ...]
    mentees: tuple[Person, ...]
    mentors: tuple[Person, ...]
    pinned: tuple[tuple[str, str], ...] = ()
    forbidden: frozenset[tuple[str, str]] = frozenset()
    _mentee_index: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    _mentor_index: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._mentee_index.update({p.id: i for i, p in enumerate(self.mentees)})
        self._mentor_index.update({p.id: i for i, p in enumerate(self.mentors)})

    def mentee_index(self, mentee_id: str) -> int:
        """Position of a mentee; ``KeyError`` if unknown."""
        return self._mentee_index[mentee_id]

    def mentor_index(self, mentor_id: str) -> int:
        """Position of a mentor; ``KeyError`` if unknown."""
        return self._mentor_index[mentor_id]

    def has_mentee(self, mentee_id: str) -> bool:
        return mentee_id in self._mentee_index

    def has_mentor(self, mentor_id: str) -> bool:
        return mentor_id in self._mentor_index


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _finite(value: object) -> TypeGuard[int | float]:
    return _is_number(value) and math.isfinite(float(value))


def _check_field(value: object, crit: Criterion) -> str | None:
    """Return what is wrong with a person's value for ``crit``, or None if it fits."""
    if crit.kind in ("overlap", "availability"):
        if not isinstance(value, list) or not all(
            isinstance(v, str) or _finite(v) or isinstance(v, bool) for v in value
        ):
            return "must be a list of strings or numbers"
    elif crit.kind == "same":
        if not (isinstance(value, str | bool) or _finite(value)):
            return "must be a string, number or boolean"
    elif crit.kind == "min_gap":
        if not _finite(value):
            return "must be a finite number"
    elif crit.kind == "distance":
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(_finite(v) for v in value)
            or not -90 <= value[0] <= 90
            or not -180 <= value[1] <= 180
        ):
            return "must be [latitude, longitude] in degrees"
    elif crit.kind == "career_stage" and value not in crit.stages():
        return f"must be one of {', '.join(crit.stages())}"
    return None


def _normalise(value: Any, crit: Criterion) -> Any:
    """Store values in the form both scorers read: sets of items, floats for numbers."""
    if crit.kind in ("overlap", "availability"):
        return frozenset(value)
    if crit.kind == "min_gap":
        return float(value)
    if crit.kind == "distance":
        return (float(value[0]), float(value[1]))
    return value


def _id_list(raw: object, where: str, key: str, problems: list[str]) -> frozenset[str]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        problems.append(f"{where}: '{key}' must be a list of mentor ids")
        return frozenset()
    return frozenset(raw)


def _whole(raw: object, default: int) -> int | None:
    if raw is None:
        return default
    if _finite(raw) and float(raw) == int(raw):
        return int(raw)
    return None


def _people(
    raw: object, role: str, criteria: Sequence[Criterion], problems: list[str]
) -> list[tuple[Person, str]]:
    if not isinstance(raw, list):
        problems.append(f"{role}: missing or not a list")
        return []
    seen: dict[str, int] = {}
    people: list[tuple[Person, str]] = []
    for i, item in enumerate(raw):
        where = f"{role}[{i}]"
        if not isinstance(item, Mapping):
            problems.append(f"{where}: must be an object")
            continue
        pid = item.get("id")
        if not isinstance(pid, str) or not pid:
            problems.append(f"{where}: 'id' missing or not a non-empty string")
            continue
        where = f"{role}[{i}] '{pid}'"
        if pid in seen:
            problems.append(f"{where}: duplicate id (also {role}[{seen[pid]}])")
        else:
            seen[pid] = i
        values: dict[str, Any] = {}
        for crit in criteria:
            if crit.field not in item:
                problems.append(
                    f"{where}: field '{crit.field}' missing (read by {crit.title()})"
                )
                continue
            wrong = _check_field(item[crit.field], crit)
            if wrong:
                problems.append(f"{where}: field '{crit.field}' {wrong} (read by {crit.title()})")
                continue
            values[crit.field] = _normalise(item[crit.field], crit)
        capacity = assigned = 0
        conflicts = declined = frozenset[str]()
        if role == "mentors":
            for key in ("conflicts", "declined"):
                if key in item:
                    problems.append(f"{where}: '{key}' belongs on mentees")
            cap = _whole(item.get("capacity"), 1)
            if cap is None or cap < 0:
                problems.append(f"{where}: 'capacity' must be a whole number ≥ 0")
            capacity = cap if cap is not None and cap >= 0 else 0
            got = _whole(item.get("assigned"), 0)
            if got is None or got < 0:
                problems.append(f"{where}: 'assigned' must be a whole number ≥ 0")
            assigned = got if got is not None and got >= 0 else 0
        else:
            for key in ("capacity", "assigned"):
                if key in item:
                    problems.append(f"{where}: '{key}' belongs on mentors")
            conflicts = _id_list(item.get("conflicts"), where, "conflicts", problems)
            declined = _id_list(item.get("declined"), where, "declined", problems)
        people.append(
            (
                Person(
                    id=pid,
                    fields=values,
                    conflicts=conflicts,
                    declined=declined,
                    capacity=capacity,
                    assigned=assigned,
                ),
                where,
            )
        )
    return people


def _pairs(raw: object, key: str, problems: list[str]) -> list[tuple[str, str]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append(f"{key}: must be a list of {{\"mentee\", \"mentor\"}} objects")
        return []
    out: list[tuple[str, str]] = []
    for i, item in enumerate(raw):
        if (
            not isinstance(item, Mapping)
            or set(item) != {"mentee", "mentor"}
            or not isinstance(item["mentee"], str)
            or not isinstance(item["mentor"], str)
        ):
            problems.append(f"{key}[{i}]: must be {{\"mentee\": id, \"mentor\": id}}")
            continue
        out.append((item["mentee"], item["mentor"]))
    return out


def parse_instance(data: object) -> Instance:
    """Validate a whole matching input; raise :class:`InputError` listing every problem."""
    problems: list[str] = []
    if not isinstance(data, Mapping):
        raise InputError(["input: must be a JSON object with criteria, mentees and mentors"])
    for key in sorted(set(data) - TOP_LEVEL_KEYS):
        problems.append(f"input: unknown key '{key}'")
    if "criteria" not in data:
        problems.append("criteria: missing")
    checkable: list[Criterion] = []
    criteria = parse_criteria(data.get("criteria", []), problems, checkable)
    mentees = _people(data.get("mentees"), "mentees", [*criteria, *checkable], problems)
    mentors = _people(data.get("mentors"), "mentors", [*criteria, *checkable], problems)
    mentor_ids = {p.id for p, _ in mentors}
    mentee_ids = {p.id for p, _ in mentees}
    for person, where in mentees:
        for key, ids in (("conflicts", person.conflicts), ("declined", person.declined)):
            for bad in sorted(ids - mentor_ids):
                problems.append(f"{where}: {key} names '{bad}', which is no mentor")
    pinned = _pairs(data.get("pinned"), "pinned", problems)
    forbidden = _pairs(data.get("forbidden"), "forbidden", problems)
    for key, pairs in (("pinned", pinned), ("forbidden", forbidden)):
        for mentee, mentor in pairs:
            if mentee not in mentee_ids:
                problems.append(f"{key}: '{mentee}' is no mentee")
            if mentor not in mentor_ids:
                problems.append(f"{key}: '{mentor}' is no mentor")
    if problems:
        raise InputError(problems)
    instance = Instance(
        criteria=criteria,
        mentees=tuple(p for p, _ in mentees),
        mentors=tuple(p for p, _ in mentors),
        pinned=tuple(pinned),
        forbidden=frozenset(forbidden),
    )
    _check_pins(instance)
    return instance


def _check_pins(instance: Instance) -> None:
    """A pin that would break a rule is refused: pins are honoured, never rule-breaking."""
    from mentorhub.matching.scoring import score_pair

    problems: list[str] = []
    per_mentee: dict[str, str] = {}
    per_mentor: dict[str, int] = {}
    for mentee, mentor in instance.pinned:
        if mentee in per_mentee:
            problems.append(
                f"pinned: mentee '{mentee}' pinned twice ('{per_mentee[mentee]}', '{mentor}')"
            )
            continue
        per_mentee[mentee] = mentor
        per_mentor[mentor] = per_mentor.get(mentor, 0) + 1
        pair = score_pair(instance, mentee, mentor)
        if pair.excluded_by is not None:
            problems.append(f"pinned: '{mentee}'–'{mentor}' is excluded: {pair.excluded_by}")
    for mentor, count in sorted(per_mentor.items()):
        free = instance.mentors[instance.mentor_index(mentor)].free
        if count > free:
            problems.append(
                f"pinned: mentor '{mentor}' pinned {count} times but has {free} free place(s)"
            )
    if problems:
        raise InputError(problems)
