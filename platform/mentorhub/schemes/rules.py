"""The scheme document: every rule an association states, as a typed, immutable model.

The TOML `[scheme]` table of `tenants/<slug>.toml` maps one-to-one onto :class:`Scheme`
(key names are the field names). Variants are tagged by a ``kind`` key — a duration is
``fixed`` / ``range`` / ``cohort``, a cadence ``interval`` / ``calendar_month`` /
``agreed_by_pair``, a checkpoint's ``when`` ``offset`` / ``cohort_month`` /
``first_business_day`` / ``midpoint`` / ``end`` / ``after_each_meeting`` — so that keys that
make no sense for a variant are rejected instead of silently ignored.

Everything is frozen and uses tuples, so a parsed scheme version can be shared between
threads and cached; a pair keeps the `version` it started under (the database stores each
version's document), a new version applies to new pairs.

Validation (unknown keys, types, ranges, cross-rule checks) lives in
:mod:`mentorhub.schemes.validate`; this module only declares the shape.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from mentorhub.matching.criteria import Criterion
from mentorhub.schemes.forms import Exclusion, Form, Forms, Question

__all__ = [
    "AfterEachMeetingWhen",
    "AgreedByPairCadence",
    "AgreementSection",
    "Application",
    "Branding",
    "CalendarMonthCadence",
    "Checkpoint",
    "CohortDuration",
    "CohortMonthWhen",
    "Criterion",
    "Documents",
    "Eligibility",
    "EndWhen",
    "Extension",
    "FirstBusinessDayWhen",
    "FixedDuration",
    "Form",
    "Forms",
    "IntRange",
    "IntervalCadence",
    "Interview",
    "Matching",
    "Meetings",
    "Membership",
    "MidpointWhen",
    "NumRange",
    "OffsetWhen",
    "Period",
    "PlanMonth",
    "Question",
    "RangeDuration",
    "RecruitmentWindow",
    "Relationship",
    "Scheme",
    "Space",
    "TenantInfo",
    "Training",
]

NonNegInt = Annotated[int, Meta(ge=0)]
PosInt = Annotated[int, Meta(ge=1)]
Month = Annotated[int, Meta(ge=1, le=12)]
NonNegFloat = Annotated[float, Meta(ge=0)]
Text = Annotated[str, Meta(min_length=1)]
Ident = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]*$")]

Role = Literal["mentor", "mentee"]
Anchor = Literal["matching", "start", "cohort_start"]
Audience = Literal["pair", "each", "mentor", "mentee", "coordinator"]
Reader = Literal["author", "pair", "mentor", "mentee", "coordinator"]
CheckpointKind = Literal[
    "check_in_email",
    "questionnaire",
    "survey",
    "coordinator_call",
    "supervision_session",
    "review",
    "document",
    "reflective_log",
    "quarterly_update",
]
Flow = Literal["coordinator", "suggest_and_accept", "mutual_acceptance"]


class _Model(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Base of every table: immutable, unknown keys rejected, keyword construction."""


class _Tagged(_Model, frozen=True, kw_only=True, tag_field="kind"):
    """Base of the variants chosen by a `kind` key."""


# --- small shared shapes -------------------------------------------------------------------


class Period(_Model, frozen=True, kw_only=True):
    """A length of time: calendar months (clamped, see calendar.add_months), weeks, days."""

    months: NonNegInt = 0
    weeks: NonNegInt = 0
    days: NonNegInt = 0


class IntRange(_Model, frozen=True, kw_only=True):
    """An inclusive range; either end may be open."""

    min: NonNegInt | None = None
    max: NonNegInt | None = None


class NumRange(_Model, frozen=True, kw_only=True):
    """An inclusive range of (possibly fractional) quantities such as hours."""

    min: NonNegFloat | None = None
    max: NonNegFloat | None = None


# --- duration ------------------------------------------------------------------------------


class Extension(_Model, frozen=True, kw_only=True):
    """The relationship may run longer than planned when both parties agree."""

    by: Literal["mutual_agreement"] = "mutual_agreement"
    # Longest total length from the start, extensions included (None: no stated cap).
    max_total_months: PosInt | None = None


class _Duration(_Tagged, frozen=True, kw_only=True):
    typical_months: PosInt | None = None
    # After this many months from matching the association stops monitoring the pair.
    monitoring_limit_months: PosInt | None = None
    extension: Extension | None = None
    # Pairs may carry on informally (unmonitored) after the official end.
    may_continue_after_end: bool = False


