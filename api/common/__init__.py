"""What every API dialect shares: authentication, scopes, the error envelope,
request ids, rate limits, idempotency, orjson rendering and the base view."""
