"""The one e-mail address check: the MENTORHUB_MAIL_FROM setting and a message's recipient
accept and refuse the same plain addresses; a message also refuses whitespace, control
characters and more than 320 characters."""

from __future__ import annotations

from email.errors import HeaderParseError
from email.headerregistry import Address

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mentorhub.core import smtp
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


# --- the fast path answers as the parser does ---------------------------------------------

_ATOM_CHARS = st.sampled_from(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-"
)
_ANY_CHARS = st.sampled_from('aZ9.@-_+ "<>()[]\\,;:\t!#é')


def _parser_says(value: str) -> bool:
    try:
        address = Address(addr_spec=value)
    except (HeaderParseError, ValueError, IndexError, AttributeError):  # "9@[": see smtp.py
        return False
    domain = address.domain
    return bool(address.username and domain and ("." in domain.strip(".") or domain == "localhost"))


@settings(max_examples=300)
@given(
    local=st.lists(st.text(_ATOM_CHARS, min_size=1, max_size=8), min_size=1, max_size=3),
    domain=st.lists(
        st.text(st.sampled_from("abcxyz019-"), min_size=1, max_size=8), min_size=2, max_size=4
    ),
)
def test_every_address_the_fast_path_takes_the_parser_takes(
    local: list[str], domain: list[str]
) -> None:
    value = ".".join(local) + "@" + ".".join(domain)
    assert smtp._COMMON.fullmatch(value)
    assert _parser_says(value)
    assert is_plain_address(value)


@settings(max_examples=500)
@given(st.text(_ANY_CHARS, max_size=24))
@example("9@[")  # the parser itself raised AttributeError on it (a CPython bug), as did the check
def test_the_check_answers_as_the_parser_for_any_text(value: str) -> None:
    assert is_plain_address(value) == _parser_says(value)