class FixedDuration(_Duration, tag="fixed", frozen=True, kw_only=True):
    """Official end a fixed number of months after matching."""

    months: PosInt
    # The relationship must also end within this many months of the cohort/pilot start.
    programme_months: PosInt | None = None


class RangeDuration(_Duration, tag="range", frozen=True, kw_only=True):
    """Between min and max months; the official end is the max (the pair may finish earlier)."""

    min_months: PosInt
    max_months: PosInt
    programme_months: PosInt | None = None


class CohortDuration(_Duration, tag="cohort", frozen=True, kw_only=True):
    """An annual cohort window, e.g. October (start_month=10) to August (end_month=8)."""

    start_month: Month
    end_month: Month


Duration = FixedDuration | RangeDuration | CohortDuration


# --- meetings ------------------------------------------------------------------------------


class IntervalCadence(_Tagged, tag="interval", frozen=True, kw_only=True):
    """A meeting every `every`; with `at_most`, a gap up to that long is still on time."""

    every: Period
    at_most: Period | None = None
    pair_may_agree: bool = False


class CalendarMonthCadence(_Tagged, tag="calendar_month", frozen=True, kw_only=True):
    """At least one meeting in each calendar month of the relationship."""

    pair_may_agree: bool = False


class AgreedByPairCadence(_Tagged, tag="agreed_by_pair", frozen=True, kw_only=True):
    """The pair agrees its own frequency at the first meeting; none is expected until then."""


Cadence = IntervalCadence | CalendarMonthCadence | AgreedByPairCadence


class Meetings(_Model, frozen=True, kw_only=True):
    cadence: Cadence
    session_minutes: IntRange | None = None
    # Total contact time over the whole relationship.
    contact_hours: NumRange | None = None
    # At least this many hours per cadence interval (preparation and reflection included).
    min_hours_per_interval: NonNegFloat | None = None
    sessions: IntRange | None = None
    first_and_last_dates_set_at_start: bool = False
    modes: tuple[Literal["in_person", "virtual"], ...] = ("in_person", "virtual")
    in_person_recommended: bool = False
    note: str = ""


# --- checkpoints ---------------------------------------------------------------------------


class OffsetWhen(_Tagged, tag="offset", frozen=True, kw_only=True):
    """A fixed time after an anchor (matching, relationship start, or cohort start)."""

    offset_months: NonNegInt = 0
    offset_weeks: NonNegInt = 0
    offset_days: NonNegInt = 0
    anchor: Anchor = "matching"
    # Roll a weekend/holiday forward to the next business day (for staff actions).
    business_day: bool = False


class CohortMonthWhen(_Tagged, tag="cohort_month", frozen=True, kw_only=True):
    """Some time in a given month of the cohort: due its last day, on time all month."""

    month: Month


class FirstBusinessDayWhen(_Tagged, tag="first_business_day", frozen=True, kw_only=True):
    """The first business day (in the tenant's jurisdiction) of each listed month."""

    months: Annotated[tuple[Month, ...], Meta(min_length=1)]


class MidpointWhen(_Tagged, tag="midpoint", frozen=True, kw_only=True):
    """Halfway (in days, rounded down) between the start and the official end."""


class EndWhen(_Tagged, tag="end", frozen=True, kw_only=True):
    """On the official end date (moves with an agreed extension)."""


class AfterEachMeetingWhen(_Tagged, tag="after_each_meeting", frozen=True, kw_only=True):
    """Within `within_days` after every meeting, held or expected."""

    within_days: NonNegInt = 7


When = (
    OffsetWhen
    | CohortMonthWhen
    | FirstBusinessDayWhen
    | MidpointWhen
    | EndWhen
    | AfterEachMeetingWhen
)


class Checkpoint(_Model, frozen=True, kw_only=True):
    """Something asked of someone at a point of the relationship."""

    id: Ident
    kind: CheckpointKind
    title: Text
    # Who must act: the pair once, each person individually, mentors, mentees, coordinator.
    audience: Audience
    when: When
    # Who may read the submission (empty: nothing is submitted, e.g. an e-mail from staff).
    readers: tuple[Reader, ...] = ()
    # The scheme itself places this after the official end (e.g. a survey sent at the end).
    after_end: bool = False
    window_days_before: NonNegInt = 7
    window_days_after: NonNegInt = 7
    note: str = ""
    # Done in the pair's space rather than in a form (issue 16): the agreement both agreed,
    # the plan submitted, a log entry written after the meeting. The clock marks the item
    # submitted when the space shows it done.
    done_in: Literal["agreement", "plan", "log"] | None = None


