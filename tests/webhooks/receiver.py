"""A real HTTP receiver on 127.0.0.1 for the webhook tests.

It keeps alive connections (HTTP/1.1), verifies both signature schemes on
every request — ``X-Signature`` by hand, Standard Webhooks with the
``standardwebhooks`` library — and answers from a plan: a status, headers, a
delay (to time out), or the default 200 once the plan is used up.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"ok": true}'
    delay: float = 0.0


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    x_signature_ok: bool
    standard_ok: bool
    answered: int

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


def x_signature_ok(value: str, body: bytes, secret: str, tolerance=300) -> bool:
    """The documented check, written independently of webhooks.signing."""
    parts = [p.split("=", 1) for p in value.split(",") if "=" in p]
    stamps = [v for k, v in parts if k == "t"]
    if not stamps or abs(time.time() - int(stamps[0])) > tolerance:
        return False
    signed = stamps[0].encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, v) for k, v in parts if k == "v1")


def standard_ok(headers: dict[str, str], body: bytes, secret: str) -> bool:
    key = secret if secret.startswith("whsec_") else secret.encode()
    try:
        Webhook(key).verify(body, headers, json_parse=False)
    except WebhookVerificationError:
        return False
    return True


class Receiver:
    def __init__(self) -> None:
        self.secret: str | None = None
        self.signature_header = "X-Signature"
        self.received: list[Received] = []
        self.plan: deque[Answer] = deque()
        self._lock = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                answer = receiver._next()
                headers = {k.lower(): v for k, v in self.headers.items()}
                secret = receiver.secret
                x_ok = bool(secret) and x_signature_ok(
                    headers.get(receiver.signature_header.lower(), ""), body, secret
                )
                std_ok = bool(secret) and standard_ok(headers, body, secret)
                if answer.delay:
                    time.sleep(answer.delay)
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except OSError:
                    pass
                receiver._record(
                    Received(self.path, headers, body, x_ok, std_ok, answer.status)
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, args=(0.02,), daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hook"

    def answer(self, *answers: Answer | int) -> None:
        """Queue answers for the next requests (an int is a bare status)."""
        with self._lock:
            for item in answers:
                self.plan.append(Answer(item) if isinstance(item, int) else item)

    def _next(self) -> Answer:
        with self._lock:
            return self.plan.popleft() if self.plan else Answer()

    def _record(self, item: Received) -> None:
        with self._lock:
            self.received.append(item)
            self._lock.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"expected {count} webhook requests, got {len(self.received)}"
                    )
                self._lock.wait(left)
            return list(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
