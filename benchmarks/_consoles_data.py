"""The consoles benchmark's cohort (`benchmarks.consoles`): one Museums Association cohort
of `n` pairs on top of `benchmarks.pairs.load`'s database, loaded with set-based SQL as the
owner (`INSERT … SELECT … FROM generate_series`), not through the actions.

Pair k (1..n) is mentor M-(base+2k-1) and mentee M-(base+2k) — members added to the
Museums Association after the ones `benchmarks.pairs` gave it — matched by the programme
manager (`flow` coordinator) from accepted applications whose answers follow the scheme's
application forms. Ids are derived from the cohort and k (`md5(...)::uuid`), so every
statement finds its rows without a lookup table. The pair's story is its bucket, k % 20:

* 0–9 (50 %): ended, completed; every checkpoint sent in (the calls done).
* 10–12 (15 %): extended two months; everything sent in; a meeting booked.
* 13–14 (10 %): matched a month later, still running: the final surveys not yet open; for
  bucket 14 the month-5 call still open on the coordinator's list (an open task).
* 15 (5 %): running past its end, quiet (stage 1): both final surveys open past their due
  date (overdue).
* 16 (5 %): running, matched earliest: the mid-point form and the mentee's final survey
  missed; the mentor's sent in; one mentee in a hundred's membership lapsed.
* 17 (5 %): ended early after 80 days: what fell later cancelled.
* 18 (5 %): quiet (stage 2, on the coordinator's list as a quiet-pair task): baseline and
  mid-point missed, the final surveys overdue.
* 19 (5 %): everything sent in but the mentee's final survey (overdue).

Every pair has held meetings (2 to 7, 60/90/120 minutes: 4.5 per pair on average, as the
MA pilot's report), live pairs one booked ahead, one pair in ten a cancelled one; 2 to 4
goals (for pairs that finished, 96 % achieved or partly, as the report). Answers come from
`checkpoints.demo.answers_for` over the scheme's own checkpoint forms (`VARIANTS` answer
sets per form, pair k takes set k % VARIANTS for all its forms, so a baseline statement
asked again in the final survey is answered by the same person, higher); a third of the
final surveys give permission to share. Each submitted call has a done coordinator task,
each open one an open task. Applicants who were not taken (unsuccessful, waitlisted,
withdrawn) are added for the applicants-per-role figures. A coordinator scoped to the
cohort (`coordinator_scopes`) is the one who signs in.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text

from benchmarks.applications import MEMBERS_SQL, _owner_sql, _timed
from mentorhub.checkpoints.demo import answers_for
from mentorhub.db import Database
from mentorhub.schemes.forms import Form
from mentorhub.schemes.rules import EndWhen, MidpointWhen, OffsetWhen, Scheme
from mentorhub.schemes.services import current_scheme

__all__ = ["COHORT_SLUG", "Cohort", "load_cohort"]

COHORT_SLUG = "museums-association"
COHORT_NAME = "Mentoring for All (benchmark, 3,000 pairs)"
VARIANTS = 12  # answer sets per form
BUCKETS = 20
COORDINATOR_EMAIL = "coordinator.consoles@bench.example.org"
COORDINATOR_NAME = "Casey Programme-Manager"


@dataclass(frozen=True)
class Cohort:
    tenant_id: uuid.UUID
    cohort_id: uuid.UUID
    pairs: int
    coordinator_id: uuid.UUID
    coordinator_email: str
    coordinator_name: str
    counts: dict[str, Any]


# --- what each bucket's items are -----------------------------------------------------------

#: The bucket's stories (see the module's docstring).
ENDED, EXTENDED, LATER, LATER_CALL, OVERDUE, MISSED, EARLY, QUIET, LATE_MENTEE = (
    "ended",
    "extended",
    "later",
    "later_call",
    "overdue",
    "missed",
    "early",
    "quiet",
    "late_mentee",
)


def story(bucket: int) -> str:
    if bucket <= 9:
        return ENDED
    if bucket <= 12:
        return EXTENDED
    if bucket <= 14:
        return LATER if bucket == 13 else LATER_CALL
    return {15: OVERDUE, 16: MISSED, 17: EARLY, 18: QUIET, 19: LATE_MENTEE}[bucket]


def item_state(s: str, checkpoint: str, when: str, who: str) -> str:
    """The state of a pair's item in story `s`: `when` is the checkpoint's place in the
    relationship (start, month2, midpoint, month5, end), `who` its audience's person."""
    if s in (ENDED, EXTENDED):
        return "submitted"
    if s in (LATER, LATER_CALL):
        if when == "month5" and s == LATER_CALL:
            return "open"  # the call not made yet: an open task
        return "upcoming" if when == "end" else "submitted"
    if s == OVERDUE:
        return "open" if when == "end" else "submitted"
    if s == MISSED:
        if when == "midpoint" or (when == "end" and who == "mentee"):
            return "missed"
        return "submitted"
    if s == EARLY:
        return "submitted" if when in ("start", "month2") else "cancelled"
    if s == QUIET:
        if when in ("midpoint",) or (when == "start" and who == "mentee"):
            return "missed"
        return "open" if when == "end" else "submitted"
    # LATE_MENTEE
    return "open" if when == "end" and who == "mentee" else "submitted"


