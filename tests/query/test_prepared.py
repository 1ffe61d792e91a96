"""Prepared lookups: fixed-shape queries compiled once, run with new values —
credentials by digest, and records by id."""

from __future__ import annotations

import pytest

from accounts import access, credentials, errors
from accounts.models import PersonalAccessToken
from crm import query, records, sharing
from crm.metadata import services as metadata
from crm.query.prepared import Prepared
from tests.api.conftest import pat

BY_DIGEST = Prepared(
    lambda digest: access.with_membership(PersonalAccessToken.objects, "user").filter(
        token_hash=digest
    )
)


def test_a_prepared_lookup_finds_each_value_with_its_related_rows(
    ctx, member_ctx, django_assert_num_queries
):
    mine, theirs = pat(ctx), pat(member_ctx)
    for secret, holder in ((mine, ctx), (theirs, member_ctx)):
        with django_assert_num_queries(1):
            found = BY_DIGEST.first(credentials.digest(secret))
            membership = access.membership_of(found, found.user, found.workspace)
            assert (found.user, found.workspace) == (holder.user, holder.workspace)
            assert membership.workspace_id == holder.workspace.pk
            assert membership.profile.is_admin is holder.is_admin
            assert found.scopes == []  # a JSON column, converted
        assert found.token_hash == credentials.digest(secret)


def test_a_prepared_lookup_gives_none_for_an_unknown_value(ctx):
    pat(ctx)
    assert BY_DIGEST.first(credentials.digest("pat_nothing")) is None


def test_a_lookup_whose_value_is_no_parameter_is_refused(db):
    constant = Prepared(lambda value: PersonalAccessToken.objects.all())
    with pytest.raises(ValueError, match="not a query parameter"):
        constant.first("anything")


def test_reads_by_id_of_the_same_shape_each_get_their_own_record(
    ctx, other_ctx, django_assert_num_queries
):
    first = records.create(ctx, "account", data={"name": "First"})
    second = records.create(ctx, "account", data={"name": "Second"})
    theirs = records.create(other_ctx, "account", data={"name": "Theirs"})
    for record, name in ((first, "First"), (second, "Second")):
        with django_assert_num_queries(1):
            row = query.get(ctx, "account", record.pk, fields=["name"])
        assert row["name"] == name
    with pytest.raises(errors.NotFound):
        query.get(ctx, "account", theirs.pk, fields=["name"])
    assert query.get(other_ctx, "account", theirs.pk, fields=["name"])["name"] == (
        "Theirs"
    )


def test_a_read_by_id_follows_the_bin_and_new_fields(ctx):
    record = records.create(ctx, "account", data={"name": "Binned"})
    records.delete(ctx, "account", record.pk)
    with pytest.raises(errors.NotFound):
        query.get(ctx, "account", record.pk)
    assert query.get(ctx, "account", record.pk, deleted=True)["name"] == "Binned"
    metadata.create_field(ctx, "account", name="tier", label="Tier", type="text")
    ctx.workspace.refresh_from_db()
    assert query.get(ctx, "account", record.pk, deleted=True)["tier"] is None


def test_a_user_who_sees_only_their_own_records_is_refused_the_others(ctx, member_ctx):
    sharing.set_default(ctx, "account", "private")
    mine = records.create(member_ctx, "account", data={"name": "Mine"})
    other = records.create(ctx, "account", data={"name": "Owner's"})
    assert query.get(member_ctx, "account", mine.pk)["name"] == "Mine"
    with pytest.raises(errors.NotFound):
        query.get(member_ctx, "account", other.pk)
