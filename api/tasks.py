"""Periodic upkeep of the API's own rows."""

from celery import shared_task

from api.common import idempotency


@shared_task(name="api.purge_idempotency_keys", soft_time_limit=300, time_limit=360)
def purge_idempotency_keys() -> int:
    """Delete Idempotency-Keys past their 24 hours. Safe to run twice."""
    return idempotency.purge_expired()
