"""The sign-in throttle, one for every way in with a password: the browser's
``/login/``, the admin's ``/admin/login/`` and ``POST /api/v1/auth/token``.

Each attempt counts in two fixed windows of ``API_LOGIN_FAILURE_WINDOW``
seconds: one per email (``API_LOGIN_FAILURES_PER_USER``) and one per client
address (``API_LOGIN_FAILURES_PER_IP``). Once either is spent every attempt is
refused, the right password too, until the window ends; a successful sign-in
clears the email's window and gives its attempt back to the address's.
"""

from __future__ import annotations

import hashlib
import math

from django.conf import settings

from accounts import errors, ratelimit


def _buckets(email: str, address: str) -> tuple[tuple[str, int], tuple[str, int]]:
    # Hashed: the cache need not hold the email addresses people typed.
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return (
        (f"login:user:{digest}", settings.API_LOGIN_FAILURES_PER_USER),
        (f"login:ip:{address}", settings.API_LOGIN_FAILURES_PER_IP),
    )


def attempt(email: str, address: str) -> None:
    """Count one sign-in attempt; RateLimited when its email or its address
    has no attempt left in this window."""
    window = settings.API_LOGIN_FAILURE_WINDOW
    for bucket, limit in _buckets(email, address):
        counted = ratelimit.hit(bucket, limit, window)
        if counted.exceeded:
            wait = counted.retry_after()
            minutes = math.ceil(wait / 60)
            raise errors.RateLimited(
                "Too many failed sign-ins. Try again in "
                f"{minutes} minute{'' if minutes == 1 else 's'}.",
                retry_after=wait,
            )


def succeeded(email: str, address: str) -> None:
    """The attempt signed in: it does not count against anyone."""
    window = settings.API_LOGIN_FAILURE_WINDOW
    (per_user, _), (per_ip, limit) = _buckets(email, address)
    ratelimit.reset(per_user, window)
    ratelimit.hit(per_ip, limit, window, amount=-1)
