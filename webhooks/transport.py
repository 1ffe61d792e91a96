"""One HTTP POST of one delivery: guarded, bounded in time, never raising.

A process-wide httpx transport keeps connections alive per host. Its network
backend resolves each host itself, checks every address with the SSRF guard
and connects to a checked one, so the name is never resolved a second time;
the URL keeps its host, so ``Host`` and TLS SNI/certificate checks are those
of the name. Redirects are not followed. The connect timeout is 5 s and the
whole attempt (connect, send, answer) is cut off at 15 s: every socket read and
write waits at most for what is left of that budget.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import os
import threading
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpcore
import httpx

from webhooks import guard

logger = logging.getLogger("webhooks")

CONNECT_TIMEOUT = 5.0
TOTAL_TIMEOUT = 15.0
#: Bytes of the answer kept in the delivery log.
EXCERPT_BYTES = 1024
USER_AGENT = "HotCRM-Webhooks/1.0"
RETRYABLE = frozenset({408, 429})

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "webhook_deadline", default=None
)


def _budget(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` cut to what is left of the attempt's total time."""
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error(f"The attempt took longer than {TOTAL_TIMEOUT:g} s.")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    """A socket stream whose reads and writes respect the attempt's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _budget(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _budget(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        inner = self._inner.start_tls(
            ssl_context, server_hostname, _budget(timeout, httpcore.ConnectTimeout)
        )
        return _Stream(inner)

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """Resolve, check every address, connect to a checked one."""

    def __init__(self) -> None:
        self._sync = httpcore.SyncBackend()

    def connect_tcp(
        self, host, port, timeout=None, local_address=None, socket_options=None
    ):
        addresses = guard.connect_addresses(host, port)
        failure: Exception | None = None
        for ip in addresses:
            try:
                stream = self._sync.connect_tcp(
                    str(ip),
                    port,
                    _budget(timeout, httpcore.ConnectTimeout),
                    local_address,
                    socket_options,
                )
            except httpcore.ConnectError as exc:
                failure = exc
                continue
            return _Stream(stream)
        raise failure or httpcore.ConnectError(f"Could not connect to {host}.")

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise guard.Refused("Webhooks do not call Unix sockets.")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport on the guarded backend, without proxies (its parent
    builds a pool on the default backend; this one replaces it)."""

    def __init__(self, *, limits: httpx.Limits, verify=True) -> None:
        super().__init__(limits=limits, trust_env=False, verify=verify)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(),
        )


_transport: GuardedTransport | None = None
_lock = threading.Lock()
_TIMEOUTS = {
    "connect": CONNECT_TIMEOUT,
    "read": TOTAL_TIMEOUT,
    "write": TOTAL_TIMEOUT,
    "pool": CONNECT_TIMEOUT,
}
_HEADERS = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}


def pool() -> GuardedTransport:
    """The process's connection pool (made on first use, again after a fork).
    Requests go to the transport directly: httpx's Client adds cookies, hooks
    and redirect handling that a webhook does not want, at a third of the
    throughput."""
    global _transport
    with _lock:
        if _transport is None:
            _transport = GuardedTransport(
                limits=httpx.Limits(
                    max_connections=200,
                    max_keepalive_connections=100,
                    keepalive_expiry=30,
                )
            )
        return _transport


def _forget_pool() -> None:
    global _transport, _lock
    _transport, _lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to."""

    status_code: int | None
    duration_ms: int
    excerpt: str = ""
    error: str = ""
    retry_after: float | None = None
    #: The SSRF guard refused the connection: not worth retrying.
    refused: bool = False

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        return self.status_code == 410

    @property
    def retryable(self) -> bool:
        """Timeouts, network errors, redirects, 408, 429 and 5xx are worth
        another try; any other 4xx and a refusal are final."""
        code = self.status_code
        if code is None:
            return not self.refused
        return code in RETRYABLE or code >= 500 or 300 <= code < 400


def retry_after(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delta or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _excerpt(response: httpx.Response) -> str:
    kept = bytearray()
    for chunk in response.iter_bytes():
        kept += chunk
        if len(kept) >= EXCERPT_BYTES:
            break
    return bytes(kept[:EXCERPT_BYTES]).decode("utf-8", "replace")


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST ``body`` to ``url`` once. Never raises: failures are outcomes."""
    started = time.monotonic()
    token = _deadline.set(started + TOTAL_TIMEOUT)

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        _scheme, host, _port = guard.split(url)
        guard.literal(host)  # odd numeric forms never reach the URL parser
        request = httpx.Request(
            "POST",
            url,
            content=body,
            headers={**_HEADERS, **headers},
            extensions={"timeout": _TIMEOUTS},
        )
        answer = pool().handle_request(request)
        try:
            excerpt = _excerpt(answer)
        finally:
            answer.close()
        status = answer.status_code
        error = ""
        if 300 <= status < 400:
            where = answer.headers.get("location", "")[:200]
            error = f"Redirects are not followed (to {where or 'nowhere'})."
        return Outcome(
            status,
            took(),
            excerpt,
            error,
            retry_after(answer.headers.get("retry-after")),
        )
    except guard.Refused as exc:
        return Outcome(None, took(), error=exc.message[:500], refused=True)
    except httpx.InvalidURL as exc:
        return Outcome(None, took(), error=f"Invalid URL: {exc}"[:500], refused=True)
    except httpx.TimeoutException as exc:
        return Outcome(
            None, took(), error=f"Timed out: {str(exc) or 'no answer'}"[:500]
        )
    except httpx.HTTPError as exc:
        return Outcome(None, took(), error=f"{type(exc).__name__}: {exc}"[:500])
    except Exception as exc:
        logger.exception("Unexpected failure posting a webhook to %s", url)
        return Outcome(None, took(), error=f"{type(exc).__name__}: {exc}"[:500])
    finally:
        _deadline.reset(token)
