"""Where mail goes: `MENTORHUB_SMTP_URL` and its companions, checked when read.

    smtp://host[:25]             plain SMTP (a relay on a private network, the mail catcher)
    smtp+starttls://host[:587]   STARTTLS required before anything else is sent
    smtps://host[:465]           TLS from the first byte

User and password may be in the URL (percent-encoded) or in `MENTORHUB_SMTP_USERNAME` /
`MENTORHUB_SMTP_PASSWORD`; the separate settings win. A bad value is one line naming the
variable (`SettingsError`, raised by the settings module). Pure parsing, in the core so that
reading the settings imports no area (`mentorhub.messages.delivery` sends with it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address
from urllib.parse import unquote, urlsplit

SCHEMES = {"smtp": (25, "plain"), "smtp+starttls": (587, "starttls"), "smtps": (465, "tls")}


class SmtpConfigError(ValueError):
    """One line naming the variable and what is wrong."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str  # "plain", "starttls" or "tls"
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0

    def describe(self) -> str:
        """For logs and start-up lines: never the password."""
        scheme = {v[1]: k for k, v in SCHEMES.items()}[self.security]
        user = f"{self.username}@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}"


def parse_smtp_url(
    url: str,
    *,
    username: str | None = None,
    password: str | None = None,
    timeout: float = 10.0,
    name: str = "MENTORHUB_SMTP_URL",
) -> SmtpConfig:
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise SmtpConfigError(
            f"{name} must be an smtp://, smtp+starttls:// or smtps:// URL "
            f"(got scheme {parts.scheme or 'none'!r})"
        )
    default_port, security = SCHEMES[parts.scheme]
    try:
        port = parts.port or default_port
    except ValueError:
        raise SmtpConfigError(f"{name} has a malformed port") from None
    if not parts.hostname:
        raise SmtpConfigError(f"{name} must name a host, e.g. smtp+starttls://mail.example.org")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise SmtpConfigError(f"{name} takes no path or query (only scheme, user, host, port)")
    user = username if username is not None else (unquote(parts.username or "") or None)
    secret = password if password is not None else (unquote(parts.password or "") or None)
    if (user is None) != (secret is None):
        raise SmtpConfigError(f"{name}: a user name needs a password and a password a user name")
    if user is not None and security == "plain" and parts.hostname not in _LOOPBACK:
        raise SmtpConfigError(
            f"{name}: a password is never sent unencrypted; use smtp+starttls:// or smtps://"
        )
    return SmtpConfig(parts.hostname, port, security, user, secret, timeout)


_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


#: The common shape — a dot-atom, `@`, a dot-atom domain with at least one dot — which the
#: standard library's parser below always accepts as a plain address; checked first because
#: the parser costs about 0.4 ms an address (a bulk send checks thousands). Anything else
#: goes to the parser, so the answer is the parser's either way.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_COMMON = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def is_plain_address(value: str) -> bool:
    """Whether `value` is a plain e-mail address: `user@domain.tld` (or `user@localhost`),
    with no display name. The one address check; the messages area adds its own limits."""
    if _COMMON.fullmatch(value):
        return True
    try:
        address = Address(addr_spec=value)
    # AttributeError: CPython's header parser trips over some unclosed domain literals
    # ("9@[": an InvalidHeaderDefect asked for its defects) — not an address either way.
    except (HeaderParseError, ValueError, IndexError, AttributeError):
        return False
    domain = address.domain
    return bool(address.username and domain and ("." in domain.strip(".") or domain == "localhost"))


def check_address(value: str, name: str) -> str:
    """A plain e-mail address (`user@domain`), or one line saying it is not."""
    if not is_plain_address(value):
        raise SmtpConfigError(f"{name}={value!r} is not an e-mail address")
    return value
