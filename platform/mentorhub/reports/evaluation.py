"""The evaluation report of one cohort, built from the data (issue 17, point 2), and the
cohort's answers one row each for the responses download.

What it holds, section by section (the Museums Association's evaluation report is the
model): applicants per role by outcome; who took part (the accepted applicants' answers to
the application forms' choice questions: how they work in museums, career stage, region…);
participation and completion (pairs by state and how they ended); meetings held and contact
hours (totals, per pair, pairs reaching the scheme's contact hours); goals by status
("achieved or partly achieved"); every checkpoint form's questions aggregated (choice,
yes/no, rating, Likert statement by statement, number); the change from the first form to
the last that ask the same question id (MA's baseline questionnaire and final survey); and
what people wrote, only where they gave their permission to share
(`checkpoint_items.share_permission`, set by a form's permission question), without names.

How: a handful of set-based statements per report, whatever the cohort's size — one
grouped statement each for the applications, the accepted applicants' answers, the pairs,
the meetings (per pair in a subquery, then summed), the goals, the checkpoint answers
(`jsonb_each` and, for a list, `jsonb_array_elements` with its position), the respondents,
one per repeated question (the two forms' items joined on the pair and the person), and the
quotes (ranked per question, at most `QUOTES_PER_QUESTION`). Nothing is read per pair.
Every statement runs in the tenant's transaction (row-level security) and names the tenant
in its WHERE clause too (the planner's index prefix).

Decisions where the issue is silent:

* The forms are the cohort's scheme version's (the version its pairs run under); answers
  to questions that version does not ask are left out.
* The cohort is "under the minimum group size" when it has fewer pairs than it: then the
  report is only that sentence. Every other group (a role's applicants, a form's
  respondents, the people who answered a question twice) is suppressed on its own
  (`reports.aggregate`).
* Quotes: only from a form with at least the minimum group size of respondents (a quote
  from a form three people answered points at one of three), at most
  `QUOTES_PER_QUESTION` per question, in a stable order that is not the order of sending
  (a hash of the item), so that nobody can line a quote up with the people they know sent
  early or late.
* Eligibility declarations (a yes/no question that `excludes`) are not in "who took part":
  every accepted applicant answered them no.
* Meetings: held meetings; their length is the recorded one, else the planned one.
* The responses download's pseudonym is an HMAC of the person (the pair for a pair item)
  keyed by the caller's secret and the cohort: stable within the cohort's report, never a
  name or an id, and not computable from ids without the server's secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from mentorhub.applications.models import Cohort
from mentorhub.applications.services import scheme_of
from mentorhub.db.access import get_in_tenant
from mentorhub.db.session import current_tenant
from mentorhub.reports.aggregate import (
    MIN_GROUP,
    Change,
    Figure,
    Table,
    change,
    count_figure,
    percent,
    suppressed_words,
    table,
)
from mentorhub.schemes.forms import Form, Question
from mentorhub.schemes.rules import Scheme

__all__ = [
    "AGGREGATED",
    "QUOTES_PER_QUESTION",
    "RESPONSE_HEADER",
    "CohortRow",
    "QuoteGroup",
    "Report",
    "Section",
    "build_report",
    "cohort_respondents",
    "cohort_rows",
    "response_rows",
]

#: The question kinds counted (free text is quoted instead, with permission).
AGGREGATED = ("single_choice", "multiple_choice", "yes_no", "rating", "likert", "number")
TEXT_KINDS = ("text", "long_text")
QUOTES_PER_QUESTION = 20
SENT = ("submitted", "reviewed")

OUTCOMES: tuple[tuple[str, str], ...] = (
    ("accepted", "Accepted"),
    ("waitlisted", "Waiting list"),
    ("unsuccessful", "Unsuccessful"),
    ("ineligible", "Not eligible"),
    ("withdrawn", "Withdrawn"),
    ("in_progress", "Still being decided"),
)
PAIR_OUTCOMES: tuple[tuple[str, str], ...] = (
    ("completed", "Completed"),
    ("ended_early", "Ended early"),
    ("removed", "Removed by the coordinator"),
    ("active", "Still meeting"),
    ("extended", "Still meeting, extended"),
)
GOAL_WORDS: tuple[tuple[str, str], ...] = (
    ("achieved", "Achieved"),
    ("partly", "Partly achieved"),
    ("in_progress", "In progress"),
    ("not_started", "Not started"),
    ("dropped", "Dropped"),
)
ROLE_WORDS = {"mentor": "Mentors", "mentee": "Mentees"}
AUDIENCE_WORDS = {
    "pair": "each pair, together",
    "each": "each person",
    "mentor": "mentors",
    "mentee": "mentees",
    "coordinator": "the coordinator",
}


@dataclass(frozen=True)
class QuoteGroup:
    """What people wrote to one question, with their permission, without names."""

    question: str
    quotes: tuple[str, ...]
    suppressed: bool = False


@dataclass(frozen=True)
class Section:
    """One part of the report: headline figures, tables, changes and quotes."""

    key: str
    title: str
    intro: str = ""
    figures: tuple[Figure, ...] = ()
    tables: tuple[Table, ...] = ()
    changes: tuple[Change, ...] = ()
    quotes: tuple[QuoteGroup, ...] = ()
    #: The whole section's group is too small (the words say so).
    suppressed: bool = False


@dataclass(frozen=True)
class Report:
    cohort_id: uuid.UUID
    cohort_name: str
    scheme_name: str
    starts_on: date
    ends_on: date
    today: date
    min_group: int
    pairs: int
    #: Fewer pairs than the minimum group size: the report is only that.
    suppressed: bool
    sections: tuple[Section, ...] = field(default=())

    @property
    def suppressed_words(self) -> str:
        return suppressed_words(self.min_group)


def _one(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def _params(session: AsyncSession, cohort_id: uuid.UUID, **more: Any) -> dict[str, Any]:
    return {"t": current_tenant(session), "c": cohort_id, **more}


async def _rows(session: AsyncSession, sql: str, params: dict[str, Any]) -> list[Any]:
    return list((await session.execute(text(sql), params)).all())


# --- applications ---------------------------------------------------------------------------

_APPLICATIONS = """
SELECT role, state, count(*) FROM applications
WHERE tenant_id = :t AND cohort_id = :c AND state <> 'draft'
GROUP BY 1, 2
"""

_ANSWER_VALUES = """
SELECT a.role, kv.key, COALESCE(el.value, kv.value)::text AS v, count(*) AS n
FROM applications a
CROSS JOIN LATERAL jsonb_each(a.answers) AS kv(key, value)
LEFT JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(kv.value) = 'array' THEN kv.value ELSE '[]'::jsonb END
) AS el(value) ON true
WHERE a.tenant_id = :t AND a.cohort_id = :c AND a.state = 'accepted' AND kv.key = ANY(:keys)
GROUP BY 1, 2, 3
"""

_ANSWERED = """
SELECT a.role, kv.key, count(*) FROM applications a
CROSS JOIN LATERAL jsonb_each(a.answers) AS kv(key, value)
WHERE a.tenant_id = :t AND a.cohort_id = :c AND a.state = 'accepted' AND kv.key = ANY(:keys)
  AND kv.value NOT IN ('null'::jsonb, '[]'::jsonb, '""'::jsonb)
