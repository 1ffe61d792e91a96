"""A real Celery worker process for the tests (and the bulk benchmark): it
runs against the database this process uses (the pytest-django test database)
and a real Redis broker, on a queue of its own, so runs sharing a Redis never
mix. Needs PostgreSQL (the worker is another process) and REDIS_URL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def needs_services() -> None:
    """Skip the test without PostgreSQL and Redis; fail it instead when
    HOTCRM_REQUIRE_SERVICES is set (CI)."""
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


def database_url() -> str:
    """The URL of the database this process uses now (the test database's
    name once pytest-django has made it)."""
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{quote(db['USER'])}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


class Worker:
    """``celery -A config worker`` on ``queue``, started and waited for."""

    def __init__(self, queue: str, env: dict[str, str] | None = None) -> None:
        self.queue = queue
        self.lines: list[str] = []
        self.ready = threading.Event()
        environment = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_QUEUE": queue,
            "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            **(env or {}),
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
                f"{queue}-{os.getpid()}-{id(self)}@%h",
                "--pool=threads",
                "--concurrency=4",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=environment,
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

    def kill(self) -> None:
        """``kill -9``: no shutdown, no acknowledgement, no rollback by Celery
        (the database rolls back the open transaction when the connection
        drops)."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self, *, purge: bool = True) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if purge:
            client = redis.Redis.from_url(settings.REDIS_URL)
            for key in client.scan_iter(match=f"*{self.queue}*"):
                client.delete(key)
