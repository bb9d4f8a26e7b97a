"""Which addresses the server may reach, checked without the network: the pure half of the
defence against server-side request forgery (`mentorhub.identity.outbound` does the
fetching, resolving each host and checking every address here before it connects).

A URL typed into a form or named by a provider's discovery document must be https (plain
http only to loopback, and only where loopback is allowed: the embedded default and the
tests) and must not name a private, loopback, link-local, multicast, reserved, unspecified
or shared address, IPv4 or IPv6, IPv4 embedded in IPv6 included. Settings check the
platform's own issuer with the same rules at start-up, and the trusted proxies' networks
are parsed here too, so reading the settings imports no area of the product.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import SplitResult, urlsplit

__all__ = [
    "AddressRefused",
    "IPAddress",
    "Network",
    "OutboundError",
    "address_allowed",
    "check_url",
    "is_loopback_host",
    "parse_networks",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Host names that mean "this machine" whatever DNS says.
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}

#: Ranges `ipaddress` does not flag but that must never be reached from here.
_EXTRA_BLOCKED = [
    ipaddress.ip_network("100.64.0.0/10"),  # carrier-grade NAT (shared address space)
    ipaddress.ip_network("192.0.0.0/24"),  # IETF protocol assignments
    ipaddress.ip_network("198.18.0.0/15"),  # benchmarking
    ipaddress.ip_network("64:ff9b:1::/48"),  # local-use IPv4/IPv6 translation
]


class OutboundError(Exception):
    """A provider URL could not be fetched; the message is for the server log only."""


class AddressRefused(OutboundError):
    """The URL, or an address its host resolves to, may not be reached from the server."""


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, Teredo, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_allowed(address: IPAddress, *, allow_loopback: bool) -> bool:
    """Whether the server may connect to `address`: a public unicast address (or, when
    loopback is allowed, a loopback one)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return False
        inner = _embedded_v4(address)
        if inner is not None:
            return address_allowed(inner, allow_loopback=allow_loopback)
    if address.is_loopback:
        return allow_loopback
    return not (
        address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
        or not address.is_global
        or any(address in net for net in _EXTRA_BLOCKED if net.version == address.version)
    )


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def is_loopback_host(host: str) -> bool:
    """A loopback IP literal or a name that always means this machine."""
    host = host.lower().rstrip(".")
    literal = _literal(host)
    if literal is not None:
        if isinstance(literal, ipaddress.IPv6Address) and literal.ipv4_mapped is not None:
            return literal.ipv4_mapped.is_loopback
        return literal.is_loopback
    return host in LOOPBACK_NAMES or host.endswith(".localhost")


def check_url(url: str, *, allow_loopback: bool) -> SplitResult:
    """The checks that need no network. Raises `AddressRefused` whose message is a plain
    predicate ("must be an https:// URL") to put after the field's name: it names nothing
    the server looked up, so it may be shown to whoever typed the URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise AddressRefused("is not a well-formed URL") from None
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise AddressRefused("names no host")
    if parts.username is not None or parts.password is not None:
        raise AddressRefused("may not contain a user name or password")
    if parts.fragment:
        raise AddressRefused("may not contain a fragment")
    loopback = is_loopback_host(host)
    if parts.scheme == "http":
        if not (allow_loopback and loopback):
            raise AddressRefused(
                "must be an https:// URL (http only on loopback, where that is allowed)"
                if loopback
                else "must be an https:// URL"
            )
    elif parts.scheme != "https":
        raise AddressRefused("must be an https:// URL")
    if loopback and not allow_loopback:
        raise AddressRefused("must be a public host, not this machine")
    literal = _literal(host)
    if literal is not None and not address_allowed(literal, allow_loopback=allow_loopback):
        raise AddressRefused("must be a public host, not a private or reserved address")
    if port == 0:
        raise AddressRefused("may not use port 0")
    return parts


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(raw: str) -> tuple[Network, ...]:
    """`"10.0.0.1, 192.168.0.0/16, ::1"` → networks; ValueError naming a bad entry."""
    networks: list[Network] = []
    for item in raw.split(","):
        entry = item.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or network") from None
    return tuple(networks)
