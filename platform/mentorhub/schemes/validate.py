"""Validate scheme and tenant documents, collecting every problem before giving up.

Two passes:

1. *Shape*: walk the raw mapping against the model's type information (msgspec.inspect) and
   report unknown keys, missing keys, wrong types, unknown choices and out-of-range numbers,
   each with its key path. msgspec's own decoder stops at the first error; an admin fixing a
   file wants them all.
2. *Meaning*: every section whose shape is sound is converted to its typed model and
   checked for impossible combinations (a range whose minimum exceeds its maximum, a
   checkpoint after the end, a criterion missing the parameter its kind needs…). Checks
   across sections run when both sections are sound.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import msgspec
import msgspec.inspect as mi

from mentorhub.core.shape import Found, walk
from mentorhub.matching.criteria import Criterion, check_criteria
from mentorhub.schemes.calendar import add_period, check_jurisdiction
from mentorhub.schemes.errors import Problem, SchemeError
from mentorhub.schemes.forms import (
    check_checkpoint_form,
    check_feeds,
    check_form,
    check_repeated,
)
from mentorhub.schemes.rules import (
    AfterEachMeetingWhen,
    AgreedByPairCadence,
    Application,
    Checkpoint,
    CheckpointForm,
    CohortDuration,
    CohortMonthWhen,
    Eligibility,
    FirstBusinessDayWhen,
    FixedDuration,
    IntervalCadence,
    Matching,
    Meetings,
    OffsetWhen,
    Period,
    RangeDuration,
    Relationship,
    Reminders,
    Scheme,
    Space,
    TenantInfo,
)

__all__ = ["cohort_months", "parse_scheme", "parse_tenant"]


_SCHEME_HINTS = typing.get_type_hints(Scheme, include_extras=True)
_SCHEME_INFO = typing.cast(mi.StructType, mi.type_info(Scheme))
_TENANT_INFO = typing.cast(mi.StructType, mi.type_info(TenantInfo))

_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"
)
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


# --- pass 2: meaning -----------------------------------------------------------------------

# Reference start dates for "can this offset ever land after that end?": every month start
# and end of a leap and a common year, so that month clamping is covered.
_REFERENCE_DATES = tuple(
    d
    for year in (2023, 2024)
    for m in range(1, 13)
    for d in (date(year, m, 1), add_period(date(year, m, 1), months=1, days=-1))
)


def _later(a: Period | OffsetWhen, b_months: int) -> bool:
    """True when offset `a` can fall after `b_months` months from the same anchor."""
    months, weeks, days = (
        (a.offset_months, a.offset_weeks, a.offset_days)
        if isinstance(a, OffsetWhen)
        else (a.months, a.weeks, a.days)
    )
    return any(
        add_period(ref, months, weeks, days) > add_period(ref, b_months) for ref in _REFERENCE_DATES
    )


def _shorter(a: Period, b: Period) -> bool:
    """True when period `a` can be shorter than period `b` from the same date."""
    return any(
        add_period(ref, a.months, a.weeks, a.days) < add_period(ref, b.months, b.weeks, b.days)
        for ref in _REFERENCE_DATES
    )


def cohort_months(d: CohortDuration) -> list[int]:
    """The calendar months of a cohort window in order, e.g. Oct→Aug: [10, 11, 12, 1, …, 8]."""
    length = (d.end_month - d.start_month) % 12 + 1
    return [(d.start_month - 1 + i) % 12 + 1 for i in range(length)]


def _range(found: Found, path: str, lo: float | None, hi: float | None) -> None:
    if lo is not None and hi is not None and lo > hi:
        found.append((f"{path}.min", f"minimum {lo:g} exceeds maximum {hi:g}"))


def _base_months(d: FixedDuration | RangeDuration | CohortDuration) -> int | None:
    if isinstance(d, FixedDuration):
        return d.months
    if isinstance(d, RangeDuration):
        return d.max_months
    return None


def _check_duration(d: FixedDuration | RangeDuration | CohortDuration, found: Found) -> None:
    p = "scheme.duration"
    if isinstance(d, RangeDuration) and d.min_months > d.max_months:
        found.append(
            (f"{p}.min_months", f"minimum {d.min_months} exceeds max_months {d.max_months}")
        )
    base = _base_months(d)
    if isinstance(d, CohortDuration):
        if d.extension is not None:
            found.append((f"{p}.extension", "a cohort calendar window cannot be extended"))
        if d.monitoring_limit_months is not None:
            base = len(cohort_months(d))
    limit = d.monitoring_limit_months
    if base is not None and limit is not None and limit < base:
        found.append((
            f"{p}.monitoring_limit_months",
            f"{limit} is shorter than the relationship ({base} months)",
        ))
    if d.extension is not None and d.extension.max_total_months is not None and base is not None:
        cap = d.extension.max_total_months
        if cap <= base:
            found.append((
                f"{p}.extension.max_total_months",
                f"{cap} leaves no room to extend a {base}-month relationship",
            ))
        if d.monitoring_limit_months is not None and cap > d.monitoring_limit_months:
            found.append((
                f"{p}.extension.max_total_months",
                f"{cap} exceeds monitoring_limit_months ({d.monitoring_limit_months})",
            ))
    if d.typical_months is not None and limit is not None and d.typical_months > limit:
        found.append((f"{p}.typical_months", "exceeds monitoring_limit_months"))
    if isinstance(d, FixedDuration | RangeDuration) and d.programme_months is not None:
        shortest = d.months if isinstance(d, FixedDuration) else d.min_months
        if shortest > d.programme_months:
            found.append((
                f"{p}.programme_months",
                f"a {shortest}-month relationship cannot fit in a {d.programme_months}-month "
                "programme",
            ))


def _check_meetings(m: Meetings, found: Found) -> None:
    p = "scheme.meetings"
    c = m.cadence
    if isinstance(c, IntervalCadence):
        if c.every.months == c.every.weeks == c.every.days == 0:
            found.append((f"{p}.cadence.every", "must be longer than zero"))
        elif c.at_most is not None and _shorter(c.at_most, c.every):
            found.append((f"{p}.cadence.at_most", "must not be shorter than cadence.every"))
    for name in ("session_minutes", "sessions"):
        r = getattr(m, name)
        if r is not None:
            _range(found, f"{p}.{name}", r.min, r.max)
    if m.contact_hours is not None:
        _range(found, f"{p}.contact_hours", m.contact_hours.min, m.contact_hours.max)
    if m.sessions is not None and m.sessions.max == 0:
        found.append((f"{p}.sessions.max", "must be ≥ 1"))
    if isinstance(c, AgreedByPairCadence) and m.min_hours_per_interval is not None:
        found.append((
            f"{p}.min_hours_per_interval",
            "needs a cadence interval (the cadence is agreed by the pair)",
        ))
    if len(set(m.modes)) != len(m.modes):
        found.append((f"{p}.modes", "lists a mode twice"))


def _check_checkpoint(
    i: int, c: Checkpoint, duration: FixedDuration | RangeDuration | CohortDuration | None,
    found: Found,
) -> None:
    p = f"scheme.checkpoints[{i}]"
    w = c.when
    if len(set(c.readers)) != len(c.readers):
        found.append((f"{p}.readers", "lists a reader twice"))
    if isinstance(w, OffsetWhen) and duration is not None and not c.after_end:
        limit: int | None
        if w.anchor == "cohort_start":
            if isinstance(duration, CohortDuration):
                limit = len(cohort_months(duration))
            else:
                limit = duration.programme_months
        else:
            limit = _base_months(duration)
        if limit is not None and _later(w, limit):
            found.append((
                f"{p}.when",
                f"falls after the end of the relationship ({limit} months); set after_end = "
                "true if the scheme really places it there",
            ))
    if isinstance(w, CohortMonthWhen | FirstBusinessDayWhen):
        months = [w.month] if isinstance(w, CohortMonthWhen) else list(w.months)
        key = "month" if isinstance(w, CohortMonthWhen) else "months"
        if len(set(months)) != len(months):
            found.append((f"{p}.when.months", "lists a month twice"))
        if isinstance(duration, CohortDuration):
            window = cohort_months(duration)
            outside = [mo for mo in months if mo not in window]
            if outside and not c.after_end:
                found.append((
                    f"{p}.when.{key}",
                    f"month(s) {outside} fall outside the cohort window "
                    f"({duration.start_month}→{duration.end_month})",
                ))
        elif isinstance(w, CohortMonthWhen) and duration is not None:
            found.append((f"{p}.when", "a cohort month needs a cohort duration (kind = 'cohort')"))




def _check_done_in(i: int, c: Checkpoint, space: Space | None, found: Found) -> None:
    """A checkpoint done in the pair's space needs that part of the space: the plan, the
    agreement, or (a log entry written after the meeting) a checkpoint after each meeting.
    A coordinator's checkpoint is a task on their list, never done in the pair's space."""
    p = f"scheme.checkpoints[{i}].done_in"
    if c.done_in is None:
        return
    if c.audience == "coordinator":
        found.append((p, "a coordinator's checkpoint is a task on their list, not done in the "
                         "pair's space"))
    elif c.done_in == "plan" and space is not None and not space.plan:
        found.append((p, "'plan' needs the pair's plan (the months of [[scheme.space.plan]])"))
    elif c.done_in == "agreement" and space is not None and not space.agreement:
        found.append((p, "'agreement' needs the agreement's sections "
                         "([[scheme.space.agreement]])"))
    elif c.done_in == "log" and not isinstance(c.when, AfterEachMeetingWhen):
        found.append((p, "'log' is a log entry written after a meeting: it needs "
                         "when.kind = 'after_each_meeting'"))


#: The most days before or after the due date a reminder goes, and the longest quiet spell.
MAX_REMINDER_DAYS = 60
MAX_QUIET_DAYS = 365


def _check_reminders(r: Reminders, found: Found) -> None:
    p = "scheme.reminders"
    for key in ("before_due_days", "after_due_days"):
        days: tuple[int, ...] = getattr(r, key)
        if len(set(days)) != len(days):
            found.append((f"{p}.{key}", "lists a day twice"))
        for j, d in enumerate(days):
            if d > MAX_REMINDER_DAYS:
                found.append((f"{p}.{key}[{j}]", f"must be ≤ {MAX_REMINDER_DAYS}"))
    if r.quiet.after_days is not None and r.quiet.after_days > MAX_QUIET_DAYS:
        found.append((f"{p}.quiet.after_days", f"must be ≤ {MAX_QUIET_DAYS}"))


_QUESTION = re.compile(r"^scheme\.checkpoint_forms\[\d+\]\.questions\[(\d+)\]")


def _check_checkpoint_forms(
    raw_forms: Any,
    checkpoints: dict[str, tuple[int, Checkpoint | None]],
    convert: Callable[[Any, Any], Any],
    found: Found,
) -> None:
    """Each checkpoint form on its own, then against the checkpoints: it names one (whose
    shape is sound, else that checkpoint's own problems are reported), a checkpoint has at
    most one form, is not the coordinator's, and is not also done in the pair's space; a
    question repeated in two forms is asked the same way. `checkpoints`: id → (index, the
    checkpoint or None when its shape is unsound)."""
    if not isinstance(raw_forms, list):
        return
    sound: list[tuple[int, CheckpointForm]] = []
    flawed: set[tuple[int, int]] = set()
    first: dict[str, int] = {}
    for i, raw in enumerate(raw_forms):
        form = convert(raw, CheckpointForm)
        if form is None:
            continue
        sound.append((i, form))
        p = f"scheme.checkpoint_forms[{i}]"
        own = check_checkpoint_form(form, p)
        found.extend(own)
        flawed |= {(i, int(m.group(1))) for path, _ in own if (m := _QUESTION.match(path))}
        cid = form.checkpoint
        if cid not in checkpoints:
            known = ", ".join(repr(k) for k in checkpoints) or "none"
            found.append((f"{p}.checkpoint", f"{cid!r} is not a checkpoint of this scheme "
                                             f"(checkpoints: {known})"))
            continue
        if cid in first:
            found.append((f"{p}.checkpoint", f"{cid!r} already has a form "
                                             f"(checkpoint_forms[{first[cid]}])"))
            continue
        first[cid] = i
        j, cp = checkpoints[cid]
        if cp is None:
            continue
        if cp.audience == "coordinator":
            found.append((f"{p}.checkpoint", f"{cid!r} is the coordinator's (audience = "
                                             "'coordinator'): a task on their list, not a form"))
        if cp.done_in is not None:
            found.append((f"scheme.checkpoints[{j}].done_in", f"the checkpoint also has a form "
                          f"(checkpoint_forms[{i}]): it is done in the pair's {cp.done_in} or "
                          "answered in its form, not both"))
    found.extend(check_repeated(sound, "scheme.checkpoint_forms", flawed=flawed))


def _check_matching(m: Matching, criteria: list[tuple[int, Criterion]], found: Found) -> None:
    """`criteria`: the (index, criterion) pairs whose shape is sound."""
    p = "scheme.matching"
    if m.flow == "suggest_and_accept" and m.top_n is None:
        found.append((f"{p}.top_n", "required for flow 'suggest_and_accept'"))
    if m.flow != "suggest_and_accept" and m.top_n is not None:
        found.append((f"{p}.top_n", "only used by flow 'suggest_and_accept'"))
    if m.flow != "suggest_and_accept" and (m.mentee_sees or m.mentor_sees_mentee_reasons):
        found.append((f"{p}.flow", "mentee_sees / mentor_sees_mentee_reasons need "
                                   "flow 'suggest_and_accept'"))
    if (
        m.capacity_default is not None
        and m.capacity_recommended_max is not None
        and m.capacity_default > m.capacity_recommended_max
    ):
        found.append((f"{p}.capacity_default", "exceeds capacity_recommended_max"))
    found.extend(check_criteria(criteria, f"{p}.criteria"))


def _check_application(a: Application, found: Found) -> None:
    p = "scheme.application"
    for name in ("line_manager_signature", "shortlist"):
        roles = getattr(a, name)
        if len(set(roles)) != len(roles):
            found.append((f"{p}.{name}", "lists a role twice"))
    roles = [w.role for w in a.recruitment_windows]
    for i, role in enumerate(roles):
        if role in roles[:i]:
            found.append((f"{p}.recruitment_windows[{i}].role", f"a second window for {role}s"))
    if a.interview is not None and len(set(a.interview.roles)) != len(a.interview.roles):
        found.append((f"{p}.interview.roles", "lists a role twice"))
    t = a.training
    if t is not None:
        if len(set(t.roles)) != len(t.roles):
            found.append((f"{p}.training.roles", "lists a role twice"))
        if t.format == "joint" and set(t.roles) != {"mentor", "mentee"}:
            found.append((f"{p}.training.roles", "joint training needs both mentors and mentees"))


def _check_eligibility(e: Eligibility, found: Found) -> None:
    p = "scheme.eligibility"
    if e.open_to == "members" and not e.membership.required:
        found.append((f"{p}.membership.required", "must be true when open_to = 'members'"))
    if e.open_to == "everyone" and e.membership.required:
        found.append((f"{p}.membership.required", "contradicts open_to = 'everyone'"))
    if not e.membership.required and (
        e.membership.good_standing or e.membership.kept_for_whole_relationship
    ):
        found.append((f"{p}.membership", "membership rules need membership.required = true"))


def _check_relationship(r: Relationship, found: Found) -> None:
    if r.goals is not None:
        _range(found, "scheme.relationship.goals", r.goals.min, r.goals.max)


def _check_space(
    space: Space, duration: Any, relationship: Relationship | None, found: Found
) -> None:
    """The pair's space: unique agreement keys and plan months, plan months inside a cohort
    window and in its order, an agreement when the scheme asks for one at the start."""
    p = "scheme.space"
    keys: dict[str, int] = {}
    for i, section in enumerate(space.agreement):
        if section.key in keys:
            found.append((
                f"{p}.agreement[{i}].key",
                f"{section.key!r} is already used by agreement[{keys[section.key]}]",
            ))
        keys.setdefault(section.key, i)
    months: dict[int, int] = {}
    for i, month in enumerate(space.plan):
        if month.month in months:
            found.append((
                f"{p}.plan[{i}].month",
                f"month {month.month} is already planned by plan[{months[month.month]}]",
            ))
        months.setdefault(month.month, i)
    if isinstance(duration, CohortDuration) and space.plan:
        window = cohort_months(duration)
        outside = [i for i, m in enumerate(space.plan) if m.month not in window]
        for i in outside:
            found.append((
                f"{p}.plan[{i}].month",
                f"month {space.plan[i].month} is outside the cohort "
                f"({duration.start_month} to {duration.end_month})",
            ))
        order = [window.index(m.month) for m in space.plan if m.month in window]
        if not outside and order != sorted(order):
            found.append((f"{p}.plan", "months must follow the cohort's order"))
    if len(set(space.documents.types)) != len(space.documents.types):
        found.append((f"{p}.documents.types", "lists a type twice"))
    if relationship is not None and relationship.agreement_at_start and not space.agreement:
        found.append((
            f"{p}.agreement",
            "relationship.agreement_at_start needs the agreement's sections",
        ))


def _check_forms(
    typed: Callable[[str], Any],
    criteria: list[tuple[int, Criterion]],
    bad: list[str],
    meaning: Found,
    found: Found,
) -> None:
    """The forms, against the scheme's exclusions, line-manager approval and criteria.

    Skipped when the sections they are checked against are unsound (their own problems are
    reported); the drift check reads only criteria without problems of their own, and only
    when the forms' shape is sound (a pruned question would look like a missing one)."""
    forms, eligibility, application = typed("forms"), typed("eligibility"), typed("application")
    if forms is None or eligibility is None or application is None:
        return
    for role, form in forms.declared():
        found.extend(check_form(
            form, role, exclusions=eligibility.exclusions,
            approval=role in application.line_manager_signature,
        ))
    if any(_under(b, "scheme.forms") or _under(b, "scheme.matching") for b in bad):
        return
    flawed = {
        i for i, _ in criteria
        if any(_under(path, f"scheme.matching.criteria[{i}]") for path, _ in meaning)
    }
    sound = [(i, c) for i, c in criteria if i not in flawed]
    matching = typed("matching")
    capacity_declared = bool(matching is not None and matching.capacity_declared)
    found.extend(check_feeds(
        forms, sound, "scheme.matching.criteria", capacity_declared=capacity_declared
    ))


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "[")


