"""CRM work run by Celery (or in-process without a broker).

- ``crm.purge_recycle_bin`` (beat): purge recycle-bin batches past retention.
- ``crm.run_job``: run a bulk, import or export job from its checkpoint.
- ``crm.sweep_jobs`` (beat): send again the jobs whose worker died.
- ``crm.purge_jobs`` (beat): delete finished jobs past retention.
- ``crm.build_index``: build the expression index of an indexed custom field.
"""

from uuid import UUID

from celery import shared_task
from django.conf import settings

from accounts.models import Workspace
from crm import job_runner, jobs, records
from crm.query import indexes


@shared_task(name="crm.purge_recycle_bin", soft_time_limit=1800, time_limit=1900)
def purge_recycle_bin() -> int:
    """Purge every recycle-bin batch past the retention period. Idempotent."""
    return records.purge_expired()


@shared_task(bind=True, name=jobs.RUN_TASK, soft_time_limit=300, time_limit=330)
def run_job(self, job_id: str) -> None:
    """Run a job for up to JOB_TASK_BUDGET_SECONDS, then send it again if it
    is not done (in-process: to the end). Safe to run twice: the claim is
    atomic and each chunk commits with the checkpoint."""
    budget = None if self.request.is_eager else settings.JOB_TASK_BUDGET_SECONDS
    if job_runner.run(UUID(job_id), budget=budget):
        jobs.enqueue(UUID(job_id))


@shared_task(name="crm.sweep_jobs", soft_time_limit=60, time_limit=90)
def sweep_jobs() -> int:
    """Send again jobs whose lease expired or that no worker took."""
    return job_runner.sweep()


@shared_task(name="crm.purge_jobs", soft_time_limit=1800, time_limit=1900)
def purge_jobs() -> int:
    """Delete finished jobs past JOB_RETENTION_DAYS."""
    return job_runner.purge_expired()


@shared_task(name=indexes.BUILD_TASK, soft_time_limit=3600, time_limit=3700)
def build_index(workspace_id: str, object_name: str, field_name: str) -> bool:
    """Build one indexed custom field's index if it is missing. Idempotent."""
    workspace = Workspace.objects.filter(pk=UUID(workspace_id)).first()
    if workspace is None:
        return False
    return indexes.ensure(workspace, object_name, field_name)