GROUP BY 1, 2
"""


def _labels(q: Question) -> list[tuple[Any, str]]:
    if q.kind == "yes_no":
        return [(True, "Yes"), (False, "No")]
    if q.kind == "rating":
        low = int(q.min) if q.min is not None else 1
        high = int(q.max) if q.max is not None else 5
        out: list[tuple[Any, str]] = []
        for n in range(low, high + 1):
            words = q.low_label if n == low else q.high_label if n == high else ""
            out.append((n, f"{n} ({words})" if words else str(n)))
        return out
    return [(o, o) for o in q.options]


def _scale(q: Question) -> list[tuple[Any, str]]:
    """The answers in the order of the scale (for a change: no before yes)."""
    labels = _labels(q)
    return list(reversed(labels)) if q.kind == "yes_no" else labels


def _app_questions(scheme: Scheme) -> list[tuple[str, Question]]:
    out: list[tuple[str, Question]] = []
    for role, form in scheme.forms.declared():
        for q in form.questions:
            if q.kind in ("single_choice", "multiple_choice", "yes_no") and not q.excludes:
                out.append((role, q))
    return out


async def _applicants(session: AsyncSession, cohort_id: uuid.UUID, m: int) -> Section:
    found = await _rows(session, _APPLICATIONS, _params(session, cohort_id))
    by_role: dict[str, dict[str, int]] = {}
    for role, state, n in found:
        key = state if state in dict(OUTCOMES) else "in_progress"
        counts = by_role.setdefault(role, {})
        counts[key] = counts.get(key, 0) + int(n)
    figures = []
    tables = []
    for role in ("mentor", "mentee"):
        counts = by_role.get(role, {})
        total = sum(counts.values())
        figures.append(count_figure(f"{ROLE_WORDS[role]} who applied", f"{total:,}", total, m))
        tables.append(
            table(
                f"{ROLE_WORDS[role]}' applications by outcome",
                OUTCOMES,
                counts,
                total,
                min_group=m,
                group=ROLE_WORDS[role],
            )
        )
    everyone = sum(sum(c.values()) for c in by_role.values())
    return Section(
        "applicants",
        "Applicants",
        "Every application sent in for this cohort (drafts are not counted), by its outcome.",
        figures=(count_figure("Applications", f"{everyone:,}", everyone, m), *figures),
        tables=tuple(tables),
    )


async def _participants(
    session: AsyncSession, cohort_id: uuid.UUID, scheme: Scheme, m: int
) -> Section:
    questions = _app_questions(scheme)
    keys = sorted({q.id for _, q in questions})
    params = _params(session, cohort_id, keys=keys)
    values: dict[tuple[str, str], dict[Any, int]] = {}
    for role, key, v, n in await _rows(session, _ANSWER_VALUES, params):
        answer = _one(v)
        if isinstance(answer, list):
            continue  # an empty list: nothing chosen
        bucket = values.setdefault((role, key), {})
        bucket[answer] = bucket.get(answer, 0) + int(n)
    # respondents: a single answer's are its counts' sum; a multiple choice's are counted
    answered = {key: sum(bucket.values()) for key, bucket in values.items()}
    several = sorted({q.id for _, q in questions if q.kind == "multiple_choice"})
    if several:
        counted = await _rows(session, _ANSWERED, _params(session, cohort_id, keys=several))
        answered.update({(role, key): int(n) for role, key, n in counted})
    tables = [
        table(
            q.label,
            _labels(q),
            values.get((role, q.id), {}),
            answered.get((role, q.id), 0),
            min_group=m,
            several=q.kind == "multiple_choice",
            group=ROLE_WORDS[role],
        )
        for role, q in questions
    ]
    return Section(
        "participants",
        "Who took part",
        "The accepted applicants' answers to the application forms' choice questions.",
        tables=tuple(tables),
    )


# --- pairs, meetings, goals -----------------------------------------------------------------

_PAIRS = """
SELECT state, end_kind, count(*) FROM pairs WHERE tenant_id = :t AND cohort_id = :c
GROUP BY 1, 2
"""

_MEETINGS = """
SELECT count(*), COALESCE(sum(held), 0), COALESCE(sum(minutes), 0),
       count(*) FILTER (WHERE minutes >= :need)
