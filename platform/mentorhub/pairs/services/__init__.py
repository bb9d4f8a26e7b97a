"""Pair actions, one module per part of a pair's life; each action is one function, one
tenant transaction, its audit row and its messages through the one writer.

* `lifecycle`: making pairs (the one path every matching flow takes), ending, removing,
  extending, reopening a mentee for a new match — re-exported here, as before.
* The pair's space (issue 15), imported from their modules: `agreement` (agreement, goals,
  plan), `meetings` (meetings, calendar invitations and feeds), `logs` (private reflective
  log, CPD record), `chat`, `documents`, `ending` (ending and extending by the pair).
"""

from mentorhub.pairs.services.lifecycle import (
    STAFF,
    AlreadyPaired,
    CapacityFull,
    NewPair,
    Refused,
    capacity_for,
    create_pair,
    create_pairs,
    end_pair,
    extend_pair,
    facts_of,
    lock_capacities,
    pair_link,
    remove_pair,
    reopen_for_rematch,
    span_of,
)

__all__ = [
    "STAFF",
    "AlreadyPaired",
    "CapacityFull",
    "NewPair",
    "Refused",
    "capacity_for",
    "create_pair",
    "create_pairs",
    "end_pair",
    "extend_pair",
    "facts_of",
    "lock_capacities",
    "pair_link",
    "remove_pair",
    "reopen_for_rematch",
    "span_of",
]
