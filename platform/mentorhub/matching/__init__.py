"""Matching engine: score mentee–mentor pairs, suggest mentors, assign a cohort — pure code.

No I/O and no framework here: the web layer and the command line load data, call these
functions and render the results. Each part is imported from its module, so that reading a
scheme file (which holds :class:`~mentorhub.matching.criteria.Criterion`) does not load NumPy
and SciPy:

- :mod:`~mentorhub.matching.criteria` — :class:`Criterion`, the one model of a criterion (in
  scheme files and matching inputs alike), and :func:`parse_criteria` / :func:`check_criteria`;
- :mod:`~mentorhub.matching.input` — :func:`parse_instance`, validating a whole input and
  raising :class:`InputError` with every problem;
- :mod:`~mentorhub.matching.scoring` — :func:`score_pair`, one pair's score and explanation
  ("why this mentor"), and :func:`reference_scores`;
- :mod:`~mentorhub.matching.suggest` — :func:`suggest`, a mentee's top N mentors, and
  :func:`suggest_all`;
- :mod:`~mentorhub.matching.cohort` — :func:`assign_cohort`, the exact optimal cohort
  assignment with reasons for the unmatched;
- :mod:`~mentorhub.matching.vector` — :class:`ScoreTable`, the vectorised scorer, built once
  per input and reusable.
"""

from mentorhub.matching.criteria import KINDS, Criterion, InputError, parse_criteria
from mentorhub.matching.input import Instance, Person, parse_instance

__all__ = [
    "KINDS",
    "Criterion",
    "InputError",
    "Instance",
    "Person",
    "parse_criteria",
    "parse_instance",
]