FROM (
    SELECT m.pair_id, count(*) AS held, sum(COALESCE(m.held_minutes, m.minutes)) AS minutes
    FROM meetings m JOIN pairs p ON p.tenant_id = m.tenant_id AND p.id = m.pair_id
    WHERE m.tenant_id = :t AND p.tenant_id = :t AND p.cohort_id = :c AND m.state = 'held'
    GROUP BY m.pair_id
) AS per_pair
"""

_GOALS = """
SELECT g.status, count(*) FROM pair_goals g
JOIN pairs p ON p.tenant_id = g.tenant_id AND p.id = g.pair_id
WHERE g.tenant_id = :t AND p.tenant_id = :t AND p.cohort_id = :c
GROUP BY 1
"""


async def _pair_counts(session: AsyncSession, cohort_id: uuid.UUID) -> dict[str, int]:
    counts: dict[str, int] = {}
    for state, end_kind, n in await _rows(session, _PAIRS, _params(session, cohort_id)):
        key = end_kind if state == "ended" and end_kind else state
        counts[key] = counts.get(key, 0) + int(n)
    return counts


def _participation(counts: dict[str, int], m: int) -> Section:
    pairs = sum(counts.values())
    ended = sum(counts.get(k, 0) for k in ("completed", "ended_early", "removed"))
    completed = counts.get("completed", 0)
    return Section(
        "participation",
        "Participation and completion",
        "The cohort's pairs: still meeting, or how their relationship ended.",
        figures=(
            count_figure("Pairs", f"{pairs:,}", pairs, m),
            count_figure("Pairs completed", f"{completed:,}", pairs, m),
            count_figure(
                "Completed, of the pairs that have ended",
                f"{percent(completed, ended):g} %" if ended else "none ended yet",
                pairs,
                m,
            ),
        ),
        tables=(table("Pairs by outcome", PAIR_OUTCOMES, counts, pairs, min_group=m),),
    )


def _hours(minutes: int) -> str:
    return f"{minutes / 60:,.1f}"


async def _meetings(
    session: AsyncSession, cohort_id: uuid.UUID, scheme: Scheme, pairs: int, m: int
) -> Section:
    wanted = scheme.meetings.contact_hours
    need = int(wanted.min * 60) if wanted is not None and wanted.min is not None else 0
    row = (await _rows(session, _MEETINGS, _params(session, cohort_id, need=need)))[0]
    met, held, minutes, reached = (int(v) for v in row)
    figures = [
        count_figure("Meetings held", f"{held:,}", pairs, m),
        count_figure(
            "Average meetings per pair", f"{held / pairs:.1f}" if pairs else "0", pairs, m
        ),
        count_figure("Contact hours in total", _hours(minutes), pairs, m),
        count_figure(
            "Average contact hours per pair",
            f"{minutes / 60 / pairs:.1f}" if pairs else "0",
            pairs,
            m,
        ),
        count_figure("Pairs that held at least one meeting", f"{met:,}", pairs, m),
    ]
    if need:
        assert wanted is not None and wanted.min is not None
        figures.append(
            count_figure(
                f"Pairs reaching {wanted.min:g} hours of contact (the scheme's expectation)",
                f"{reached:,} ({percent(reached, pairs):g} %)",
                pairs,
                m,
            )
        )
    return Section(
        "meetings",
        "Meetings and contact hours",
        "Meetings recorded as held; their length as recorded (else as planned). Averages are "
        "over all the cohort's pairs.",
        figures=tuple(figures),
    )


async def _goals(session: AsyncSession, cohort_id: uuid.UUID, m: int) -> Section:
    counts = {
        status: int(n) for status, n in await _rows(session, _GOALS, _params(session, cohort_id))
    }
    total = sum(counts.values())
    done = counts.get("achieved", 0) + counts.get("partly", 0)
    return Section(
        "goals",
        "Development goals",
        "The pairs' goals by their status at the time of the report.",
        figures=(
            count_figure("Goals set", f"{total:,}", total, m),
            count_figure("Achieved or partly achieved", f"{percent(done, total):g} %", total, m),
        ),
        tables=(table("Goals by status", GOAL_WORDS, counts, total, min_group=m),),
    )


# --- checkpoint forms -----------------------------------------------------------------------

_FORM_RESPONDENTS = """
SELECT i.checkpoint, count(*) FROM checkpoint_items i
JOIN pairs p ON p.tenant_id = i.tenant_id AND p.id = i.pair_id
WHERE i.tenant_id = :t AND p.tenant_id = :t AND p.cohort_id = :c
  AND i.state IN ('submitted', 'reviewed')