class CheckpointForm(Form, frozen=True, kw_only=True):
    """The form a checkpoint is answered with (`checkpoint`: its id), e.g. a survey."""

    checkpoint: Ident


class Quiet(_Model, frozen=True, kw_only=True):
    """Quiet pairs: no meeting, message or submission for longer than the cadence allows."""

    enabled: bool = True
    # Days without anything recorded before the pair is nudged; None: from the cadence
    # (its longest allowed interval), plus `grace_days`.
    after_days: PosInt | None = None
    grace_days: NonNegInt = 7
    # Days after the pair's nudge, still quiet, before the pair goes on the coordinator's list.
    coordinator_after_days: PosInt = 14


class Reminders(_Model, frozen=True, kw_only=True):
    """When the clock mails a checkpoint's audience (the tenant's local time and business days)."""

    send_at: Annotated[str, Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] = "09:00"
    at_opening: bool = True
    before_due_days: tuple[PosInt, ...] = (3,)
    after_due_days: tuple[PosInt, ...] = (2,)
    quiet: Quiet = msgspec.field(default_factory=Quiet)


# --- who can take part and how they apply --------------------------------------------------


class Membership(_Model, frozen=True, kw_only=True):
    required: bool = False
    member_type: str = ""
    good_standing: bool = False
    kept_for_whole_relationship: bool = False
    platform_members_only: bool = False


