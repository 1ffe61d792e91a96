"""Webhook deliveries per second to a local receiver, through the real path.

    .venv/bin/python bench/webhooks_bench.py [--deliveries 5000] [--concurrency 8]

What is timed: claim (an atomic UPDATE per batch), signing (both schemes),
the POST over kept-alive connections of the guarded httpx client, and the
outcome write — ``webhooks.deliveries.send_due`` in a loop, as the
``webhooks.send_due`` task runs it. Not timed: making the events and
dispatching them (reported separately). The receiver is another process
(asyncio, HTTP/1.1 keep-alive) that checks every X-Signature.

A local receiver makes sending CPU-bound, and on a small machine fewer
threads then do better (``--concurrency``, i.e. WEBHOOK_CONCURRENCY, default
here 8); a remote receiver keeps threads waiting, which is what the setting's
default of 16 is for.

Runs in a scratch database, created and dropped here: ``<name>_webhooks_bench``
next to DATABASE_URL's (PostgreSQL), or a temporary SQLite file. Target: >= 1,000/s.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["WEBHOOK_ALLOWED_HOSTS"] = "127.0.0.1"
os.environ["LOG_LEVEL"] = "WARNING"
if not os.environ.get("DATABASE_URL"):
    _scratch = Path(tempfile.mkdtemp()) / "bench.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{_scratch}"


def receive(port_out, counts, secret: str) -> None:
    """The receiver process: answer 200 to every POST, count bad signatures."""

    async def handle(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                headers = {}
                for line in head.decode().split("\r\n")[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", 0)))
                parts = dict(p.split("=", 1) for p in headers["x-signature"].split(","))
                expected = hmac.new(
                    secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256
                ).hexdigest()
                with counts.get_lock():
                    counts[0] += 1
                    counts[1] += not hmac.compare_digest(expected, parts["v1"])
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=512)
        port_out.value = server.sockets[0].getsockname()[1]
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def run(total: int) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from crm import records, workspaces
    from crm.models import OutboxEvent
    from crm.records import outbox
    from webhooks import deliveries, dispatch, queue, services
    from webhooks.models import Delivery

    # This process is the worker: nothing goes to a broker.
    queue.send = lambda name, args=(): True
    outbox._trigger_dispatch = lambda: None
    test = connection.settings_dict.setdefault("TEST", {})
    if connection.vendor == "postgresql":
        test["NAME"] = f"{connection.settings_dict['NAME']}_webhooks_bench"
    old_name = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, serialize=False
    )
    receiver = None
    try:
        port, counts = multiprocessing.Value("i", 0), multiprocessing.Array("i", 2)
        workspace, owner = workspaces.create(
            "Bench", email="bench@example.com", password="bench-password-1"
        )
        from accounts import access

        ctx = access.context_for_user(owner, workspace)
        secret = "bench-secret"
        receiver = multiprocessing.Process(
            target=receive, args=(port, counts, secret), daemon=True
        )
        receiver.start()
        while not port.value:
            time.sleep(0.01)
        services.create(
            ctx,
            name="Bench",
            object_name="account",
            url=f"http://127.0.0.1:{port.value}/hook",
            secret=secret,
        )
        account = records.create(ctx, "account", data={"name": "Acme"})
        template = OutboxEvent.objects.get(record_id=account.pk)
        now = timezone.now()
        OutboxEvent.objects.bulk_create(
            [
                OutboxEvent(
                    workspace=workspace,
                    object_name="account",
                    record_id=account.pk,
                    event="updated",
                    before=template.after,
                    after=template.after,
                    user=owner,
                    occurred_at=now,
                )
                for _ in range(total - 1)
            ],
            batch_size=1000,
        )
        started = time.perf_counter()
        made = dispatch.run_all(budget=600).deliveries
        dispatched = time.perf_counter() - started
        assert made == total, made
        warm = deliveries.send_due(limit=10)  # opens the kept-alive connections
        started = time.perf_counter()
        sent = deliveries.send_due(budget=600)
        elapsed = time.perf_counter() - started
        ok = Delivery.objects.filter(status="succeeded").count()
        print(f"database:    {connection.vendor}")
        print(f"concurrency: {settings.WEBHOOK_CONCURRENCY} threads")
        print(f"dispatch:    {total} events → {made} deliveries in {dispatched:.2f} s")
        print(f"deliveries:  {sent} in {elapsed:.2f} s (after {warm} to warm up)")
        print(f"rate:        {sent / elapsed:,.0f} deliveries/s")
        print(f"succeeded:   {ok}/{total}")
        print(f"receiver:    {counts[0]} requests, {counts[1]} bad signatures")
    finally:
        if receiver is not None:
            receiver.terminate()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deliveries", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=8)
    options = parser.parse_args()
    os.environ["WEBHOOK_CONCURRENCY"] = str(options.concurrency)
    run(options.deliveries)