GROUP BY 1
"""

_ITEM_VALUES = """
SELECT i.checkpoint, kv.key,
       CASE WHEN jsonb_typeof(kv.value) = 'array' THEN el.ord - 1 ELSE 0 END AS row,
       COALESCE(el.value, kv.value)::text AS v, count(*) AS n
FROM checkpoint_items i
JOIN pairs p ON p.tenant_id = i.tenant_id AND p.id = i.pair_id
CROSS JOIN LATERAL jsonb_each(i.answers) AS kv(key, value)
LEFT JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(kv.value) = 'array' THEN kv.value ELSE '[]'::jsonb END
) WITH ORDINALITY AS el(value, ord) ON true
WHERE i.tenant_id = :t AND p.tenant_id = :t AND p.cohort_id = :c
  AND i.state IN ('submitted', 'reviewed') AND kv.key = ANY(:keys)
GROUP BY 1, 2, 3, 4
"""

_ITEM_ANSWERED = """
SELECT i.checkpoint, kv.key, count(*) FROM checkpoint_items i
JOIN pairs p ON p.tenant_id = i.tenant_id AND p.id = i.pair_id
CROSS JOIN LATERAL jsonb_each(i.answers) AS kv(key, value)
WHERE i.tenant_id = :t AND p.tenant_id = :t AND p.cohort_id = :c
  AND i.state IN ('submitted', 'reviewed') AND kv.key = ANY(:keys)
  AND kv.value NOT IN ('null'::jsonb, '[]'::jsonb, '""'::jsonb)
