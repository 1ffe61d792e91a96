"""Fixed-window request counters in the Django cache, and the client address
they count anonymous callers and sign-ins by.

On Redis (REDIS_URL) each hit is one atomic ``INCR`` with the window's expiry set
in the same transaction; on local memory Django's ``incr`` holds the cache's
lock. Either way concurrent hits are counted exactly. Buckets are named by the
credential (token, key, OAuth client + user, session user) or, for anonymous
callers and sign-ins, by ``client_address``: the socket's address, or with
``TRUSTED_PROXIES`` set the address the outermost trusted proxy saw. A
``X-Forwarded-For`` the client wrote itself never names a bucket.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
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


@functools.cache
def _redis(location: str) -> redis.Redis:
    """One client (and pool) per Redis URL for the counters. Django's cache
    makes a new client per call, and a redis-py client builds its table of
    ~170 reply handlers when it is made: more than the round trip itself
    costs, on every request."""
    return redis.Redis.from_url(location)


def _location(alias: str = "default") -> str:
    location = settings.CACHES[alias]["LOCATION"]
    if isinstance(location, list | tuple):
        return location[0]  # the server Django's RedisCache writes to
    return location.split(",")[0]


def _incr(key: str, timeout: int, amount: int) -> int:
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        full_key = backend.make_and_validate_key(key)
        pipe = _redis(_location()).pipeline(transaction=True)  # MULTI … EXEC
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


def client_address(meta: Mapping[str, Any]) -> str:
    """The client's address for a request's ``META``.

    With ``TRUSTED_PROXIES`` = N > 0, each of the N proxies in front of the
    app appends the address it was called from to ``X-Forwarded-For``, so the
    Nth entry from the right is the one the outermost proxy saw: entries left
    of it are the client's own say. A header with fewer entries, or an entry
    that is no IP address, falls back to the socket's address, as does N = 0
    (no proxy: the header is ignored).
    """
    remote = str(meta.get("REMOTE_ADDR", ""))
    proxies = settings.TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    hops = [
        hop.strip()
        for hop in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",")
        if hop.strip()
    ]
    if len(hops) < proxies:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-proxies]))
    except ValueError:
        return remote
