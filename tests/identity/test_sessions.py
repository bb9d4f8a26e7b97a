"""Sessions: idle and absolute timeouts, nothing readable from Redis alone; settings."""

from __future__ import annotations

import time

import pytest
from redis.asyncio import Redis

from mentorhub.identity.sessions import PREFIX, Identity, SessionStore
from mentorhub.settings import Settings, SettingsError
from tests.conftest import Servers


def who() -> Identity:
    return Identity(email="a@example.org", display_name="A", tenant_slug="x", member_id="1")


async def test_idle_timeout_ends_a_session(servers: Servers) -> None:
    redis = Redis.from_url(servers.redis_url)
    try:
        store = SessionStore(redis, idle_seconds=1, absolute_seconds=3600)
        token = await store.create(who())
        loaded = await store.load(token)
        assert loaded is not None and loaded.email == "a@example.org"
        time.sleep(1.2)
        assert await store.load(token) is None
    finally:
        await redis.aclose()


async def test_absolute_timeout_ends_an_active_session(servers: Servers) -> None:
    redis = Redis.from_url(servers.redis_url)
    try:
        store = SessionStore(redis, idle_seconds=3600, absolute_seconds=60)
        old = Identity(**{**who().__dict__, "created": time.time() - 61})
        token = await store.create(old)
        assert await store.load(token) is None
        assert await store.load("forged-token") is None
        keys = [k.decode() for k in await redis.keys(PREFIX + "*")]
        assert token not in "".join(keys)  # Redis holds a hash of the cookie, not the cookie
    finally:
        await redis.aclose()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MENTORHUB_SESSION_IDLE_SECONDS": "ten"}, "is not a whole number"),
        ({"MENTORHUB_SESSION_IDLE_SECONDS": "5"}, "must be at least 60"),
        (
            {
                "MENTORHUB_SESSION_IDLE_SECONDS": "7200",
                "MENTORHUB_SESSION_ABSOLUTE_SECONDS": "3600",
            },
            "must be at least the idle timeout",
        ),
        (
            {"MENTORHUB_APPROVAL_LINK_DAYS": "0"},
            "MENTORHUB_APPROVAL_LINK_DAYS=0 must be at least 1",
        ),
        ({"MENTORHUB_LOGIN_RATE_PER_MINUTE": "-1"}, "must be at least 1"),
    ],
)
def test_bad_identity_settings_are_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=message):
        Settings.from_env()


def test_identity_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    settings = Settings.from_env()
    assert settings.approval_link_days == 14
    assert settings.session_idle_seconds == 1800
    assert settings.session_absolute_seconds == 12 * 3600
