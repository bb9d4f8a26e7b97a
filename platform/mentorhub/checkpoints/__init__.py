"""Scheme operations (issue 16): checkpoint items per pair, their forms and submissions, the
coordinator's tasks, and the clock that opens, reminds and marks missed (`tasks`)."""
