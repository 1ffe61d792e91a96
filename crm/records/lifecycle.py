"""Create, update and replace: the one way a record's fields are written.

Each call is one transaction: access check, cleaning, derived values, checks,
the row, its history and its outbox events commit together or not at all.
Each is a batch of one on ``crm.records.batch``, so one record and ten
thousand go through the very same steps.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any
from uuid import UUID

from django.db import transaction

from accounts.access import Action, Context, require
from crm.metadata import registry
from crm.records import batch, steps
from crm.records.steps import check_version, get_locked, version

__all__ = ["check_version", "create", "get_locked", "replace", "update", "version"]


@transaction.atomic
def create(ctx: Context, object_name: str, *, data: Mapping[str, Any]):
    """Create one record; ValidationFailed lists every bad field (what
    cleaning found together with the missing required fields, lookups and
    stages). Atomic."""
    [result] = batch.create_many(ctx, object_name, [data])
    return result.unwrap()


def _change(
    ctx: Context,
    object_name: str,
    record_id: UUID,
    data: Mapping[str, Any],
    expected_version: str | Collection[str] | None,
    *,
    replace: bool,
):
    object_type = registry.get(ctx, object_name)
    require(ctx, object_type, Action.EDIT)
    change = batch.Change(
        0, steps.as_uuid(object_type, record_id), data, expected_version
    )
    [result] = batch.change_rows(ctx, object_type, [change], replace=replace).values()
    return result.unwrap()


@transaction.atomic
def update(
    ctx: Context,
    object_name: str,
    record_id: UUID,
    *,
    data: Mapping[str, Any],
    expected_version: str | Collection[str] | None = None,
):
    """Change the given fields of one record. A write that changes nothing
    writes nothing (no history, no event). With ``expected_version``,
    PreconditionFailed when the record is at another version (checked under
    the row lock). Atomic."""
    return _change(ctx, object_name, record_id, data, expected_version, replace=False)


@transaction.atomic
def replace(
    ctx: Context,
    object_name: str,
    record_id: UUID,
    *,
    data: Mapping[str, Any],
    expected_version: str | Collection[str] | None = None,
):
    """Set every writable field: those not given go back to their default or
    empty (a full replace, as PUT). ``expected_version`` as for ``update``.
    Atomic."""
    return _change(ctx, object_name, record_id, data, expected_version, replace=True)
