"""``recycle.deletion_of``: the batch a deleted record went to the bin with."""

from __future__ import annotations

import uuid

import pytest

from accounts import errors
from crm import records
from crm.metadata import registry
from crm.query import recycle


def test_the_batch_of_a_deleted_record_is_found(ctx):
    account = records.create(ctx, "account", data={"name": "Gone"})
    deletion = records.delete(ctx, "account", account.pk)
    object_type = registry.get(ctx, "account")
    assert recycle.deletion_of(ctx, object_type, account.pk) == deletion.pk


def test_a_live_record_unknown_id_or_other_workspace_is_not_in_the_bin(ctx, other_ctx):
    live = records.create(ctx, "account", data={"name": "Here"})
    gone = records.create(other_ctx, "account", data={"name": "Theirs"})
    records.delete(other_ctx, "account", gone.pk)
    object_type = registry.get(ctx, "account")
    for record_id in (live.pk, gone.pk, uuid.uuid4()):
        with pytest.raises(errors.NotFound, match="is in the recycle bin"):
            recycle.deletion_of(ctx, object_type, record_id)
