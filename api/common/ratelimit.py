"""Fixed-window request counters in the Django cache.

On Redis (REDIS_URL) each hit is one atomic ``INCR`` with the window's expiry set
in the same transaction; on local memory Django's ``incr`` holds the cache's
lock. Either way concurrent hits are counted exactly. Buckets are named by the
credential (token, key, OAuth client + user, session user) or, for anonymous
callers, by the socket's address: ``X-Forwarded-For`` never names a bucket.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache


@dataclass(frozen=True, slots=True)
class Window:
    """One bucket's state after a hit."""

    limit: int
    count: int
    reset: int  # epoch seconds when the window ends

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit

    def retry_after(self, now: float | None = None) -> int:
        return max(1, math.ceil(self.reset - (now or time.time())))

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


def _window(period: int, now: float) -> tuple[int, int]:
    start = int(now // period * period)
    return start, start + period


def _incr(key: str, timeout: int, amount: int) -> int:
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        full_key = backend.make_and_validate_key(key)
        client = backend._cache.get_client(full_key, write=True)
        pipe = client.pipeline(transaction=True)  # MULTI … EXEC: one step
        pipe.set(full_key, 0, ex=timeout, nx=True)
        pipe.incrby(full_key, amount)
        _, count = pipe.execute()
        return int(count)
    for _ in range(3):
        backend.add(key, 0, timeout=timeout)
        try:
            return backend.incr(key, amount)
        except ValueError:  # expired between add and incr
            continue
    raise RuntimeError(f"Could not count {key}")


def hit(bucket: str, limit: int, period: int, *, amount: int = 1) -> Window:
    """Count ``amount`` requests in ``bucket``'s current window."""
    now = time.time()
    start, reset = _window(period, now)
    count = _incr(f"rl:{bucket}:{period}:{start}", period + 60, amount)
    return Window(limit=limit, count=count, reset=reset)


def peek(bucket: str, limit: int, period: int) -> Window:
    """The bucket's state without counting."""
    now = time.time()
    start, reset = _window(period, now)
    count = caches["default"].get(f"rl:{bucket}:{period}:{start}") or 0
    return Window(limit=limit, count=int(count), reset=reset)


def reset(bucket: str, period: int) -> None:
    """Forget the current window of ``bucket`` (a successful sign-in)."""
    start, _ = _window(period, time.time())
    caches["default"].delete(f"rl:{bucket}:{period}:{start}")
