"""Checkpoint actions (each one function, one tenant transaction, its audit row, its
messages through the one writer): `submissions` (a member saves or sends in an item's
answers), `review` (the coordinator reviews a submission, completes a task)."""