class Eligibility(_Model, frozen=True, kw_only=True):
    open_to: Literal["members", "everyone", "partner_organisations"]
    # Groups explicitly welcome, in plain words ("volunteers", "freelancers").
    includes: tuple[Text, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    membership: Membership = msgspec.field(default_factory=Membership)
    mentor_requirements: tuple[Text, ...] = ()
    note: str = ""


class RecruitmentWindow(_Model, frozen=True, kw_only=True):
    """An application window for one role; windows open in the order listed."""

    role: Role
    weeks: PosInt


class Interview(_Model, frozen=True, kw_only=True):
    roles: Annotated[tuple[Role, ...], Meta(min_length=1)]
    format: Literal["phone", "video", "in_person"] = "phone"


class Training(_Model, frozen=True, kw_only=True):
    required: bool = True
    # joint: mentors and mentees trained together; per_role: separately.
    format: Literal["joint", "per_role"]
    roles: Annotated[tuple[Role, ...], Meta(min_length=1)]
    days: Annotated[float, Meta(gt=0)] | None = None
    before: Literal["application", "matching", "relationship_start"] = "matching"


class Application(_Model, frozen=True, kw_only=True):
    line_manager_signature: tuple[Role, ...] = ()
    # Ratified by the board (of directors) before the relationship starts.
    board_ratification: bool = False
    shortlist: tuple[Role, ...] = ()
    interview: Interview | None = None
    feedback_to_unsuccessful: bool = False
    recruitment_windows: tuple[RecruitmentWindow, ...] = ()
    training: Training | None = None
    note: str = ""


# --- matching (criteria: mentorhub.matching.criteria) --------------------------------------


class Matching(_Model, frozen=True, kw_only=True):
    flow: Flow
    top_n: PosInt | None = None
    capacity_recommended_max: PosInt | None = None
    capacity_default: PosInt | None = None
    capacity_declared: bool = False
    rematch_on_decline: bool = False
    conflicts_of_interest: bool = False
    # Suggest flow: the mentee sees name, job title and biography of the suggestions.
    mentee_sees: tuple[Text, ...] = ()
    mentor_sees_mentee_reasons: bool = False
    # Suggest flow: days a mentor has to answer a request before it passes to the mentee's
    # next choice (unset: 7; mentorhub.matching.suggest_flow.response_time).
    response_days: PosInt | None = None
    # A matching survey is filled in (after training) before matching.
    matching_survey: bool = False
    coordinator_calls_mentors: bool = False
    # When nobody suitable is found: tell the applicant (and invite them to the next cohort).
    unmatched: Literal["inform", "inform_and_invite_next_cohort"] | None = None
    # The matching engine's own model and check (mentorhub.matching.criteria).
    criteria: tuple[Criterion, ...] = ()
    note: str = ""


# --- the relationship ----------------------------------------------------------------------


class Relationship(_Model, frozen=True, kw_only=True):
    goals: IntRange | None = None
    agreement_at_start: bool = False
    either_party_may_end: bool = False
    rematch_on_failure: bool = False
    confidentiality: Literal["private_to_pair", "written_permission_to_share"] | None = None
    confidentiality_exceptions: tuple[Text, ...] = ()
    removal_for_ethics_breach: bool = False
    no_contact_with_mentee_line_manager: bool = False
    mentee_may_update_line_manager: bool = False
    mentee_leads: bool = False
    final_review_meeting: bool = False
    logs_stored_securely: bool = False
    shared_space: tuple[Literal["chat", "documents", "contact_details"], ...] = ()
    principles: tuple[Text, ...] = ()
    note: str = ""


# --- the pair's space (issue 15) -----------------------------------------------------------

DocType = Literal[
    "pdf",
    "docx",
    "doc",
    "odt",
    "xlsx",
    "xls",
    "ods",
    "pptx",
    "odp",
    "txt",
    "csv",
    "png",
    "jpeg",
    "gif",
    "webp",
]


class AgreementSection(_Model, frozen=True, kw_only=True):
    """One section of the pair's agreement: its heading and what the pair is asked to write."""

    key: Ident
    heading: Text
    prompt: str = ""


class PlanMonth(_Model, frozen=True, kw_only=True):
    """One month of a plan the pair writes at the start (Alberta's Mentorship Plan)."""

    month: Month
    heading: Text
    prompt: str = ""


class Documents(_Model, frozen=True, kw_only=True):
    """What the pair may share as documents (only where relationship.shared_space has them)."""

    max_mb: Annotated[int, Meta(ge=1, le=100)] = 10
    types: tuple[DocType, ...] = ("pdf", "docx", "odt", "xlsx", "pptx", "txt", "png", "jpeg")


class Space(_Model, frozen=True, kw_only=True):
    """The pair's space: how long it is kept after the end, the agreement, the plan."""

    # Months after the pair's end before its space (log, chat, documents, ...) is purged.
    retention_months: PosInt = 24
    # The sections of the pair's agreement; empty: the scheme has no agreement page.
    agreement: tuple[AgreementSection, ...] = ()
    # The months of the pair's plan, in order; empty: no plan (only Alberta has one).
    plan: tuple[PlanMonth, ...] = ()
    documents: Documents = msgspec.field(default_factory=Documents)


class Scheme(_Model, frozen=True, kw_only=True):
    """One version of an association's scheme."""

    version: PosInt
    name: str = ""
    summary: str = ""
    duration: Duration
    meetings: Meetings
    checkpoints: tuple[Checkpoint, ...] = ()
    eligibility: Eligibility
    application: Application = msgspec.field(default_factory=Application)
    matching: Matching
    relationship: Relationship = msgspec.field(default_factory=Relationship)
    # The application forms per role (mentorhub.schemes.forms); a role without one cannot
    # apply. Every field a matching criterion reads must be asked by both roles' forms.
    forms: Forms = msgspec.field(default_factory=Forms)
    # The pair's space (issue 15): agreement template, plan months, retention, documents.
    space: Space = msgspec.field(default_factory=Space)
    # Scheme operations (issue 16): the clock's reminder schedule and quiet-pair nudges, and
    # the form of each checkpoint answered in the product ([[scheme.checkpoint_forms]]).
    reminders: Reminders = msgspec.field(default_factory=Reminders)
    checkpoint_forms: tuple[CheckpointForm, ...] = ()

    def checkpoint_form(self, checkpoint_id: str) -> CheckpointForm | None:
        """The form of checkpoint `checkpoint_id`, or None (a task, or done in the space)."""
        return next((f for f in self.checkpoint_forms if f.checkpoint == checkpoint_id), None)


# --- the [tenant] table (validated here too so `scheme check` checks whole files) ----------


class Branding(_Model, frozen=True, kw_only=True):
    scheme_name: Text
    tagline: str = ""
    logo_text: str = ""
    primary_color: str = "#1f4e79"
    accent_color: str = "#c2410c"
    #: Replies to the association's e-mail go here (Reply-To); empty: no Reply-To.
    contact_email: str = ""


class TenantInfo(_Model, frozen=True, kw_only=True):
    slug: Text
    name: Text
    jurisdiction: Text
    hostnames: tuple[str, ...]
    branding: Branding
