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
import os
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from celery import current_app
from django.conf import settings
from django.db import connection

from crm import records
from crm.models import OutboxEvent
from tests.webhooks.conftest import subscribe
from webhooks.models import Delivery

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parents[2]
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


def _needs_services() -> None:
    engine = settings.DATABASES["default"]["ENGINE"]
    missing = []
    if not settings.REDIS_URL:
        missing.append("REDIS_URL")
    if "postgresql" not in engine:
        missing.append("DATABASE_URL (PostgreSQL)")
    if missing:
        message = f"a real Celery worker needs {' and '.join(missing)}"
        if settings.REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)


def _database_url() -> str:
    db = connection.settings_dict  # NAME is the test database's by now
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{quote(db['USER'])}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


class Worker:
    def __init__(self, queue: str) -> None:
        self.queue = queue
        self.lines: list[str] = []
        self.ready = threading.Event()
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_QUEUE": queue,
            "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-l",
                "info",
                "-Q",
                queue,
                "-n",
                f"{queue}@%h",
                "--pool=threads",
                "--concurrency=4",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        if not self.ready.wait(60):
            self.stop()
            raise RuntimeError("The Celery worker did not start:\n" + self.log())

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)
            if " ready." in line:
                self.ready.set()

    def log(self) -> str:
        return "".join(self.lines[-80:])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        client = redis.Redis.from_url(settings.REDIS_URL)
        for key in client.scan_iter(match=f"*{self.queue}*"):
            client.delete(key)


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker):
    _needs_services()
    worker = Worker(f"hotcrm-test-{uuid.uuid4().hex[:12]}")
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
        ctx, "contract", data={"name": "Master", "account": account.pk}
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
    assert "Triggering webhooks.dispatch failed" in caplog.text
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
