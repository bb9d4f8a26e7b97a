"""Messages: every e-mail a scheme sends, written once (`services.send`) in the caller's
transaction, delivered exactly once in effect by a worker over SMTP, and listed in the
member's notifications.

This package's `__init__` imports nothing, so `mentorhub.settings` can use `config` without
pulling in the database layer.
"""
