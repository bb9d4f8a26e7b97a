"""The SMTP sink and a committing Database (for clocks racing over separate connections),
from the messages tests."""

from tests.messages.conftest import inbox, live_db, sink  # noqa: F401