def templates(scheme: Scheme) -> list[dict[str, Any]]:
    """The scheme's checkpoints as item templates, one per person where the checkpoint is
    for each; with the due date's offset from matching (months, days) and each story's
    state (a list indexed by bucket)."""
    months = getattr(scheme.duration, "months", None) or 6
    out: list[dict[str, Any]] = []
    for c in scheme.checkpoints:
        if isinstance(c.when, OffsetWhen):
            due = (c.when.offset_months, 7 * c.when.offset_weeks + c.when.offset_days)
            when = "start" if due[0] == 0 else ("month2" if due[0] <= 2 else "month5")
        elif isinstance(c.when, MidpointWhen):
            due, when = (months // 2, 0), "midpoint"
        elif isinstance(c.when, EndWhen):
            due, when = (months, 0), "end"
        else:
            continue  # the MA scheme has no other kind
        who = {"each": ("mentor", "mentee")}.get(c.audience, (c.audience,))
        for person in who:
            out.append(
                {
                    "n": len(out),
                    "checkpoint": c.id,
                    "kind": c.kind,
                    "title": c.title,
                    "audience": c.audience,
                    "readers": list(c.readers),
                    "who": person,
                    "due_months": due[0],
                    "due_days": due[1],
                    "before": c.window_days_before,
                    "after": c.window_days_after,
                    "states": [item_state(story(b), c.id, when, person) for b in range(BUCKETS)],
                }
            )
    return out


def form_answers(scheme: Scheme) -> dict[str, list[dict[str, Any]]]:
    """VARIANTS answer sets for each checkpoint form (`checkpoints.demo.answers_for`)."""
    out: dict[str, list[dict[str, Any]]] = {}
    audience = {c.id: c.audience for c in scheme.checkpoints}
    for form in scheme.checkpoint_forms:
        role = "mentor" if audience.get(form.checkpoint) == "mentor" else "mentee"
        out[form.checkpoint] = [
            answers_for(scheme, form, seed=f"bench-{v}", role=role, share=v % 3 == 0)
            for v in range(VARIANTS)
        ]
    return out


def application_answers(form: Form, v: int) -> dict[str, Any]:
    """Answer set `v` of an application form: choices spread over the options (the
    participation breakdown), eligible (no exclusion declared), a sentence for text."""
    out: dict[str, Any] = {}
    for i, q in enumerate(form.questions):
        if q.kind == "single_choice" and q.options:
            out[q.id] = q.options[(v * (i + 1) + v // 3) % len(q.options)]
        elif q.kind == "multiple_choice" and q.options:
            k = min(q.max_choices or 2, 2)
            out[q.id] = [q.options[(v + 3 * j) % len(q.options)] for j in range(k)]
        elif q.kind == "yes_no":
            out[q.id] = False if q.excludes else v % 2 == 0
        elif q.kind == "consent":
            out[q.id] = True
        elif q.kind == "number":
            out[q.id] = int(q.min or 0) + v % 3
        elif q.kind == "email":
            out[q.id] = f"manager{v}@bench.example.org"
        elif q.kind in ("text", "long_text"):
            out[q.id] = "0161 496 0000" if "phone" in q.id else f"Benchmark answer {v} to {q.id}."
    return out


# --- the SQL --------------------------------------------------------------------------------


#: Deterministic ids: `_id('pair', 'k')` is an SQL expression of the cohort id and k.
def _id(kind: str, k: str) -> str:
    return f"CAST(md5(CAST(CAST(:cohort AS uuid) AS text) || '-{kind}-' || {k}) AS uuid)"


APPLICATIONS_SQL = f"""
    INSERT INTO applications (tenant_id, id, cohort_id, member_id, role, state, answers,
                              submitted_at, decided_at, withdrawn_at, waitlist_rank,
                              search_text, lock_version)
    SELECT :t, {_id("app", "r.role || k")}, :cohort, m.id, r.role,
           CASE WHEN k <= :n THEN 'accepted'
                WHEN k % 4 = 0 THEN 'withdrawn'
                WHEN k % 4 = 1 THEN 'waitlisted' ELSE 'unsuccessful' END,
           (CAST(:answers AS jsonb) -> r.role) -> (k % :variants),
           CAST(:starts AS timestamptz) - interval '40 days',
           CASE WHEN k <= :n OR k % 4 <> 0 THEN CAST(:starts AS timestamptz) - interval '20 days'
           END,
           CASE WHEN k > :n AND k % 4 = 0 THEN CAST(:starts AS timestamptz) - interval '25 days'
           END,
           CASE WHEN k > :n AND k % 4 = 1 THEN k - :n END,
           lower(m.display_name || ' ' || m.email), 1
    FROM generate_series(1, CAST(:n AS int) + CAST(:extra AS int)) AS k
    CROSS JOIN (VALUES ('mentor', 1), ('mentee', 0)) AS r(role, odd)
    JOIN members m ON m.tenant_id = :t
         AND m.member_number = 'M-' || (:base + 2 * k - r.odd)
"""

#: Matched on day `matched`; the stories' dates (see the module's docstring).
PAIRS_SQL = f"""
    INSERT INTO pairs (tenant_id, id, cohort_id, scheme_version, mentor_id, mentee_id,
                       mentor_application_id, mentee_application_id, matched_on, flow,
                       explanation, created_by, state, end_kind, ended_by, ended_at,
                       end_reason, extended_until, extensions, lock_version, items_stale,
                       quiet_next_at, quiet_stage)
    SELECT :t, {_id("pair", "k")}, :cohort, :version, mr.id, me.id,
           {_id("app", "'mentor' || k")}, {_id("app", "'mentee' || k")}, d.matched, 'coordinator',
           '[]', CAST(:coordinator AS uuid),
           CASE WHEN b <= 9 OR b = 17 THEN 'ended' WHEN b <= 12 THEN 'extended' ELSE 'active' END,
           CASE WHEN b <= 9 THEN 'completed' WHEN b = 17 THEN 'ended_early' END,
           CASE WHEN b <= 9 OR b = 17 THEN CAST(:coordinator AS uuid) END,
           CASE WHEN b <= 9 THEN CAST(d.matched + interval '6 months 17 hours' AS timestamp)
                WHEN b = 17 THEN (d.matched + 80) + time '17:00' END,
           CASE WHEN b = 17 THEN 'The mentee moved abroad for a new job.' END,
           CASE WHEN b BETWEEN 10 AND 12 THEN CAST(d.matched + interval '8 months' AS date) END,
           CASE WHEN b BETWEEN 10 AND 12
                THEN jsonb_build_array(jsonb_build_object(
                    'agreed_on', CAST(d.matched + interval '5 months' AS date), 'months', 2))
                ELSE '[]' END,
           0, false,
           CASE WHEN b >= 10 AND b <> 17 THEN now() + make_interval(days => 7 + k % 30) END,
           CASE WHEN b = 15 THEN 1 WHEN b = 18 THEN 2 ELSE 0 END
    FROM generate_series(1, :n) AS k
    CROSS JOIN LATERAL (SELECT k % {BUCKETS} AS b) AS bb
    CROSS JOIN LATERAL (
        SELECT CAST(:today AS date) - CASE WHEN b IN (13, 14) THEN 170 + k % 10
                                           WHEN b = 16 THEN 215 + k % 5
                                           ELSE 200 + k % 10 END AS matched
    ) AS d
    JOIN members mr ON mr.tenant_id = :t AND mr.member_number = 'M-' || (:base + 2 * k - 1)
    JOIN members me ON me.tenant_id = :t AND me.member_number = 'M-' || (:base + 2 * k)
"""

#: The cohort's pairs with k and the day their held meetings stop (today, or the end).
_COHORT_PAIRS = f"""
    cp AS (
        SELECT k, k % {BUCKETS} AS b, p.id, p.mentor_id, p.mentee_id, p.matched_on, p.state,
               LEAST(CAST(:today AS date) - 3,
                     CASE WHEN p.state = 'ended' THEN CAST(p.ended_at AS date)
                          ELSE CAST(:today AS date) END) AS until
        FROM generate_series(1, :n) AS k
        JOIN pairs p ON p.tenant_id = :t AND p.id = {_id("pair", "k")}
    )
"""

#: 2..7 held meetings per pair (4.5 on average), spread from ten days after matching to the
#: pair's `until`; a booked one ahead for live pairs; one pair in ten a cancelled one.
MEETINGS_SQL = f"""
    WITH {_COHORT_PAIRS}
    INSERT INTO meetings (tenant_id, id, pair_id, starts_at, minutes, mode, place, link, state,
                          proposed_by, answered_by, answered_at, sequence, held_minutes,
                          record, recorded_by, recorded_at, cancelled_by, cancel_reason,
                          created_at)
    SELECT :t, gen_random_uuid(), cp.id, s.at, s.minutes,
           (ARRAY['in_person', 'video', 'phone'])[1 + (k + j) % 3],
           CASE WHEN (k + j) % 3 = 0 THEN 'The museum café' ELSE '' END,
           CASE WHEN (k + j) % 3 = 1 THEN 'https://meet.example.org/' || left(md5(cp.id::text
                || j), 10) ELSE '' END,
           s.state, cp.mentee_id, cp.mentor_id, s.at - interval '10 days', 0,
           CASE WHEN s.state = 'held' THEN s.minutes END,
           CASE WHEN s.state = 'held' THEN 'Talked through the goals; next steps agreed.'
                ELSE '' END,
           CASE WHEN s.state = 'held' THEN cp.mentor_id END,
           CASE WHEN s.state = 'held' THEN s.at + interval '3 hours' END,
           CASE WHEN s.state = 'cancelled' THEN cp.mentee_id END,
           CASE WHEN s.state = 'cancelled' THEN 'Ill that day; we will book another.' ELSE ''
           END,
           s.at - interval '11 days'
    FROM cp
    CROSS JOIN LATERAL (SELECT 2 + k % 6 AS h) AS hh
    CROSS JOIN LATERAL generate_series(1, hh.h + 2) AS j
    CROSS JOIN LATERAL (
        SELECT CASE WHEN j <= hh.h THEN 'held'
                    WHEN j = hh.h + 1 AND cp.state <> 'ended' THEN 'scheduled'
                    WHEN j = hh.h + 2 AND k % 10 = 3 THEN 'cancelled' END AS state,
               60 + 30 * ((k + j) % 3) AS minutes,
               CASE WHEN j <= hh.h
                    THEN (cp.matched_on + 10 + (j * (cp.until - cp.matched_on - 10))
                          / (hh.h + 1)) + time '14:00'
                    ELSE (CAST(:today AS date) + 3 + k % 20 + j) + time '10:00'
               END AS at
    ) AS s
    WHERE s.state IS NOT NULL
"""

#: 2..4 goals per pair: pairs that finished mostly achieved or partly (96 %), the others
#: under way.
GOALS_SQL = f"""
    WITH {_COHORT_PAIRS}
    INSERT INTO pair_goals (tenant_id, id, pair_id, title, detail, status, position, created_by,
                            updated_by, updated_at)
    SELECT :t, gen_random_uuid(), cp.id,
           (ARRAY['Lead a project from start to finish', 'Build a network outside my museum',
                  'Prepare for a promotion interview', 'Present at a sector conference',
                  'Learn to manage a budget', 'Write a funding application'])[1 + (k + g) % 6],
           '',
           CASE WHEN cp.b <= 12 OR cp.b = 19
                THEN CASE WHEN (k * 7 + g) % 25 = 0 THEN 'in_progress'
                          WHEN (k * 7 + g) % 25 < 15 THEN 'achieved' ELSE 'partly' END
                ELSE (ARRAY['not_started', 'in_progress', 'in_progress', 'achieved',
                            'dropped'])[1 + (k + g) % 5] END,
           g, cp.mentee_id, cp.mentee_id, now() - make_interval(days => 10 + (k + g) % 40)
    FROM cp CROSS JOIN generate_series(1, 2 + k % 3) AS g
"""

#: The pairs' checkpoint items from the scheme's templates, their dates counted from the
#: matching day, their state the template's for the pair's bucket.
ITEMS_SQL = f"""
    WITH {_COHORT_PAIRS}
    INSERT INTO checkpoint_items (tenant_id, id, pair_id, member_id, checkpoint, slot,
                                  scheme_version, kind, title, audience, readers, due_on,
                                  opens_on, closes_on, state, next_at, step, opened_at,
                                  submitted_at, submitted_by, answers, share_permission,
                                  reviewed_at, reviewed_by, missed_at, cancelled_at,
                                  cancel_reason, lock_version)
    SELECT :t, {_id("item", "k || '-' || t.n")}, cp.id,
           CASE t.who WHEN 'mentor' THEN cp.mentor_id WHEN 'mentee' THEN cp.mentee_id END,
           t.checkpoint, '', :version, t.kind, t.title, t.audience,
           CAST(t.readers AS varchar(16)[]),
           d.due, d.due - t.before, d.due + t.after, st.state,
           CASE st.state WHEN 'upcoming' THEN (d.due - t.before) + time '09:00'
                         WHEN 'open' THEN GREATEST(d.due + 2, CAST(:today AS date) + 1)
                                          + time '09:00' END,
           CASE st.state WHEN 'upcoming' THEN 0 ELSE 1 END,
           CASE WHEN st.state IN ('open', 'submitted', 'reviewed', 'missed')
                THEN (d.due - t.before) + time '09:00' END,
           CASE WHEN st.state IN ('submitted', 'reviewed')
                THEN (d.due - 2) + time '19:30' END,
           CASE WHEN st.state IN ('submitted', 'reviewed')
                THEN CASE t.who WHEN 'mentor' THEN cp.mentor_id WHEN 'mentee' THEN cp.mentee_id
                                WHEN 'pair' THEN cp.mentee_id
                                ELSE CAST(:coordinator AS uuid) END END,
           CASE WHEN st.state NOT IN ('submitted', 'reviewed') THEN '{{}}'::jsonb
                WHEN t.who = 'coordinator' THEN '{{"note": "Called: going well."}}'::jsonb
                ELSE coalesce((CAST(:answers AS jsonb) -> t.checkpoint) -> (k % :variants),
                              '{{}}'::jsonb) END,
           st.state IN ('submitted', 'reviewed') AND t.checkpoint LIKE 'final%' AND k % 3 = 0,
           CASE WHEN st.state = 'reviewed' THEN (d.due + 3) + time '11:00' END,
           CASE WHEN st.state = 'reviewed' THEN CAST(:coordinator AS uuid) END,
           CASE WHEN st.state = 'missed' THEN CAST(d.due + t.after + 1 AS timestamp) END,
           CASE WHEN st.state = 'cancelled' THEN cp.matched_on + interval '80 days 17 hours'
           END,
           CASE WHEN st.state = 'cancelled' THEN 'The pair ended early.' ELSE '' END,
           0
    FROM cp
    CROSS JOIN jsonb_to_recordset(CAST(:templates AS jsonb))
        AS t(n int, checkpoint text, kind text, title text, audience text, readers text[],
             who text, due_months int, due_days int, before int, after int, states jsonb)
    CROSS JOIN LATERAL (
        SELECT CAST(cp.matched_on + make_interval(months => t.due_months, days => t.due_days)
                    AS date) AS due
    ) AS d
    CROSS JOIN LATERAL (
        SELECT CASE WHEN s = 'submitted' AND t.who NOT IN ('coordinator', 'pair') AND k % 2 = 0
                    THEN 'reviewed' ELSE s END AS state
        FROM (SELECT t.states ->> cp.b AS s) AS x
    ) AS st
"""

#: The coordinator's tasks: one per call item that opened (done when the call was made,
#: open otherwise), and one quiet-pair task per pair at quiet stage 2.
TASKS_SQL = f"""
    WITH {_COHORT_PAIRS}
    INSERT INTO coordinator_tasks (tenant_id, id, key, kind, pair_id, item_id, title, detail,
                                   due_on, state, done_at, done_by, note, lock_version)
    SELECT :t, gen_random_uuid(), 'task:item:' || i.id, 'checkpoint', i.pair_id, i.id, i.title,
           'A scheduled phone call to the mentor.', i.due_on,
           CASE WHEN i.state = 'open' THEN 'open' ELSE 'done' END,
           i.submitted_at, i.submitted_by,
           CASE WHEN i.state = 'open' THEN '' ELSE 'Called: going well.' END, 0
    FROM checkpoint_items i JOIN cp ON cp.id = i.pair_id
    WHERE i.tenant_id = :t AND i.audience = 'coordinator'
      AND i.state IN ('open', 'submitted')
    UNION ALL
    SELECT :t, gen_random_uuid(), 'task:quiet:' || cp.id || ':' || (CAST(:today AS date) - 50),
           'quiet_pair', cp.id, NULL, 'Quiet pair', 'No meeting or message for seven weeks.',
           CAST(:today AS date) - 3, 'open', NULL, NULL, '', 0
    FROM cp WHERE cp.b = 18
"""

#: One mentee in a hundred (stories MISSED) lapsed.
LAPSES_SQL = f"""
    WITH {_COHORT_PAIRS}, lapsed AS (
        UPDATE members m SET membership_status = 'lapsed'
        FROM cp WHERE m.tenant_id = :t AND m.id = cp.mentee_id AND cp.k % 100 = 16
        RETURNING m.id
    )
    INSERT INTO membership_lapses (tenant_id, id, member_id, previous_status, new_status, source)
    SELECT :t, gen_random_uuid(), id, 'active', 'lapsed', 'roster' FROM lapsed
"""


async def load_cohort(owner: Database, tenant_id: uuid.UUID, n: int, today: date) -> Cohort:
    """The cohort (see the module's docstring) in `tenant_id` (the Museums Association)."""
    async with owner.tenant(tenant_id) as s:
        scheme = await current_scheme(s)
        assert scheme is not None
        version = (
            await s.execute(
                text("SELECT max(version) FROM scheme_versions WHERE tenant_id = :t"),
                {"t": tenant_id},
            )
        ).scalar_one()
        base = (
            await s.execute(
                text(
                    "SELECT coalesce(max(CAST(substring(member_number FROM 3) AS int)), 0)"
                    " FROM members WHERE tenant_id = :t AND member_number LIKE 'M-%'"
                ),
                {"t": tenant_id},
            )
        ).scalar_one()
    cohort_id = uuid.uuid4()
    coordinator_id = uuid.uuid4()
    extra = max(5, n // 5)  # applicants not taken
    starts = today - timedelta(days=215)
    common = {"t": tenant_id, "cohort": cohort_id, "n": n, "today": today}

    async def people() -> None:
        await _owner_sql(
            owner,
            MEMBERS_SQL,
            [{"tenants": [tenant_id], "prefix": "cohort", "first": base + 1, "n": 2 * (n + extra)}],
        )
        await _owner_sql(
            owner,
            "UPDATE members SET roles = CASE WHEN CAST(substring(member_number FROM 3) AS int)"
            " % 2 = :odd THEN ARRAY['mentor'] ELSE ARRAY['mentee'] END"
            " WHERE tenant_id = :t AND CAST(substring(member_number FROM 3) AS int) > :base"
            " AND member_number LIKE 'M-%'",
            [{"t": tenant_id, "base": base, "odd": (base + 1) % 2}],
        )
        await _owner_sql(
            owner,
            "INSERT INTO members (tenant_id, id, email, display_name, roles, membership_status,"
            " membership_source) VALUES (:t, :id, :email, :name, ARRAY['coordinator'],"
            " 'active', 'roster')",
            [
                {
                    "t": tenant_id,
                    "id": coordinator_id,
                    "email": COORDINATOR_EMAIL,
                    "name": COORDINATOR_NAME,
                }
            ],
        )
        await _owner_sql(
            owner,
            "INSERT INTO cohorts (tenant_id, id, name, starts_on, ends_on, scheme_version)"
            " VALUES (:t, :cohort, :name, :starts, :ends, :version)",
            [
                {
                    "t": tenant_id,
                    "cohort": cohort_id,
                    "name": COHORT_NAME,
                    "starts": starts,
                    "ends": today + timedelta(days=30),
                    "version": version,
                }
            ],
        )
        await _owner_sql(
            owner,
            "INSERT INTO coordinator_scopes (tenant_id, id, member_id, cohort_id)"
            " VALUES (:t, gen_random_uuid(), :m, :cohort)",
            [{"t": tenant_id, "m": coordinator_id, "cohort": cohort_id}],
        )

    await _timed(f"{2 * (n + extra):,} Museums Association members, a coordinator", people)

    forms = {role: form for role, form in scheme.forms.declared()}
    answers = {
        role: [application_answers(form, v) for v in range(VARIANTS)]
        for role, form in forms.items()
    }

    async def applications_and_pairs() -> None:
        await _owner_sql(
            owner,
            APPLICATIONS_SQL,
            [
                common
                | {
                    "extra": extra,
                    "base": base,
                    "answers": json.dumps(answers),
                    "variants": VARIANTS,
                    "starts": datetime.combine(starts, time(9), tzinfo=UTC),
                }
            ],
        )
        await _owner_sql(
            owner,
            PAIRS_SQL,
            [common | {"base": base, "version": version, "coordinator": coordinator_id}],
        )

    await _timed(
        f"{2 * (n + extra):,} applications ({2 * n:,} accepted), {n:,} pairs",
        applications_and_pairs,
    )

    async def content() -> None:
        await _owner_sql(owner, MEETINGS_SQL, [common])
        await _owner_sql(owner, GOALS_SQL, [common])
        await _owner_sql(
            owner,
            ITEMS_SQL,
            [
                common
                | {
                    "version": version,
                    "coordinator": coordinator_id,
                    "templates": json.dumps(templates(scheme)),
                    "answers": json.dumps(form_answers(scheme)),
                    "variants": VARIANTS,
                }
            ],
        )
        await _owner_sql(owner, TASKS_SQL, [common])
        await _owner_sql(owner, LAPSES_SQL, [common])

    await _timed("meetings, goals, checkpoint items, tasks, lapses", content)
    counts = await _counts(owner, tenant_id, cohort_id)
    return Cohort(
        tenant_id, cohort_id, n, coordinator_id, COORDINATOR_EMAIL, COORDINATOR_NAME, counts
    )


async def _counts(owner: Database, tenant_id: uuid.UUID, cohort_id: uuid.UUID) -> dict[str, Any]:
    """What was loaded, to print beside the figures."""
    p = "SELECT id FROM pairs WHERE tenant_id = :t AND cohort_id = :c"
    queries = {
        "pairs": "SELECT state, count(*) FROM pairs WHERE tenant_id = :t AND cohort_id = :c"
        " GROUP BY state ORDER BY state",
        "meetings": f"SELECT state, count(*) FROM meetings WHERE tenant_id = :t AND pair_id IN"
        f" ({p}) GROUP BY state ORDER BY state",
        "goals": f"SELECT status, count(*) FROM pair_goals WHERE tenant_id = :t AND pair_id IN"
        f" ({p}) GROUP BY status ORDER BY status",
        "items": f"SELECT state, count(*) FROM checkpoint_items WHERE tenant_id = :t AND pair_id"
        f" IN ({p}) GROUP BY state ORDER BY state",
        "tasks": f"SELECT state, count(*) FROM coordinator_tasks WHERE tenant_id = :t AND"
        f" pair_id IN ({p}) GROUP BY state ORDER BY state",
        "applications": "SELECT state, count(*) FROM applications WHERE tenant_id = :t AND"
        " cohort_id = :c GROUP BY state ORDER BY state",
    }
    out: dict[str, Any] = {}
    async with owner.engine.connect() as conn:
        for name, sql in queries.items():
            rows = await conn.execute(text(sql), {"t": tenant_id, "c": cohort_id})
            out[name] = {str(k): int(v) for k, v in rows}
        out["answers"] = int(
            (
                await conn.execute(
                    text(
                        "SELECT coalesce(sum((SELECT count(*) FROM jsonb_object_keys(answers))),"
                        " 0) FROM checkpoint_items WHERE tenant_id = :t AND pair_id IN"
                        f" ({p}) AND state IN ('submitted', 'reviewed')"
                    ),
                    {"t": tenant_id, "c": cohort_id},
                )
            ).scalar_one()
        )
    return out
