"""The one e-mail address check: the MENTORHUB_MAIL_FROM setting and a message's recipient
accept and refuse the same plain addresses; a message also refuses whitespace, control
characters and more than 320 characters."""

from __future__ import annotations

import pytest

from mentorhub.core.smtp import SmtpConfigError, check_address, is_plain_address
from mentorhub.messages.services import MessageError
from mentorhub.messages.services import check_address as check_recipient

GOOD = ["ops@example.org", "a.b+c@mail.example.co.uk", "dev@localhost"]
BAD = ["", "not an address", "nobody@nowhere", "@example.org", "user@", "A <a@example.org>"]


@pytest.mark.parametrize("value", GOOD)
def test_a_plain_address_is_accepted_by_both(value: str) -> None:
    assert is_plain_address(value)
    assert check_address(value, "MENTORHUB_MAIL_FROM") == value
    assert check_recipient(value) == value


@pytest.mark.parametrize("value", BAD)
def test_what_is_not_an_address_is_refused_by_both(value: str) -> None:
    assert not is_plain_address(value)
    with pytest.raises(SmtpConfigError, match=r"MENTORHUB_MAIL_FROM=.* is not an e-mail address"):
        check_address(value, "MENTORHUB_MAIL_FROM")
    with pytest.raises(MessageError, match="is not an e-mail address"):
        check_recipient(value)


@pytest.mark.parametrize("value", ["a@b\r\nBcc: c@d.org", "x" * 310 + "@example.org"])
def test_a_recipient_has_stricter_limits(value: str) -> None:
    with pytest.raises(MessageError, match="is not an e-mail address"):
        check_recipient(value)
