"""``Prepared``: a fixed-shape lookup compiled once, run with new values."""

from __future__ import annotations

import pytest

from accounts import access, credentials
from accounts.models import PersonalAccessToken
from api.common.prepared import Prepared
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
