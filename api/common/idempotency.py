"""``Idempotency-Key`` on POST: a retry gets the first response.

The first request claims the key by inserting its row (the unique constraint
decides between racers; the insert commits on its own, before the work). A
request that finds the row replays the stored response, or answers 409 while
the first still runs, or 422 when the key came with a different request. A
response of 5xx frees the key so the client may retry; a claim whose request
died is taken over after ``LEASE``. Rows live ``API_IDEMPOTENCY_TTL`` seconds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

import orjson
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from rest_framework import exceptions

from api.common import errors
from api.models import IdempotencyKey

HEADER = "Idempotency-Key"
#: A claim older than this whose request never finished is taken over.
LEASE = dt.timedelta(minutes=5)
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
#: What a replay repeats of the first response's headers.
KEPT_HEADERS = ("Location", "ETag", "Last-Modified", "Deprecation", "Sunset", "Link")


@dataclass
class Claim:
    """The row this request owns until ``finish``."""

    pk: int

    def finish(self, response) -> None:
        """Keep the response for replays; a server error frees the key."""
        if response.status_code >= 500:
            self.release()
            return
        IdempotencyKey.objects.filter(pk=self.pk).update(
            status_code=response.status_code,
            content=bytes(response.content),
            content_type=response.get("Content-Type", "application/json"),
            headers={k: response[k] for k in KEPT_HEADERS if response.has_header(k)},
        )

    def release(self) -> None:
        IdempotencyKey.objects.filter(pk=self.pk, status_code__isnull=True).delete()


def fingerprint(method: str, path: str, data) -> str:
    """The request as far as idempotency cares: method, path (with or without
    its trailing slash, which routes alike) and parsed body."""
    body = orjson.dumps(data, option=orjson.OPT_SORT_KEYS, default=str)
    route = path.rstrip("/") or "/"
    return hashlib.sha256(f"{method} {route}\n".encode() + body).hexdigest()


def _replay(row: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(
        bytes(row.content), status=row.status_code, content_type=row.content_type
    )
    for name, value in row.headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def begin(workspace, principal: str, key: str, print_: str) -> Claim | HttpResponse:
    """Claim ``key`` for this request, or the stored response to replay.

    Raises RequestInProgress (409) or IdempotencyKeyReused (422).
    """
    if not _KEY.match(key):
        raise exceptions.ValidationError(
            {HEADER: "Use 1 to 255 printable ASCII characters, without spaces."}
        )
    for _ in range(3):
        now = timezone.now()
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(
                    workspace=workspace,
                    principal=principal,
                    key=key,
                    fingerprint=print_,
                    created_at=now,
                    expires_at=now + dt.timedelta(seconds=settings.API_IDEMPOTENCY_TTL),
                )
            return Claim(row.pk)
        except IntegrityError:
            pass
        row = IdempotencyKey.objects.filter(
            workspace=workspace, principal=principal, key=key
        ).first()
        if row is None:
            continue  # freed in between: try to claim again
        stale = row.status_code is None and row.created_at < now - LEASE
        if row.expires_at <= now or stale:
            IdempotencyKey.objects.filter(pk=row.pk).delete()
            continue
        if row.fingerprint != print_:
            raise errors.IdempotencyKeyReused()
        if row.status_code is None:
            raise errors.RequestInProgress()
        return _replay(row)
    raise errors.RequestInProgress()


def purge_expired(now: dt.datetime | None = None) -> int:
    """Delete keys past their time; returns how many."""
    deleted, _ = IdempotencyKey.objects.filter(
        expires_at__lte=now or timezone.now()
    ).delete()
    return deleted
