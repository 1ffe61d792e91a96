"""The event stream: the workspace's published events, in order, that the
caller may read.

Entries are ``PublishedEvent`` rows, whose ``seq`` grows in commit order, so
a cursor never skips an event that commits late. An event appears once the
dispatcher has handled it (right after its commit, or at the next sweep if
the broker was down). The caller sees events of objects it may read, and of
records it may read (live or in the recycle bin) where the object's sharing
is private. A cursor is signed and bound to the workspace; the position in
it is scrambled so it reveals nothing about other workspaces' volume.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core import signing
from django.db.models import Max
from django.utils.crypto import salted_hmac

from accounts import errors
from accounts.access import Action, Context
from crm.metadata import registry
from crm.query import visibility
from webhooks import payloads
from webhooks.models import PublishedEvent

_SALT = "webhooks.event_stream"
_MASK = (1 << 32) - 1


def _signer() -> signing.Signer:
    """Not timestamped: the same position always gives the same cursor."""
    return signing.Signer(salt=_SALT)


def _rounds(ctx: Context) -> list[int]:
    digest = salted_hmac(_SALT, str(ctx.workspace_id), algorithm="sha256").digest()
    return [int.from_bytes(digest[i : i + 4], "big") for i in range(0, 16, 4)]


def _feistel(value: int, keys: list[int]) -> int:
    """A keyed permutation of 64-bit numbers (its own inverse with the keys
    reversed)."""
    left, right = value >> 32, value & _MASK
    for key in keys:
        mixed = hashlib.blake2b(
            right.to_bytes(4, "big"), key=key.to_bytes(4, "big"), digest_size=4
        ).digest()
        left, right = right, left ^ int.from_bytes(mixed, "big")
    return (right << 32) | left


def encode_cursor(ctx: Context, seq: int) -> str:
    scrambled = _feistel(seq, _rounds(ctx))
    return _signer().sign_object([str(ctx.workspace_id), scrambled], compress=True)


def decode_cursor(ctx: Context, token: str) -> int:
    try:
        workspace, scrambled = _signer().unsign_object(token)
        if workspace != str(ctx.workspace_id):
            raise ValueError("another workspace")
        return _feistel(int(scrambled), list(reversed(_rounds(ctx))))
    except (signing.BadSignature, TypeError, ValueError):
        raise errors.ValidationFailed(
            "The cursor is not valid: pass back a cursor exactly as it was returned.",
            field="cursor",
        ) from None


@dataclass
class Batch:
    #: (cursor after the event, payload) in order.
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    cursor: str = ""
    has_more: bool = False


def latest(ctx: Context) -> str:
    """A cursor at the end of the stream (only what comes next)."""
    top = PublishedEvent.objects.aggregate(top=Max("seq"))["top"] or 0
    return encode_cursor(ctx, top)


def _visible(ctx: Context, types, entries: list[PublishedEvent]) -> set:
    """The record ids among ``entries`` the context may read."""
    by_object: dict[str, set] = defaultdict(set)
    for entry in entries:
        by_object[entry.event.object_name].add(entry.event.record_id)
    seen: set = set()
    for name, ids in by_object.items():
        object_type = types.find(name)
        if object_type is None:
            continue
        if ctx.can(object_type.api_name, Action.VIEW_ALL) or (
            visibility.default_access(ctx, object_type) != visibility.Access.PRIVATE
        ):
            seen |= ids
            continue
        for deleted in (False, True):
            seen |= set(
                visibility.readable(ctx, object_type, deleted=deleted)
                .filter(pk__in=ids)
                .values_list("pk", flat=True)
            )
    return seen


def read(
    ctx: Context,
    *,
    cursor: str | None,
    limit: int,
    objects: frozenset[str] | None = None,
    kinds: frozenset[str] | None = None,
) -> Batch:
    """The next events after ``cursor`` (from the start without one)."""
    after = decode_cursor(ctx, cursor) if cursor else 0
    types = registry.for_workspace(ctx.workspace)
    readable = {t.api_name for t in types.types if ctx.can(t.api_name, Action.READ)}
    if objects is not None:
        readable &= objects
    entries = list(
        PublishedEvent.objects.filter(
            workspace=ctx.workspace,
            seq__gt=after,
            event__object_name__in=sorted(readable),
            **({"event__event__in": sorted(kinds)} if kinds else {}),
        )
        .select_related("event")
        .order_by("seq")[: limit + 1]
    )
    has_more = len(entries) > limit
    entries = entries[:limit]
    batch = Batch(cursor=encode_cursor(ctx, entries[-1].seq if entries else after))
    batch.has_more = has_more
    seen = _visible(ctx, types, entries)
    for entry in entries:
        if entry.event.record_id in seen:
            payload = payloads.build(types, entry.event)
            batch.events.append((encode_cursor(ctx, entry.seq), payload))
    return batch