GROUP BY 1, 2
"""

_QUOTES = """
SELECT checkpoint, key, words FROM (
    SELECT i.checkpoint, kv.key, kv.value #>> '{}' AS words,
           row_number() OVER (
               PARTITION BY i.checkpoint, kv.key ORDER BY md5(i.id::text || kv.key)
           ) AS n
    FROM checkpoint_items i
    JOIN pairs p ON p.tenant_id = i.tenant_id AND p.id = i.pair_id
    CROSS JOIN LATERAL jsonb_each(i.answers) AS kv(key, value)
    WHERE i.tenant_id = :t AND p.tenant_id = :t AND p.cohort_id = :c
      AND i.state IN ('submitted', 'reviewed') AND i.share_permission
      AND kv.key = ANY(:keys) AND jsonb_typeof(kv.value) = 'string'
      AND btrim(kv.value #>> '{}') <> ''
) AS ranked
WHERE n <= :per
ORDER BY checkpoint, key, n
"""

_CHANGE = """
SELECT g.n,
       (CASE WHEN jsonb_typeof(a.answers -> :key) = 'array' THEN a.answers -> :key -> g.n
             ELSE a.answers -> :key END)::text AS before,
       (CASE WHEN jsonb_typeof(b.answers -> :key) = 'array' THEN b.answers -> :key -> g.n
             ELSE b.answers -> :key END)::text AS after,
       count(*)
FROM checkpoint_items a
JOIN pairs p ON p.tenant_id = a.tenant_id AND p.id = a.pair_id
JOIN checkpoint_items b ON b.tenant_id = a.tenant_id AND b.pair_id = a.pair_id
     AND b.member_id IS NOT DISTINCT FROM a.member_id
CROSS JOIN generate_series(0, :rows - 1) AS g(n)
WHERE a.tenant_id = :t AND p.tenant_id = :t AND p.cohort_id = :c
  AND a.checkpoint = :first AND b.checkpoint = :last
  AND a.state IN ('submitted', 'reviewed') AND b.state IN ('submitted', 'reviewed')
GROUP BY 1, 2, 3
"""


def _forms(scheme: Scheme) -> list[tuple[str, str, str, Form]]:
    """(checkpoint id, title, audience, form) in the scheme's order of checkpoints."""
    titles = {c.id: (c.title, c.audience) for c in scheme.checkpoints}
    out: list[tuple[str, str, str, Form]] = []
    for c in scheme.checkpoints:
        form = scheme.checkpoint_form(c.id)
        if form is not None and c.done_in is None:
            out.append((c.id, titles[c.id][0], titles[c.id][1], form))
    return out


def _likert_mean_words(q: Question) -> str:
    return f"on a 1–{len(q.options)} scale ({q.options[0]} = 1, {q.options[-1]} = {len(q.options)})"


def _question_tables(
    q: Question,
    values: dict[tuple[int, Any], int],
    answered: int,
    m: int,
) -> list[Table]:
    if q.kind == "likert":
        out = []
        for r, statement in enumerate(q.rows):
            counts = {v: n for (row, v), n in values.items() if row == r}
            out.append(
                table(
                    statement,
                    _labels(q),
                    counts,
                    sum(n for v, n in counts.items() if v in q.options),
                    min_group=m,
                    mean_scale=list(q.options),
                    mean_words=_likert_mean_words(q),
                    group=q.label,
                    grid=True,
                )
            )
        return out
    totals: dict[Any, int] = {}
    for (_, v), n in values.items():
        totals[v] = totals.get(v, 0) + n
    if q.kind == "number":
        labels = [(v, f"{v:g}") for v in sorted(v for v in totals if isinstance(v, (int, float)))]
        scale: list[Any] | None = [v for v, _ in labels]
        words = "of the numbers given"
    else:
        labels = _labels(q)
        scale = [v for v, _ in labels] if q.kind == "rating" else None
        words = "on the rating's scale" if q.kind == "rating" else ""
    return [
        table(
            q.label,
            labels,
            totals,
            answered,
            min_group=m,
            mean_scale=scale,
            mean_words=words,
            several=q.kind == "multiple_choice",
        )
    ]


async def _form_sections(
    session: AsyncSession, cohort_id: uuid.UUID, scheme: Scheme, m: int
) -> list[Section]:
    forms = _forms(scheme)
    if not forms:
        return []
    counted = {(cp, q.id) for cp, _, _, f in forms for q in f.questions if q.kind in AGGREGATED}
    quoted = {
        (cp, q.id)
        for cp, _, _, f in forms
        for q in f.questions
        if q.kind in TEXT_KINDS and not q.permission
    }
    keys = sorted({k for _, k in counted})
    params = _params(session, cohort_id, keys=keys)
    sent = {cp: int(n) for cp, n in await _rows(session, _FORM_RESPONDENTS, params)}
    values: dict[tuple[str, str], dict[tuple[int, Any], int]] = {}
    for cp, key, row, v, n in await _rows(session, _ITEM_VALUES, params):
        if (cp, key) not in counted:
            continue
        answer = _one(v)
        if answer is None or isinstance(answer, list):
            continue
        bucket = values.setdefault((cp, key), {})
        bucket[(int(row), answer)] = bucket.get((int(row), answer), 0) + int(n)
    # respondents: a single answer's are its counts' sum; a multiple choice's are counted
    answered = {key: sum(bucket.values()) for key, bucket in values.items()}
    several = sorted(
        {q.id for _, _, _, f in forms for q in f.questions if q.kind == "multiple_choice"}
    )
    if several:
        counted_several = await _rows(
            session, _ITEM_ANSWERED, _params(session, cohort_id, keys=several)
        )
        answered.update({(cp, key): int(n) for cp, key, n in counted_several})
    quotes: dict[tuple[str, str], list[str]] = {}
    found = await _rows(
        session,
        _QUOTES,
        _params(session, cohort_id, keys=sorted({k for _, k in quoted}), per=QUOTES_PER_QUESTION),
    )
    for cp, key, words in found:
        if (cp, key) in quoted:
            quotes.setdefault((cp, key), []).append(words.strip())
    sections = []
    for cp, title, audience, form in forms:
        respondents = sent.get(cp, 0)
        tables: list[Table] = []
        groups: list[QuoteGroup] = []
        for q in form.questions:
            if q.kind in AGGREGATED:
                tables += _question_tables(
                    q, values.get((cp, q.id), {}), answered.get((cp, q.id), 0), m
                )
            elif (cp, q.id) in quoted:
                said = quotes.get((cp, q.id), [])
                if said and respondents < m:
                    groups.append(QuoteGroup(q.label, (), suppressed=True))
                elif said:
                    groups.append(QuoteGroup(q.label, tuple(said)))
        sections.append(
            Section(
                f"form:{cp}",
                title,
                f"Answered by {AUDIENCE_WORDS.get(audience, audience)}; sent in: "
                + (f"{respondents:,}" if respondents >= m else suppressed_words(m))
                + ".",
                figures=(count_figure("Sent in", f"{respondents:,}", respondents, m),),
                tables=tuple(tables),
                quotes=tuple(groups),
                suppressed=respondents < m,
            )
        )
    return sections


def _repeated(
    forms: Sequence[tuple[str, str, str, Form]],
) -> list[tuple[Question, str, str, str, str]]:
    """Each question id asked by two forms or more: (question, first checkpoint, its title,
    last checkpoint, its title), in the order first asked."""
    seen: dict[str, list[tuple[str, str, Question]]] = {}
    for cp, title, _, form in forms:
        for q in form.questions:
            if q.kind in ("likert", "rating", "yes_no", "single_choice", "number"):
                seen.setdefault(q.id, []).append((cp, title, q))
    out = []
    for asked in seen.values():
        if len(asked) >= 2:
            (c1, t1, q), (c2, t2, _) = asked[0], asked[-1]
            out.append((q, c1, t1, c2, t2))
    return out


async def _changes(
    session: AsyncSession, cohort_id: uuid.UUID, scheme: Scheme, m: int
) -> Section | None:
    repeated = _repeated(_forms(scheme))
    if not repeated:
        return None
    changes: list[Change] = []
    for q, c1, t1, c2, t2 in repeated:
        rows = len(q.rows) if q.kind == "likert" else 1
        found = await _rows(
            session,
            _CHANGE,
            _params(session, cohort_id, key=q.id, rows=rows, first=c1, last=c2),
        )
        moves: dict[int, dict[tuple[Any, Any], int]] = {}
        for n, before, after, count in found:
            b, a = _one(before), _one(after)
            if b is None or a is None or isinstance(b, list) or isinstance(a, list):
                continue
            bucket = moves.setdefault(int(n), {})
            bucket[(b, a)] = bucket.get((b, a), 0) + int(count)
        if q.kind == "number":
            seen = sorted({v for pair in moves.get(0, {}) for v in pair})
            scale: list[tuple[Any, str]] = [(v, f"{v:g}") for v in seen]
        else:
            scale = _scale(q)
        words = _likert_mean_words(q) if q.kind == "likert" else ""
        titles = q.rows if q.kind == "likert" else (q.label,)
        for r, title in enumerate(titles):
            changes.append(
                change(
                    title,
                    scale,
                    moves.get(r, {}),
                    before_title=t1,
                    after_title=t2,
                    min_group=m,
                    group=q.label if q.kind == "likert" else "",
                    mean_words=words,
                )
            )
    return Section(
        "changes",
        "Change from the first answer to the last",
        "Questions asked the same way in two forms. Only the people who answered both times "
        "are counted; 'rose' means a higher place on the scale.",
        changes=tuple(changes),
    )


# --- the cohorts' list -----------------------------------------------------------------------

_COHORTS = """
SELECT c.id, c.name, c.starts_on, c.ends_on, count(p.id) AS pairs
FROM cohorts c LEFT JOIN pairs p ON p.tenant_id = c.tenant_id AND p.cohort_id = c.id
WHERE c.tenant_id = :t
GROUP BY c.id, c.name, c.starts_on, c.ends_on
ORDER BY c.starts_on DESC, c.id
"""


@dataclass(frozen=True)
class CohortRow:
    id: uuid.UUID
    name: str
    starts_on: date
    ends_on: date
    pairs: int


async def cohort_rows(session: AsyncSession, scope: frozenset[uuid.UUID] | None) -> list[CohortRow]:
    """The tenant's cohorts (those in `scope`; None: all), latest start first, with how
    many pairs each has (one statement)."""
    found = await _rows(session, _COHORTS, {"t": current_tenant(session)})
    return [
        CohortRow(cid, name, starts, ends, int(n))
        for cid, name, starts, ends, n in found
        if scope is None or cid in scope
    ]


# --- the report -----------------------------------------------------------------------------


async def _cohort(session: AsyncSession, cohort_id: uuid.UUID) -> Cohort:
    return await get_in_tenant(session, Cohort, cohort_id, what="cohort")


async def _head(
    session: AsyncSession, cohort_id: uuid.UUID, today: date, min_group: int
) -> tuple[Report, Scheme, dict[str, int]]:
    cohort = await _cohort(session, cohort_id)
    scheme = await scheme_of(session, cohort.scheme_version)
    counts = await _pair_counts(session, cohort_id)
    pairs = sum(counts.values())
    head = Report(
        cohort_id=cohort.id,
        cohort_name=cohort.name,
        scheme_name=scheme.name,
        starts_on=cohort.starts_on,
        ends_on=cohort.ends_on,
        today=today,
        min_group=min_group,
        pairs=pairs,
        suppressed=pairs < min_group,
    )
    return head, scheme, counts


async def report_head(
    session: AsyncSession,
    cohort_id: uuid.UUID,
    *,
    today: date,
    min_group: int = MIN_GROUP,
) -> Report:
    """The report's heading alone (cohort, scheme, dates, number of pairs; no sections):
    what a download's file name and a refusal page need. NotFound for a cohort the
    session's tenant does not have."""
    return (await _head(session, cohort_id, today, min_group))[0]


async def build_report(
    session: AsyncSession,
    cohort_id: uuid.UUID,
    *,
    today: date,
    min_group: int = MIN_GROUP,
) -> Report:
    """The cohort's report (see the module). NotFound for a cohort the session's tenant
    does not have."""
    head, scheme, counts = await _head(session, cohort_id, today, min_group)
    if head.suppressed:
        return head
    pairs = head.pairs
    m = min_group
    sections = [
        await _applicants(session, cohort_id, m),
        await _participants(session, cohort_id, scheme, m),
        _participation(counts, m),
        await _meetings(session, cohort_id, scheme, pairs, m),
        await _goals(session, cohort_id, m),
        *await _form_sections(session, cohort_id, scheme, m),
    ]
    changes = await _changes(session, cohort_id, scheme, m)
    if changes is not None:
        sections.append(changes)
    return replace(head, sections=tuple(sections))


# --- the responses download -----------------------------------------------------------------

RESPONSE_HEADER = ("respondent", "checkpoint", "question_id", "question", "answer")

_RESPONDENTS = """
SELECT count(DISTINCT COALESCE(i.member_id, i.pair_id)) FROM checkpoint_items i
JOIN pairs p ON p.tenant_id = i.tenant_id AND p.id = i.pair_id
WHERE i.tenant_id = :t AND p.tenant_id = :t AND p.cohort_id = :c
  AND i.state IN ('submitted', 'reviewed')
"""

_RESPONSES = """
SELECT COALESCE(i.member_id, i.pair_id)::text, i.checkpoint, i.answers::text, i.share_permission
FROM checkpoint_items i
JOIN pairs p ON p.tenant_id = i.tenant_id AND p.id = i.pair_id
WHERE i.tenant_id = :t AND p.tenant_id = :t AND p.cohort_id = :c
  AND i.state IN ('submitted', 'reviewed')
ORDER BY i.checkpoint, i.due_on, i.id
"""


async def cohort_respondents(session: AsyncSession, cohort_id: uuid.UUID) -> int:
    """How many people (a pair, for a pair item) sent in a form in the cohort."""
    return int((await _rows(session, _RESPONDENTS, _params(session, cohort_id)))[0][0])


def pseudonym(secret: bytes, cohort_id: uuid.UUID, who: str) -> str:
    digest = hmac.new(secret + cohort_id.bytes, who.encode(), hashlib.sha256).hexdigest()
    return f"R-{digest[:10]}"


def _answer_words(value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value if v is not None)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _expand(form: Form, answers: dict[str, Any], shared: bool) -> Iterable[tuple[str, str, str]]:
    for q in form.questions:
        value = answers.get(q.id)
        if value is None or value == "" or value == []:
            continue
        if q.kind in TEXT_KINDS and not shared:
            continue
        if q.kind not in AGGREGATED and q.kind not in TEXT_KINDS:
            continue
        if q.kind == "likert" and isinstance(value, list):
            for r, statement in enumerate(q.rows):
                if r < len(value) and value[r] is not None:
                    yield f"{q.id}.{r + 1}", f"{q.label} — {statement}", str(value[r])
            continue
        yield q.id, q.label, _answer_words(value)


async def response_rows(
    session: AsyncSession,
    cohort_id: uuid.UUID,
    *,
    secret: bytes = b"",
    batch: int = 500,
) -> AsyncIterator[tuple[str, str, str, str, str]]:
    """Every structured answer of the cohort, one row per (respondent's pseudonym,
    checkpoint, question id, question, answer) — a Likert statement each its own row; free
    text only where its author gave permission to share — read over a server-side cursor
    `batch` items at a time (flat memory however many rows)."""
    cohort = await _cohort(session, cohort_id)
    scheme = await scheme_of(session, cohort.scheme_version)
    forms = {cp: (title, form) for cp, title, _, form in _forms(scheme)}
    result = await session.stream(
        text(_RESPONSES).execution_options(yield_per=batch), _params(session, cohort_id)
    )
    names: dict[str, str] = {}
    async for who, cp, answers, shared in result:
        found = forms.get(cp)
        if found is None:
            continue
        title, form = found
        person = names.get(who)
        if person is None:
            person = pseudonym(secret, cohort_id, who)
            if len(names) < 100_000:
                names[who] = person
        for qid, label, words in _expand(form, json.loads(answers), bool(shared)):
            yield person, title, qid, label, words