_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _tokens(path: str) -> list[str | int]:
    """"scheme.checkpoints[2].when" → ["scheme", "checkpoints", 2, "when"]."""
    return [name if name else int(index) for name, index in _TOKEN.findall(path)]


def _pruned(data: dict[str, Any], bad: Iterable[str]) -> dict[str, Any]:
    """A deep copy of `data` without the table keys that have shape problems, so the rest of
    a section can still be checked for meaning (an unknown key in [scheme.duration] must not
    hide a checkpoint that falls after the end)."""
    copy: dict[str, Any] = msgspec.convert(msgspec.to_builtins(data), dict[str, Any])
    for path in bad:
        tokens = _tokens(path)[1:]
        node: Any = copy
        for token in tokens[:-1]:
            try:
                node = node[token]
            except (KeyError, IndexError, TypeError):
                node = None
                break
        if isinstance(node, dict) and tokens and isinstance(tokens[-1], str):
            node.pop(tokens[-1], None)
    return copy


def _scheme_found(data: Any) -> Found:
    found: Found = []
    walk(data, _SCHEME_INFO, "scheme", found)
    if not isinstance(data, dict):
        return found
    bad = [p for p, _ in found]
    shape_problems = len(found)
    clean = _pruned(data, bad) if bad else data

    def convert(value: Any, type_: Any) -> Any:
        try:
            return msgspec.convert(value, type_)
        except msgspec.ValidationError:
            return None  # a required key had a shape problem: already reported

    def typed(name: str) -> Any:
        field = next(f for f in _SCHEME_INFO.fields if f.name == name)
        if name not in clean:
            if field.default_factory is not msgspec.NODEFAULT:
                return field.default_factory()
            return None if field.required else field.default
        return convert(clean[name], _SCHEME_HINTS[name])

    duration = typed("duration")
    checks: list[tuple[Any, Callable[[Any, Found], None]]] = [
        (duration, _check_duration),
        (typed("meetings"), _check_meetings),
        (typed("application"), _check_application),
        (typed("eligibility"), _check_eligibility),
        (typed("relationship"), _check_relationship),
    ]
    for obj, check in checks:
        if obj is not None:
            check(obj, found)
    # Matching criteria one by one, so that one malformed criterion does not hide the others.
    raw_matching = clean.get("matching")
    criteria: list[tuple[int, Criterion]] = []
    if isinstance(raw_matching, dict):
        raw_criteria = raw_matching.get("criteria", [])
        matching = convert({**raw_matching, "criteria": []}, Matching)
        criteria = [
            (i, c)
            for i, r in enumerate(raw_criteria if isinstance(raw_criteria, list) else [])
            if (c := convert(r, Criterion)) is not None
        ]
        if matching is not None:
            _check_matching(matching, criteria, found)
    space = typed("space")
    raw_checkpoints = clean.get("checkpoints", [])
    # id → (index, checkpoint or None when unsound), the first of each id.
    checkpoints: dict[str, tuple[int, Checkpoint | None]] = {}
    if isinstance(raw_checkpoints, list):
        ids: dict[str, int] = {}
        for i, raw in enumerate(raw_checkpoints):
            cp = convert(raw, Checkpoint)
            if cp is None:
                continue
            if cp.id in ids:
                found.append((
                    f"scheme.checkpoints[{i}].id",
                    f"{cp.id!r} is already used by checkpoints[{ids[cp.id]}]",
                ))
            ids.setdefault(cp.id, i)
            checkpoints.setdefault(cp.id, (i, cp))
            _check_checkpoint(i, cp, duration, found)
            _check_done_in(i, cp, space, found)
    # A checkpoint whose shape is unsound (its id too) still exists for the forms naming it.
    original = data.get("checkpoints")
    for i, raw in enumerate(original if isinstance(original, list) else []):
        if isinstance(raw, dict) and isinstance(raw.get("id"), str):
            checkpoints.setdefault(raw["id"], (i, None))
    if space is not None:
        _check_space(space, duration, typed("relationship"), found)
    reminders = typed("reminders")
    if reminders is not None:
        _check_reminders(reminders, found)
    _check_checkpoint_forms(clean.get("checkpoint_forms", []), checkpoints, convert, found)
    _check_forms(typed, criteria, bad, found[shape_problems:], found)
    # A meaning problem about a key whose shape was already wrong is noise (it was pruned).
    return found[:shape_problems] + [
        (path, message)
        for path, message in found[shape_problems:]
        if not any(_under(path, b) for b in bad)
    ]


