"""What the coordinator's matching pages share: their addresses, forms and words."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Annotated, Any, Literal

import msgspec

from mentorhub.applications.views.coordinator_common import page_context
from mentorhub.identity.sessions import Identity
from mentorhub.matching.criteria import Criterion
from mentorhub.tenancy.models import Tenant
from mentorhub.web.forms import TEXT, choice, field

MATCHING = "/coordinator/matching"
COHORT = MATCHING + "/{cohort_id:str}"
RUN = "/coordinator/runs/{run_id:str}"

FLOW_WORDS = {
    "coordinator": "the coordinator matches the cohort",
    "suggest_and_accept": "mentees choose among suggested mentors, who accept or decline",
    "mutual_acceptance": "the coordinator proposes a match and both people accept",
}
HOW_WORDS = {
    "coordinator": "Matched by the coordinator",
    "suggest_and_accept": "Chosen by the mentee and accepted by the mentor",
    "mutual_acceptance": "Proposed by the coordinator and accepted by both",
}
STATE_WORDS = {
    "draft": "Draft",
    "published": "Published",
    "superseded": "Superseded",
}

NOTE_MAX = 2000


def actor(identity: Identity) -> uuid.UUID:
    assert identity.member_id is not None
    return uuid.UUID(identity.member_id)


_EXCLUDED_PAIR = re.compile(r"'([^']+)'-'([^']+)' is excluded")


def criterion_label(c: Criterion) -> str:
    return c.label or c.name.replace("_", " ").capitalize()


def plain_words(text: str, criteria: Sequence[Criterion]) -> str:
    """The engine's words with the scheme's criteria named as people read them: a
    criterion's id ("career_stage") becomes its label ("Career stage"), "excluded by
    career_stage 'career_stage'" becomes "excluded by the career stage rule", and
    "'A'-'B' is excluded" becomes "A with B is excluded"."""
    text = _EXCLUDED_PAIR.sub(r"\1 with \2 is excluded", text)
    for c in criteria:
        label = criterion_label(c)
        text = text.replace(
            f"excluded by {c.name} '{c.field}'", f"excluded by the {label.lower()} rule"
        )
        if text.startswith(f"{c.name}: "):
            text = f"{label}: " + text[len(c.name) + 2 :]
    return text


def context(tenant: Tenant, identity: Identity, **extra: Any) -> dict[str, Any]:
    criteria = getattr(extra.get("cohort"), "criteria", ())
    return page_context(
        tenant,
        identity,
        FLOW_WORDS=FLOW_WORDS,
        HOW_WORDS=HOW_WORDS,
        STATE_WORDS=STATE_WORDS,
        score=lambda v: "—" if v is None else f"{v:,.2f}",
        plain=lambda t: plain_words(str(t), criteria),
        **extra,
    )


class RunForm(msgspec.Struct, kw_only=True):
    note: Annotated[str, field("Note", kind=TEXT, max_length=NOTE_MAX)] = ""


class PinForm(msgspec.Struct, kw_only=True):
    pin_mentee: Annotated[str, field("Mentee", max_length=36, required=True)]
    pin_mentor: Annotated[str, field("Mentor", max_length=36, required=True)]


class ForbidForm(msgspec.Struct, kw_only=True):
    forbid_mentee: Annotated[str, field("Mentee", max_length=36, required=True)]
    forbid_mentor: Annotated[str, field("Mentor", max_length=36, required=True)]


class ConflictForm(msgspec.Struct, kw_only=True):
    conflict_mentee: Annotated[str, field("Mentee", max_length=36, required=True)]
    conflict_mentor: Annotated[str, field("Mentor", max_length=36, required=True)]
    conflict_reason: Annotated[str, field("Reason", kind=TEXT, max_length=NOTE_MAX)] = ""


class RemoveForm(msgspec.Struct, kw_only=True):
    """Take one pin or forbid away (the pair's application ids) and run again."""

    kind: Annotated[Literal["pin", "forbid"], choice("Choose a pin or a forbid", label="Kind")]
    mentee: Annotated[str, field("Mentee", max_length=36, required=True)]
    mentor: Annotated[str, field("Mentor", max_length=36, required=True)]


class PublishForm(msgspec.Struct, kw_only=True):
    confirm: Annotated[Literal["yes"], choice("Tick the box to confirm", label="Confirm")]


class CompareQuery(msgspec.Struct, kw_only=True):
    a: Annotated[str, field("First run", max_length=36)] = ""
    b: Annotated[str, field("Second run", max_length=36)] = ""
