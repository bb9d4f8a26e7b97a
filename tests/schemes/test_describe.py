"""The public scheme page's text says each association's rules in plain words."""

from __future__ import annotations

import pytest

from mentorhub.schemes import describe
from tests.schemes.conftest import SLUGS, tenant


def text(slug: str) -> str:
    return " ".join(s for section in describe(tenant(slug).scheme) for s in section.sentences)


@pytest.mark.parametrize("slug", SLUGS)
def test_every_page_covers_the_issue_topics(slug: str) -> None:
    keys = [s.key for s in describe(tenant(slug).scheme)]
    for key in ("duration", "meetings", "eligibility", "matching", "checkpoints"):
        assert key in keys
    for section in describe(tenant(slug).scheme):
        assert section.sentences and all(s.strip() and "<" not in s for s in section.sentences)


@pytest.mark.parametrize(
    ("slug", "phrases"),
    [
        ("arts-marketing", ["12 months from the date of matching", "up to 18 months",
                            "every 2 months", "between 1 and 2 hours", "together before being "
                            "matched", "at least five years more career experience",
                            "do not contact the mentee's line manager"]),
        ("museums-association", ["between 9 and 12 hours", "First, mentors apply during a "
                                 "6-week window", "students and people already in a mentoring "
                                 "relationship", "short phone interview", "offered feedback",
                                 "between 2 and 4 development goals", "halfway through",
                                 "Conflicts of interest"]),
        ("advice-skills-academy", ["between 3 and 6 months", "between 3 and 6 sessions",
                                   "signed by the applicant's line manager",
                                   "Mentors must attend 1 day of training",
                                   "after each meeting"]),
        ("ahep", ["Each mentee chooses the mentor", "accepts or declines",
                  "the mentee chooses again",
                  "no more than 3 at a time", "stay members for the whole relationship",
                  "Either mentor or mentee can end"]),
        ("alberta-museums", ["from October to August", "at least once every month",
                             "first working day of January, April and July",
                             "Individual Members in good standing", "ratified by the Board",
                             "invited to apply again next year", "explicit written permission",
                             "removed from the programme"]),
    ],
)
def test_page_states_the_seed_rules(slug: str, phrases: list[str]) -> None:
    page = text(slug)
    for phrase in phrases:
        assert phrase in page, phrase


@pytest.mark.parametrize("slug", SLUGS)
def test_page_promises_no_feature_the_product_lacks(slug: str) -> None:
    """The rules in plain words, not a promise of what MentorHub does not do yet: no
    suggested "best 3" to choose from on the platform, no chat, no shared documents."""
    page = text(slug).lower()
    for promise in ("the system", "shows the best", "on the platform", "chat",
                    "share documents", "contact details"):
        assert promise not in page, promise
