from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the tasks in every process, so that without a broker (tasks
        # run in-process) the lifecycle's on-commit trigger finds them by name.
        from webhooks import tasks  # noqa: F401
