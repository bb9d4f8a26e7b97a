"""Matching engine: score mentee–mentor pairs, suggest mentors, assign a cohort — pure code.

No I/O and no framework here: the web layer and the command line load data, call these
functions and render the results.

- :func:`parse_instance` / :func:`parse_criteria` — validate input, raising
  :class:`InputError` with every problem;
- :func:`score_pair` — one pair's score and explanation ("why this mentor");
- :func:`suggest` — a mentee's top N mentors; :func:`suggest_all` — for every mentee;
- :func:`assign_cohort` — the exact optimal cohort assignment with reasons for the unmatched;
- :class:`ScoreTable` — the vectorised scorer, built once per input and reusable.
"""

from mentorhub.matching.cohort import CohortResult, Pair, Unmatched, assign_cohort
from mentorhub.matching.input import (
    KINDS,
    Criterion,
    InputError,
    Instance,
    Person,
    parse_criteria,
    parse_instance,
)
from mentorhub.matching.scoring import Contribution, PairScore, reference_scores, score_pair
from mentorhub.matching.suggest import Suggestion, suggest, suggest_all
from mentorhub.matching.vector import ScoreTable

__all__ = [
    "KINDS",
    "CohortResult",
    "Contribution",
    "Criterion",
    "InputError",
    "Instance",
    "Pair",
    "PairScore",
    "Person",
    "ScoreTable",
    "Suggestion",
    "Unmatched",
    "assign_cohort",
    "parse_criteria",
    "parse_instance",
    "reference_scores",
    "score_pair",
    "suggest",
    "suggest_all",
]
