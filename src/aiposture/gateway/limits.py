"""Per-principal request and token limits: token buckets that refill continuously.

`LocalLimiter` keeps buckets in the process (one replica, or per-worker limits);
`RedisLimiter` keeps them in Redis with one atomic Lua script using Redis' clock, so
several replicas share one budget. Both answer `(allowed, retry_after_seconds)`.
A bucket may go negative when the real token count arrives after the answer
(`charge`), which delays the principal's next requests instead of losing the debt.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Limiter(Protocol):
    async def take(self, key: str, per_minute: int, cost: float) -> tuple[bool, float]: ...

    async def charge(self, key: str, per_minute: int, cost: float) -> None: ...


class LocalLimiter:
    def __init__(self, clock=time.monotonic) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def _level(self, key: str, per_minute: int, now: float) -> float:
        level, then = self._buckets.get(key, (float(per_minute), now))
        return min(float(per_minute), level + (now - then) * per_minute / 60.0)

    async def take(self, key: str, per_minute: int, cost: float) -> tuple[bool, float]:
        with self._lock:
            now = self._clock()
            level = self._level(key, per_minute, now)
            if level >= min(cost, per_minute):
                self._buckets[key] = (level - cost, now)
                return True, 0.0
            self._buckets[key] = (level, now)
            return False, (min(cost, per_minute) - level) * 60.0 / per_minute

    async def charge(self, key: str, per_minute: int, cost: float) -> None:
        with self._lock:
            now = self._clock()
            self._buckets[key] = (self._level(key, per_minute, now) - cost, now)


_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local cap = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local force = ARGV[3] == '1'
local state = redis.call('HMGET', KEYS[1], 'level', 'time')
local level = tonumber(state[1]) or cap
local last = tonumber(state[2]) or now
level = math.min(cap, level + (now - last) * cap / 60)
local need = math.min(cost, cap)
local ok = 0
local wait = 0
if force or level >= need then
  level = level - cost
  ok = 1
else
  wait = (need - level) * 60 / cap
end
redis.call('HSET', KEYS[1], 'level', tostring(level), 'time', tostring(now))
redis.call('EXPIRE', KEYS[1], 120)
return {ok, tostring(wait)}
"""


class RedisLimiter:
    def __init__(self, client, prefix: str = "aiposture:limit:") -> None:
        self.client = client
        self.prefix = prefix
        self._script = client.register_script(_LUA)

    @classmethod
    def from_url(cls, url: str, prefix: str = "aiposture:limit:") -> RedisLimiter:
        import redis.asyncio as aioredis

        return cls(aioredis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0), prefix)

    async def take(self, key: str, per_minute: int, cost: float) -> tuple[bool, float]:
        ok, wait = await self._script(keys=[self.prefix + key], args=[per_minute, cost, "0"])
        return bool(int(ok)), float(wait)

    async def charge(self, key: str, per_minute: int, cost: float) -> None:
        await self._script(keys=[self.prefix + key], args=[per_minute, cost, "1"])

    async def close(self) -> None:
        await self.client.aclose()


def estimate_tokens(texts: list[str]) -> int:
    """A cheap pre-flight estimate of the prompt (~4 characters a token); the answer's
    tokens are charged when the upstream reports them."""
    return sum(len(t) for t in texts) // 4 + 1
