"""The pure parts of the platform console: the resolve setting, the hostnames typed one per
line, the challenge's answer — unit and property tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mentorhub.settings import SettingsError, parse_verify_resolve
from mentorhub.tenancy.lifecycle import HOSTNAME, hostnames_of
from mentorhub.tenancy.models import Tenant, TenantDomain
from mentorhub.tenancy.verify import answers, new_token


def test_the_resolve_setting_is_read_as_curl_s_resolve_turned_round() -> None:
    assert parse_verify_resolve("") == ()
    assert parse_verify_resolve("*=127.0.0.1:8123") == (("*", "127.0.0.1", 8123),)
    assert parse_verify_resolve(" A.Example.org=10.0.0.1:80 , b.example.org=[::1]:8443") == (
        ("a.example.org", "10.0.0.1", 80),
        ("b.example.org", "::1", 8443),
    )


@pytest.mark.parametrize(
    "bad", ["example.org", "example.org=127.0.0.1", "=127.0.0.1:80", "x=:80", "x=h:port", "x=h:0"]
)
def test_a_bad_resolve_entry_is_refused_in_one_line(bad: str) -> None:
    with pytest.raises(SettingsError, match="MENTORHUB_VERIFY_RESOLVE"):
        parse_verify_resolve(bad)


label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
hostname = st.lists(label, min_size=2, max_size=4).map(".".join)


@given(st.lists(hostname, max_size=6), st.sampled_from(["\n", "\r\n", "\n\n  "]))
def test_hostnames_typed_one_per_line_are_read_once_each_in_lower_case(
    hosts: list[str], newline: str
) -> None:
    typed = newline.join(f"  {h.upper()}. " for h in hosts)
    read = hostnames_of(typed)
    assert read == list(dict.fromkeys(hosts))
    assert all(HOSTNAME.match(h) for h in read)
    assert hostnames_of("\n".join(read)) == read  # reading again changes nothing


def _tenant(domains: list[TenantDomain]) -> Tenant:
    return Tenant(id=uuid.uuid4(), slug="t", name="T", jurisdiction="GB", domains=domains)


@given(hostname, st.booleans())
def test_the_challenge_answers_only_a_pending_hostname_s_own_token(
    host: str, verified: bool
) -> None:
    token, other = new_token(), new_token()
    domain = TenantDomain(
        hostname=host, verify_token=token, verified_at=datetime.now(UTC) if verified else None
    )
    tenants = [_tenant([domain]), _tenant([TenantDomain(hostname="x." + host, verify_token=other)])]
    assert answers(tenants, host, token) is (not verified)
    assert not answers(tenants, host, other)  # another hostname's token
    assert not answers(tenants, "y." + host, token)
    assert not answers(tenants, host, "")
    assert not answers(tenants, host, token + "x" * 64)
