"""The SMTP sink and a committing Database (for races over separate connections), from the
messages tests."""

from tests.messages.conftest import inbox, live_db, sink  # noqa: F401
