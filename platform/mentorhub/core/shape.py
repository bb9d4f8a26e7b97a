"""Shape checks that list every problem: a raw mapping (parsed TOML or JSON) walked against a
msgspec model's type information, each unknown key, missing key, wrong type, unknown choice
or out-of-range number reported with its key path.

msgspec's own decoder stops at the first error; someone fixing a file wants them all. The
scheme files and the matching input both validate their shape here, against the one model
each declares (a criterion is :class:`mentorhub.matching.criteria.Criterion` in both).
Pure: msgspec only.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

import msgspec.inspect as mi

__all__ = ["Found", "shape_problems", "walk"]

Found = list[tuple[str, str]]  # (key path, message)


def shape_problems(value: Any, model: Any, path: str = "") -> Found:
    """Every shape problem of `value` against `model` (a msgspec Struct class or type)."""
    out: Found = []
    walk(value, mi.type_info(model), path, out)
    return out


def _describe_value(value: object) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
             list: "an array", dict: "a table", date: "a date"}
    kind = names.get(type(value), type(value).__name__)
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        return f"{kind} ({shown})"
    return kind


def _bounds(t: mi.IntType | mi.FloatType, value: float) -> str | None:
    if t.ge is not None and value < t.ge:
        return f"must be ≥ {t.ge}"
    if t.gt is not None and value <= t.gt:
        return f"must be > {t.gt}"
    if t.le is not None and value > t.le:
        return f"must be ≤ {t.le}"
    if t.lt is not None and value >= t.lt:
        return f"must be < {t.lt}"
    return None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def walk(value: Any, t: mi.Type, path: str, out: Found) -> None:
    """Append every shape problem of `value` against type `t` to `out`."""
    if isinstance(t, mi.AnyType):
        return
    if isinstance(t, mi.UnionType):
        _walk_union(value, t, path, out)
    elif isinstance(t, mi.StructType):
        _walk_struct(value, t, path, out)
    elif isinstance(t, mi.BoolType):
        if not isinstance(value, bool):
            out.append((path, f"expected true or false, got {_describe_value(value)}"))
    elif isinstance(t, mi.IntType):
        if not isinstance(value, int) or isinstance(value, bool):
            out.append((path, f"expected an integer, got {_describe_value(value)}"))
        elif (problem := _bounds(t, value)) is not None:
            out.append((path, problem))
    elif isinstance(t, mi.FloatType):
        if not isinstance(value, int | float) or isinstance(value, bool):
            out.append((path, f"expected a number, got {_describe_value(value)}"))
        elif not math.isfinite(value):
            out.append((path, "must be a finite number"))
        elif (problem := _bounds(t, value)) is not None:
            out.append((path, problem))
    elif isinstance(t, mi.StrType):
        if not isinstance(value, str):
            out.append((path, f"expected a string, got {_describe_value(value)}"))
        elif t.min_length is not None and len(value) < t.min_length:
            out.append((path, "must not be empty"))
        elif t.pattern is not None and not re.search(t.pattern, value):
            out.append((path, f"{value!r} must match {t.pattern}"))
    elif isinstance(t, mi.LiteralType):
        if value not in t.values or type(value) is bool:
            choices = ", ".join(repr(v) for v in t.values)
            out.append((path, f"{_describe_value(value)} is not one of {choices}"))
    elif isinstance(t, mi.ListType | mi.VarTupleType):
        if not isinstance(value, list | tuple):
            out.append((path, f"expected an array, got {_describe_value(value)}"))
            return
        if t.min_length is not None and len(value) < t.min_length:
            out.append((path, f"must list at least {t.min_length} item(s)"))
        for i, item in enumerate(value):
            walk(item, t.item_type, f"{path}[{i}]", out)
    elif isinstance(t, mi.DateType):
        if not isinstance(value, date):
            out.append((path, f"expected a date, got {_describe_value(value)}"))
    else:  # pragma: no cover - the model uses only the types above
        out.append((path, f"unsupported type {t!r}"))


def _walk_union(value: Any, t: mi.UnionType, path: str, out: Found) -> None:
    members = [m for m in t.types if not isinstance(m, mi.NoneType)]
    if value is None and len(members) < len(t.types):
        return
    tagged = [m for m in members if isinstance(m, mi.StructType) and m.tag_field]
    if tagged and len(tagged) == len(members):
        field = tagged[0].tag_field
        assert field is not None
        if not isinstance(value, dict):
            out.append((path, f"expected a table, got {_describe_value(value)}"))
            return
        choices = ", ".join(repr(m.tag) for m in tagged)
        if field not in value:
            out.append((_join(path, field), f"required key is missing (one of {choices})"))
            return
        for m in tagged:
            if value[field] == m.tag:
                _walk_struct(value, m, path, out)
                return
        out.append((_join(path, field), f"{_describe_value(value[field])} is not one of {choices}"))
        return
    if len(members) == 1:
        walk(value, members[0], path, out)
        return
    attempts: list[Found] = []
    for member in members:
        found: Found = []
        walk(value, member, path, found)
        if not found:
            return
        attempts.append(found)
    out.extend(attempts[0])


def _walk_struct(value: Any, t: mi.StructType, path: str, out: Found) -> None:
    if not isinstance(value, dict):
        out.append((path, f"expected a table, got {_describe_value(value)}"))
        return
    fields = {f.encode_name: f for f in t.fields}
    for key in value:
        if key not in fields and key != t.tag_field:
            allowed = ", ".join(sorted(fields)) or "none"
            out.append((_join(path, str(key)), f"unknown key (allowed here: {allowed})"))
    for name, f in fields.items():
        if name in value:
            walk(value[name], f.type, _join(path, name), out)
        elif f.required:
            out.append((_join(path, name), "required key is missing"))


