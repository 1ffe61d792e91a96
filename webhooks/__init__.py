"""Webhook subscriptions, the dispatch of outbox events, signed deliveries
with retries kept in the database, and the event stream.

A receiver verifies a delivery like this (Python; any HMAC-SHA256 will do)::

    import hashlib, hmac, time

    def verify(body: bytes, header: str, secret: str) -> bool:
        parts = [p.split("=", 1) for p in header.split(",")]
        stamp = next(v for k, v in parts if k == "t")
        if abs(time.time() - int(stamp)) > 300:  # the ±5-minute replay window
            return False
        signed = f"{stamp}.".encode() + body
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        return any(hmac.compare_digest(expected, v) for k, v in parts if k == "v1")

or with the Standard Webhooks headers: ``standardwebhooks.Webhook(secret)
.verify(body, headers)`` (``Webhook(secret.encode())`` for a secret chosen
without the ``whsec_`` prefix). De-duplicate on ``webhook-id`` (= ``event_id``).
"""
