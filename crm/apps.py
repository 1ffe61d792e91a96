from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = "CRM"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the tasks in every process, so that without a broker (tasks
        # run in-process) a job submitted on commit finds crm.run_job by name.
        from crm import tasks  # noqa: F401
