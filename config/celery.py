"""The Celery app. Tasks are found in every installed app's tasks module."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("hotcrm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
