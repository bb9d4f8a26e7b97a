"""Pairs: the relationship a match makes (issue 14) — its record, actions and readers.

`models` and `services` touch the database; `rules` is pure (the states and what may happen
next), in the pure-engines import contract."""
