"""Rate limits in Redis: several buckets per attempt, each a per-minute rate with a burst.

An attempt names the buckets it counts against, narrowest first: the client's address, the
account it names (a sign-in's `login_hint`, or the e-mail a failed sign-in turned out to be
for), and a ceiling for the whole tenant (or the platform sign-in). It is allowed only if
every bucket has room, and then counted in all of them; a refused attempt counts nowhere, so
an address that is already refused cannot go on filling its tenant's ceiling and lock
everyone else out with it.

Each bucket is the generic cell rate algorithm (GCRA, a token bucket kept as one timestamp):
`per_minute` attempts at once, then one more every `60 / per_minute` seconds. Unlike fixed
one-minute windows it never lets twice the limit through across a window's edge, and a
refusal knows exactly when the next attempt would be allowed: that is the `Retry-After`.
The check and the update for all buckets are one Lua script, so concurrent requests (other
processes too) cannot both take the last place.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

PREFIX = "mentorhub:rate:"
PERIOD = 60.0

# KEYS: one per bucket, holding its theoretical arrival time (TAT). ARGV: now, the period,
# then each bucket's interval (PERIOD / per_minute). Returns {0, "0"} when allowed (every
# bucket's TAT moved on), else {index of the first full bucket, seconds until it has room}.
_GCRA = """
local now = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local after = {}
for i, key in ipairs(KEYS) do
  local tat = tonumber(redis.call('GET', key) or '0') or 0
  if tat < now then tat = now end
  local next_tat = tat + tonumber(ARGV[2 + i])
  if next_tat - period > now then
    return {i, tostring(next_tat - period - now)}
  end
  after[i] = next_tat
end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, tostring(after[i]), 'PX', math.ceil((after[i] - now) * 1000))
end
return {0, '0'}
"""


@dataclass(frozen=True)
class Bucket:
    """`kind` is what is limited ("login", "link"), `scope` which dimension ("address",
    "account", "tenant"), `who` the value counted; `per_minute` its rate (and burst)."""

    kind: str
    scope: str
    who: str
    per_minute: int

    @property
    def key(self) -> str:
        return f"{PREFIX}{self.kind}:{self.scope}:{self.who}"


def account_key(realm: str, account: str) -> str:
    """An account's bucket name: per realm, case-insensitive, hashed (no e-mail in Redis,
    and a bounded key whatever a client sends)."""
    digest = hashlib.sha256(account.strip().lower().encode()).hexdigest()[:32]
    return f"{realm}:{digest}"


async def hit(redis: Redis, buckets: Sequence[Bucket], *, now: float | None = None) -> int | None:
    """Count one attempt against `buckets`; None if allowed, else the whole seconds to wait
    (at least 1) before the first full bucket has room again."""
    if not buckets:
        return None
    now = time.time() if now is None else now
    keys = [bucket.key for bucket in buckets]
    intervals = [repr(PERIOD / max(1, bucket.per_minute)) for bucket in buckets]
    index, wait = await redis.eval(  # type: ignore[misc]
        _GCRA, len(keys), *keys, repr(now), repr(PERIOD), *intervals
    )
    if int(index) == 0:
        return None
    return max(1, math.ceil(float(wait)))
