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

Unknown top-level keys and unknown criterion keys are problems too (a typo such as
``"wieght"`` must not silently fall back to a default).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeGuard

Kind = Literal["overlap", "same", "min_gap", "distance", "career_stage", "availability"]
KINDS: tuple[Kind, ...] = ("overlap", "same", "min_gap", "distance", "career_stage", "availability")

#: Whether a criterion excludes pairs unless the scheme says otherwise.
DEFAULT_HARD: dict[str, bool] = {
    "overlap": False,
    "same": False,
    "min_gap": True,
    "distance": True,
    "career_stage": True,
    "availability": True,
}

RESERVED_FIELDS = frozenset({"id", "conflicts", "declined", "capacity", "assigned"})
CRITERION_KEYS = frozenset(
    {"name", "kind", "field", "weight", "min", "max", "order", "hard", "description", "label"}
)
TOP_LEVEL_KEYS = frozenset({"criteria", "mentees", "mentors", "pinned", "forbidden"})

Scalar = str | int | float | bool


class InputError(ValueError):
    """Raised with the complete list of problems found in a matching input."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: list[str] = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True, slots=True)
class Criterion:
    """One scoring rule of a scheme. See :mod:`mentorhub.matching.scoring` for the kinds."""

    name: str
    kind: Kind
    field: str
    weight: float
    hard: bool
    min: float | None = None
    max: float | None = None
    order: tuple[str, ...] = ()

    def label(self) -> str:
        """How the criterion is named in explanations, e.g. ``min_gap 'experience'``."""
        return f"{self.kind} '{self.name}'"


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


def parse_criteria(
    raw: object,
    problems: list[str] | None = None,
    checkable: list[Criterion] | None = None,
) -> tuple[Criterion, ...]:
    """Validate a scheme's criteria list (also used for the ``[matching]`` of tenant files).

    Without ``problems`` it raises :class:`InputError`; with it, problems are appended so a
    caller can report criteria and people together. ``checkable`` receives the criteria that
    are invalid but still name a kind and a field, so people's fields can be checked too.
    """
    own = problems is None
    found: list[str] = [] if problems is None else problems
    out: list[Criterion] = []
    if not isinstance(raw, list):
        found.append("criteria: must be a list")
        raw = []
    names: set[str] = set()
    for i, item in enumerate(raw):
        where = f"criteria[{i}]"
        if not isinstance(item, Mapping):
            found.append(f"{where}: must be an object")
            continue
        start = len(found)
        name = item.get("name")
        if not isinstance(name, str) or not name:
            found.append(f"{where}: 'name' missing or not a non-empty string")
            name = f"#{i}"
        else:
            where = f"criteria[{i}] '{name}'"
            if name in names:
                found.append(f"{where}: duplicate criterion name")
            names.add(name)
        for key in sorted(set(item) - CRITERION_KEYS):
            found.append(f"{where}: unknown key '{key}'")
        kind = item.get("kind")
        if kind not in KINDS:
            found.append(
                f"{where}: unknown kind {kind!r} (expected one of {', '.join(KINDS)})"
            )
        fld = item.get("field")
        if not isinstance(fld, str) or not fld:
            found.append(f"{where}: 'field' missing or not a non-empty string")
        elif fld in RESERVED_FIELDS:
            found.append(f"{where}: field '{fld}' is reserved")
        default_weight = 0.0 if kind == "min_gap" else 1.0
        weight = item.get("weight", default_weight)
        if not _finite(weight):
            found.append(f"{where}: 'weight' must be a finite number")
            weight = default_weight
        hard = item.get("hard", DEFAULT_HARD.get(str(kind), False))
        if not isinstance(hard, bool):
            found.append(f"{where}: 'hard' must be true or false")
            hard = False
        lo = item.get("min")
        hi = item.get("max")
        order: tuple[str, ...] = ()
        if lo is not None and not _finite(lo):
            found.append(f"{where}: 'min' must be a finite number")
            lo = None
        if hi is not None and not _finite(hi):
            found.append(f"{where}: 'max' must be a finite number")
            hi = None
        if kind == "min_gap" and lo is None and "min" not in item:
            found.append(f"{where}: min_gap needs 'min'")
        if kind == "distance":
            if hi is None and "max" not in item:
                found.append(f"{where}: distance needs 'max' (kilometres)")
            elif hi is not None and float(hi) <= 0:
                found.append(f"{where}: 'max' must be positive")
        if kind in ("overlap", "availability", "career_stage") and lo is not None and (
            float(lo) != int(lo) or (kind != "career_stage" and lo < 0)
        ):
            found.append(f"{where}: 'min' must be a whole number" + (
                "" if kind == "career_stage" else " ≥ 0"))
        if kind == "career_stage":
            raw_order = item.get("order")
            if (
                not isinstance(raw_order, list)
                or not raw_order
                or not all(isinstance(s, str) and s for s in raw_order)
            ):
                found.append(f"{where}: career_stage needs 'order', a list of stage names")
            elif len(set(raw_order)) != len(raw_order):
                found.append(f"{where}: 'order' repeats a stage")
            else:
                order = tuple(raw_order)
        if len(found) > start:
            # Still check people's fields against it, so one run lists every problem.
            if checkable is not None and kind in KINDS and isinstance(fld, str) and fld and (
                kind != "career_stage" or order
            ):
                checkable.append(
                    Criterion(str(name), kind, fld, 0.0, False, None, None, order)  # type: ignore[arg-type]
                )
            continue
        if kind in ("overlap", "availability"):
            lo = float(lo) if lo is not None else (1.0 if (hard or kind == "availability") else 0.0)
        elif kind == "career_stage":
            lo = float(lo) if lo is not None else 0.0
        elif lo is not None:
            lo = float(lo)
        out.append(
            Criterion(
                name=str(name),
                kind=kind,  # type: ignore[arg-type]
                field=str(fld),
                weight=float(weight),  # type: ignore[arg-type]
                hard=hard,
                min=lo,
                max=float(hi) if hi is not None else None,
                order=order,
            )
        )
    if own and found:
        raise InputError(found)
    return tuple(out)


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
    elif crit.kind == "career_stage" and value not in crit.order:
        return f"must be one of {', '.join(crit.order)}"
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
                    f"{where}: field '{crit.field}' missing (read by {crit.label()})"
                )
                continue
            wrong = _check_field(item[crit.field], crit)
            if wrong:
                problems.append(f"{where}: field '{crit.field}' {wrong} (read by {crit.label()})")
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
