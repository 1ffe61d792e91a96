"""Signatures on every delivery, in two schemes a receiver may choose from.

``X-Signature: t=<unix time>,v1=<hex>``: HMAC-SHA256 keyed with the secret as
given (UTF-8) over ``"<t>.<raw body>"``. During a rotation's overlap there is
one ``v1=`` per valid secret.

Standard Webhooks (https://www.standardwebhooks.com): ``webhook-id`` (the same
on every attempt), ``webhook-timestamp`` and ``webhook-signature: v1,<base64>``
(space-separated, one per valid secret) over ``"<id>.<timestamp>.<body>"``.
The key is the base64 part of a ``whsec_…`` secret (pass the secret to
``standardwebhooks.Webhook`` as is), or the UTF-8 bytes of a secret chosen
freely (pass ``Webhook(secret.encode())``).

Receivers should refuse a timestamp more than five minutes from their clock.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as random
import time
from collections.abc import Sequence

PREFIX = "whsec_"
#: Bytes of randomness in a generated secret.
SECRET_BYTES = 32
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    """A random secret in the Standard Webhooks form (``whsec_`` + base64)."""
    return PREFIX + base64.b64encode(random.token_bytes(SECRET_BYTES)).decode()


def standard_key(secret: str) -> bytes:
    """The HMAC key of the Standard Webhooks scheme for ``secret``."""
    if secret.startswith(PREFIX):
        try:
            return base64.b64decode(secret[len(PREFIX) :] + "==", validate=False)
        except (binascii.Error, ValueError):
            pass
    return secret.encode()


def _hmac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def x_signature(secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    """The ``X-Signature`` header value."""
    signed = f"{timestamp}.".encode() + body
    parts = [f"t={timestamp}"]
    parts += [f"v1={_hmac(s.encode(), signed).hex()}" for s in secrets]
    return ",".join(parts)


def standard_signature(
    secrets: Sequence[str], message_id: str, timestamp: int, body: bytes
) -> str:
    """The ``webhook-signature`` header value."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    return " ".join(
        "v1," + base64.b64encode(_hmac(standard_key(s), signed)).decode()
        for s in secrets
    )


def headers(
    *,
    secrets: Sequence[str],
    message_id: str,
    body: bytes,
    header: str = "X-Signature",
    timestamp: int | None = None,
) -> dict[str, str]:
    """Every header of one attempt, signed with each of ``secrets``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        header: x_signature(secrets, timestamp, body),
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard_signature(secrets, message_id, timestamp, body),
    }


def verify(
    header_value: str,
    body: bytes,
    secret: str,
    *,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """Whether an ``X-Signature`` value is valid for ``body`` and ``secret``
    and recent. What a receiver runs; the tests use it too."""
    fields: dict[str, list[str]] = {}
    for part in header_value.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    expected = _hmac(secret.encode(), f"{timestamp}.".encode() + body).hex()
    return any(hmac.compare_digest(expected, v) for v in fields.get("v1", []))
