"""The Celery side: reliable settings, the beat schedule, stable task names,
and the periodic tasks doing their jobs."""

from __future__ import annotations

import datetime as dt

import pytest
from celery import current_app
from django.conf import settings
from django.utils import timezone

from crm import records
from tests.webhooks.conftest import subscribe
from webhooks import queue
from webhooks.models import Delivery, PublishedEvent

TASKS = {
    "webhooks.dispatch",
    "webhooks.deliver",
    "webhooks.send_due",
    "webhooks.sweep",
    "webhooks.check_failing",
    "webhooks.purge",
}


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run a beat entry's task in-process, as the worker would, with what it
    queues after its commits."""

    def run(entry_name: str):
        entry = settings.CELERY_BEAT_SCHEDULE[entry_name]
        task = current_app.tasks[entry["task"]]
        with django_capture_on_commit_callbacks(execute=True):
            return task.apply(kwargs=entry.get("kwargs", {})).get()

    return run


def test_celery_is_configured_for_reliability():
    conf = current_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_ignore_result is True
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.broker_transport_options["visibility_timeout"] == 3600
    for name in TASKS:
        task = current_app.tasks[name]
        assert task.time_limit < conf.broker_transport_options["visibility_timeout"]


def test_the_beat_schedule_runs_the_sweeps_with_expiry():
    schedule = settings.CELERY_BEAT_SCHEDULE
    for name in ("webhooks.dispatch", "webhooks.sweep", "webhooks.check_failing"):
        entry = schedule[name]
        assert entry["task"] in current_app.tasks
        assert 0 < entry["options"]["expires"] < entry["schedule"]
    assert schedule["webhooks.dispatch"]["kwargs"] == {"sweep": True}
    assert set(current_app.tasks) >= TASKS
    assert queue.DISPATCH == "webhooks.dispatch"


def test_the_beat_dispatch_catches_events_whose_trigger_was_lost(ctx, receiver, run):
    subscribe(ctx, receiver, object_name="account", events=["created"])
    records.create(ctx, "account", data={"name": "Acme"})  # never committed
    assert not Delivery.objects.exists()
    assert run("webhooks.dispatch") == 1
    [got] = receiver.wait_for(1)
    assert got.payload["event"] == "account.created"
    assert Delivery.objects.get().status == "succeeded"


def test_the_beat_sweep_sends_due_retries(ctx, receiver, run):
    subscribe(ctx, receiver, object_name="account", events=["created"])
    receiver.answer(503)
    records.create(ctx, "account", data={"name": "Acme"})
    run("webhooks.dispatch")
    delivery = Delivery.objects.get()
    assert delivery.status == "pending"
    Delivery.objects.update(next_attempt_at=timezone.now())
    assert run("webhooks.sweep") == 1
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert delivery.attempts == 2


def test_the_failing_check_disables_what_failed_too_long(ctx, receiver, run):
    hook = subscribe(ctx, receiver)
    hook.failing_since = timezone.now() - dt.timedelta(days=6)
    hook.save()
    assert run("webhooks.check_failing") == 1
    hook.refresh_from_db()
    assert hook.is_active is False


def test_the_purge_drops_old_logs_and_stream_entries(ctx, receiver, run):
    subscribe(ctx, receiver, object_name="account", events=["created"])
    records.create(ctx, "account", data={"name": "Old"})
    records.create(ctx, "account", data={"name": "New"})
    run("webhooks.dispatch")
    old = Delivery.objects.order_by("pk").first()
    long_ago = timezone.now() - dt.timedelta(days=60)
    Delivery.objects.filter(pk=old.pk).update(completed_at=long_ago)
    PublishedEvent.objects.filter(event_id=old.event_id).update(published_at=long_ago)
    assert run("webhooks.purge") == 2
    assert Delivery.objects.count() == 1
    assert PublishedEvent.objects.count() == 1


def test_beat_on_the_database_scheduler_keeps_each_entrys_expiry(db):
    from django_celery_beat.schedulers import ModelEntry

    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        stored = ModelEntry.from_entry(name, app=current_app, **entry)
        assert stored.model.expire_seconds == entry["options"]["expires"]
        assert stored.options["expires"] == entry["options"]["expires"]
        assert stored.kwargs == entry.get("kwargs", {})
