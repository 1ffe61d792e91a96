"""Periodic CRM work run by Celery (or in-process without a broker)."""

from celery import shared_task

from crm import records


@shared_task(name="crm.purge_recycle_bin", soft_time_limit=1800, time_limit=1900)
def purge_recycle_bin() -> int:
    """Purge every recycle-bin batch past the retention period. Idempotent."""
    return records.purge_expired()