def _problems(source: str, found: Iterable[tuple[str, str]]) -> list[Problem]:
    return [Problem(file=source, path=path, message=message) for path, message in found]


def parse_scheme(data: Any, source: str) -> Scheme:
    """Validate the `[scheme]` table (as parsed from TOML) and return the typed scheme.

    Raises :class:`SchemeError` listing every problem, each naming `source`, the key path
    (``scheme.checkpoints[2].when.offset_months``) and what is wrong.
    """
    found = _scheme_found(data)
    if found:
        raise SchemeError(_problems(source, found))
    return msgspec.convert(data, Scheme)


def _tenant_found(data: Any, expected_slug: str | None) -> Found:
    found: Found = []
    walk(data, _TENANT_INFO, "tenant", found)
    if found or not isinstance(data, dict):
        return found
    info = msgspec.convert(data, TenantInfo)
    if not _SLUG.match(info.slug):
        found.append(("tenant.slug", f"{info.slug!r} must be lower-case words joined by hyphens"))
    elif expected_slug is not None and info.slug != expected_slug:
        found.append(("tenant.slug", f"{info.slug!r} does not match the file name "
                                     f"({expected_slug}.toml)"))
    if not info.hostnames:
        found.append(("tenant.hostnames", "must list at least one hostname"))
    for i, host in enumerate(info.hostnames):
        if not _HOSTNAME.match(host):
            found.append((f"tenant.hostnames[{i}]", f"{host!r} is not a lower-case hostname"))
    if (problem := check_jurisdiction(info.jurisdiction)) is not None:
        found.append(("tenant.jurisdiction", problem))
    for key in ("primary_color", "accent_color"):
        if not _HEX_COLOUR.match(getattr(info.branding, key)):
            found.append((f"tenant.branding.{key}", "must be a colour like #1f4e79"))
    return found


def parse_tenant(data: Any, source: str, *, expected_slug: str | None = None) -> TenantInfo:
    """Validate the `[tenant]` table and return it (the platform loads tenants through this)."""
    found = _tenant_found(data, expected_slug)
    if found:
        raise SchemeError(_problems(source, found))
    return msgspec.convert(data, TenantInfo)
