"""End to end through a real Redis broker and a real Celery worker process
that this suite starts, against the pytest-django test database: a committed
change reaches the receiver, and changes made while the broker cannot be
reached are delivered once the beat's sweep runs.

Needs PostgreSQL (the worker is another process) and REDIS_URL; skipped
otherwise, and failing instead when HOTCRM_REQUIRE_SERVICES is set (CI). The
worker listens on a queue of its own, so runs sharing a Redis never mix.
"""

from __future__ import annotations

import logging
import time
import uuid
from contextlib import contextmanager

import pytest
from celery import current_app
from django.conf import settings

from crm import records
from crm.models import OutboxEvent
from tests import workers
from tests.webhooks.conftest import subscribe
from webhooks.models import Delivery

pytestmark = pytest.mark.services

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker):
    workers.needs_services()
    worker = workers.Worker(f"hotcrm-test-{uuid.uuid4().hex[:12]}")
    yield worker
    worker.stop()


def _reset_producers() -> None:
    """Forget the cached pools; kombu keeps one per broker URL and hands the
    right one back on next use."""
    current_app._pool = None
    current_app.amqp._producer_pool = None


@contextmanager
def _broker(url: str):
    """Point this process (not the worker) at another broker for a while."""
    conf = current_app.conf
    saved = conf.broker_url
    conf.broker_url = url
    _reset_producers()
    try:
        yield
    finally:
        conf.broker_url = saved
        _reset_producers()


@pytest.fixture
def via_worker(celery_worker, transactional_db):
    """Tasks leave this process for the worker's queue."""
    conf = current_app.conf
    saved = conf.task_always_eager, conf.task_default_queue
    conf.task_always_eager = False
    conf.task_default_queue = celery_worker.queue
    yield celery_worker
    conf.task_always_eager, conf.task_default_queue = saved


def _wait_for(receiver, count, worker, timeout=30.0):
    try:
        return receiver.wait_for(count, timeout)
    except AssertionError as exc:
        raise AssertionError(
            f"{count} deliveries expected; worker log:\n" + worker.log()
        ) from exc


def test_a_committed_change_is_delivered_by_the_worker(ctx, receiver, via_worker):
    subscribe(ctx, receiver, events=["updated"], filter=[["status", "=", "activated"]])
    account = records.create(ctx, "account", data={"name": "Acme"})
    contract = records.create(
        ctx,
        "contract",
        data={"name": "Master", "account": account.pk, "status": "in_approval"},
    )
    records.update(ctx, "contract", contract.pk, data={"status": "activated"})
    [got] = _wait_for(receiver, 1, via_worker)
    assert got.payload["event"] == "contract.updated"
    assert got.payload["record_id"] == f"ctr_{contract.pk.hex}"
    assert got.x_signature_ok
    assert got.standard_ok
    deadline = time.monotonic() + 10
    while Delivery.objects.get().status != "succeeded":
        assert time.monotonic() < deadline, via_worker.log()
        time.sleep(0.05)


def test_changes_made_while_the_broker_is_down_are_delivered_by_the_sweep(
    ctx, receiver, via_worker, caplog
):
    subscribe(ctx, receiver, object_name="account", events=["created"])
    caplog.set_level(logging.WARNING, logger="crm")
    with _broker(UNREACHABLE_BROKER):
        started = time.monotonic()
        made = [
            records.create(ctx, "account", data={"name": f"Offline {n}"})
            for n in range(3)
        ]
        assert time.monotonic() - started < 10  # the writes do not hang
    assert OutboxEvent.objects.filter(event="created").count() == 3
    assert "Could not send the task webhooks.dispatch" in caplog.text
    time.sleep(0.5)
    assert receiver.received == []
    assert not Delivery.objects.exists()
    # The broker is back: what beat sends every 30 s picks the events up.
    entry = settings.CELERY_BEAT_SCHEDULE["webhooks.dispatch"]
    current_app.send_task(entry["task"], kwargs=entry["kwargs"], **entry["options"])
    got = _wait_for(receiver, 3, via_worker)
    assert sorted(r.payload["record_id"] for r in got) == sorted(
        f"acc_{a.pk.hex}" for a in made
    )
    assert all(r.x_signature_ok and r.standard_ok for r in got)
