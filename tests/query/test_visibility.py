"""Record visibility: org-wide defaults, ownership, the role hierarchy, sharing
rules through groups and roles, view/modify all, and tenancy."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from accounts import access, errors
from accounts import services as account_services
from accounts.access import Action
from accounts.models import Profile, PublicGroup, Role
from crm import query, records, sharing
from crm.metadata import registry
from crm.models import SharingRule
from crm.query import Query, visibility
from tests.factories import UserFactory

DAY = dt.date(2026, 3, 1)


@pytest.fixture
def org(ctx, workspace):
    """CEO (the admin) ▸ Manager ▸ two peer reps; each rep owns one deal."""
    ceo = Role.objects.get(workspace=workspace, name="CEO")
    manager_role = Role.objects.create(workspace=workspace, name="Manager", parent=ceo)
    rep_role = Role.objects.create(workspace=workspace, name="Rep", parent=manager_role)
    people = {}
    for name, role in (("manager", manager_role), ("ann", rep_role), ("bob", rep_role)):
        user = UserFactory(email=f"{name}@example.com", name=name.title())
        account_services.add_member(workspace, user, role=role)
        people[name] = access.context_for_user(user, workspace)
    deals = {
        name: records.create(
            people[name],
            "opportunity",
            data={"name": f"{name} deal", "close_date": DAY},
        )
        for name in ("manager", "ann", "bob")
    }
    return SimpleNamespace(
        ctx=people, deals=deals, roles={"manager": manager_role, "rep": rep_role}
    )


def _sharing(ctx, object_name: str, access_level: str) -> None:
    sharing.set_default(ctx, object_name, access_level)


def _names(ctx, object_name="opportunity", payload=None) -> list[str]:
    page = query.page(
        ctx, Query.from_json(ctx, object_name, payload or {"sort": "name"})
    )
    return [row["name"] for row in page.rows]


def test_public_read_write_is_the_default(ctx, org):
    assert _names(org.ctx["ann"]) == ["ann deal", "bob deal", "manager deal"]
    assert (
        visibility.default_access(ctx, registry.get(ctx, "opportunity"))
        == "public_read_write"
    )


def test_private_shows_a_rep_their_own_records_but_not_a_peers(ctx, org):
    _sharing(ctx, "opportunity", "private")
    assert _names(org.ctx["ann"]) == ["ann deal"]
    assert _names(org.ctx["bob"]) == ["bob deal"]
    assert query.count(org.ctx["ann"], "opportunity") == 1
    with pytest.raises(errors.NotFound):
        query.get(org.ctx["ann"], "opportunity", org.deals["bob"].pk)


def test_private_shows_a_manager_their_subordinates_records(ctx, org):
    _sharing(ctx, "opportunity", "private")
    assert _names(org.ctx["manager"]) == ["ann deal", "bob deal", "manager deal"]
    assert _names(ctx) == ["ann deal", "bob deal", "manager deal"]


def test_a_private_record_is_neither_readable_nor_editable_by_a_peer(ctx, org):
    _sharing(ctx, "opportunity", "private")
    with pytest.raises(errors.NotFound):
        records.update(
            org.ctx["ann"], "opportunity", org.deals["bob"].pk, data={"amount": 1}
        )
    with pytest.raises(errors.NotFound):
        records.delete(org.ctx["ann"], "opportunity", org.deals["bob"].pk)
    records.update(
        org.ctx["manager"], "opportunity", org.deals["bob"].pk, data={"amount": 5}
    )
    assert (
        query.get(ctx, "opportunity", org.deals["bob"].pk, fields=["amount"])["amount"]
        == 5
    )


def test_public_read_lets_peers_read_but_not_edit(ctx, org):
    _sharing(ctx, "opportunity", "public_read")
    assert _names(org.ctx["ann"]) == ["ann deal", "bob deal", "manager deal"]
    with pytest.raises(errors.PermissionDenied, match="may not change"):
        records.update(
            org.ctx["ann"], "opportunity", org.deals["bob"].pk, data={"amount": 1}
        )
    records.update(
        org.ctx["ann"], "opportunity", org.deals["ann"].pk, data={"amount": 1}
    )
    editable = visibility.editable(org.ctx["ann"], registry.get(ctx, "opportunity"))
    assert set(editable.values_list("pk", flat=True)) == {org.deals["ann"].pk}


def test_a_group_sharing_rule_opens_an_owners_records_to_another_group(ctx, org):
    _sharing(ctx, "opportunity", "private")
    owners = PublicGroup.objects.create(workspace=ctx.workspace, name="East")
    readers = PublicGroup.objects.create(workspace=ctx.workspace, name="West")
    owners.members.add(org.ctx["bob"].user)
    readers.members.add(org.ctx["ann"].user)
    rule = sharing.create_rule(
        ctx,
        "opportunity",
        name="East to West",
        owned_by_group=owners,
        shared_with_group=readers,
        level=SharingRule.Level.READ,
    )
    assert _names(org.ctx["ann"]) == ["ann deal", "bob deal"]
    assert _names(org.ctx["bob"]) == ["bob deal"]
    with pytest.raises(errors.PermissionDenied):
        records.update(
            org.ctx["ann"], "opportunity", org.deals["bob"].pk, data={"amount": 1}
        )
    rule.level = SharingRule.Level.EDIT
    rule.save()
    records.update(
        org.ctx["ann"], "opportunity", org.deals["bob"].pk, data={"amount": 1}
    )
    rule.is_active = False
    rule.save()
    assert _names(org.ctx["ann"]) == ["ann deal"]


def test_a_role_sharing_rule_opens_records_to_a_role_and_those_below(ctx, org):
    _sharing(ctx, "opportunity", "private")
    sharing.create_rule(
        ctx,
        "opportunity",
        name="Managers to reps",
        owned_by_role=org.roles["manager"],
        shared_with_role=org.roles["rep"],
    )
    # Owned by Manager-and-below (everyone but the CEO) → shared with reps.
    assert _names(org.ctx["ann"]) == ["ann deal", "bob deal", "manager deal"]


def test_view_all_sees_every_record_of_that_object_only(ctx, org):
    _sharing(ctx, "opportunity", "private")
    _sharing(ctx, "account", "private")
    records.create(org.ctx["bob"], "account", data={"name": "Bob's account"})
    profile = Profile.objects.get(
        workspace=ctx.workspace, name=account_services.STANDARD_PROFILE
    )
    account_services.grant(profile, ["opportunity"], {Action.VIEW_ALL})
    ann = access.context_for_user(org.ctx["ann"].user, ctx.workspace)
    assert _names(ann) == ["ann deal", "bob deal", "manager deal"]
    assert _names(ann, "account", {}) == []
    with pytest.raises(errors.PermissionDenied):  # view all is not modify all
        records.update(ann, "opportunity", org.deals["bob"].pk, data={"amount": 1})


def test_modify_all_edits_every_record(ctx, org):
    _sharing(ctx, "opportunity", "private")
    profile = Profile.objects.get(
        workspace=ctx.workspace, name=account_services.STANDARD_PROFILE
    )
    account_services.grant(profile, ["opportunity"], {Action.MODIFY_ALL})
    ann = access.context_for_user(org.ctx["ann"].user, ctx.workspace)
    records.update(ann, "opportunity", org.deals["bob"].pk, data={"amount": 2})


def test_a_lookup_may_only_point_at_a_record_the_writer_can_read(ctx, org):
    _sharing(ctx, "account", "private")
    hidden = records.create(org.ctx["bob"], "account", data={"name": "Bob's account"})
    with pytest.raises(errors.ValidationFailed) as info:
        records.create(
            org.ctx["ann"],
            "opportunity",
            data={"name": "Sneaky", "close_date": DAY, "account": hidden.pk},
        )
    assert info.value.field == "account"
    records.create(
        org.ctx["manager"],
        "opportunity",
        data={"name": "Fine", "close_date": DAY, "account": hidden.pk},
    )


def test_related_records_the_caller_cannot_see_read_as_empty(ctx, org):
    _sharing(ctx, "account", "private")
    hidden = records.create(org.ctx["bob"], "account", data={"name": "Bob's account"})
    records.update(ctx, "opportunity", org.deals["ann"].pk, data={"account": hidden.pk})
    row = query.get(
        org.ctx["ann"],
        "opportunity",
        org.deals["ann"].pk,
        fields=["name", "account.name"],
    )
    assert row["account.name"] is None


@pytest.fixture
def hidden_account(ctx, org):
    """Bob's private account, on Ann's deal (an admin linked them)."""
    _sharing(ctx, "account", "private")
    hidden = records.create(org.ctx["bob"], "account", data={"name": "Bob secret"})
    records.update(ctx, "opportunity", org.deals["ann"].pk, data={"account": hidden.pk})
    return hidden


def test_a_filter_through_a_record_the_caller_cannot_see_reveals_nothing(
    ctx, org, hidden_account
):
    ann = org.ctx["ann"]
    by_name = {"filters": [["account.name", "=", "Bob secret"]]}
    assert _names(ann, payload=by_name) == []
    assert _names(ann, payload={"filters": [["account.name", "!=", "Guess"]]}) == []
    empty = {"filters": [["account.name", "is_null"]], "sort": "name"}
    assert _names(ann, payload=empty) == ["ann deal", "bob deal", "manager deal"]
    assert _names(ctx, payload=empty) == ["bob deal", "manager deal"]
    assert _names(ctx, payload=by_name) == ["ann deal"]  # the admin sees it


def test_groups_and_sorts_through_a_hidden_record_show_it_empty(
    ctx, org, hidden_account
):
    ann = org.ctx["ann"]
    body = {"group_by": ["account.name"], "metrics": [{"op": "count", "as": "n"}]}
    assert query.aggregate(ann, "opportunity", body).rows == [
        {"account.name": None, "n": 3}
    ]
    assert query.aggregate(ctx, "opportunity", body).rows == [
        {"account.name": "Bob secret", "n": 1},
        {"account.name": None, "n": 2},
    ]
    page = query.page(
        ann,
        Query.from_json(
            ann, "opportunity", {"sort": "account.name", "fields": ["name"]}
        ),
    )
    assert sorted(row["name"] for row in page.rows) == [
        "ann deal",
        "bob deal",
        "manager deal",
    ]


def test_a_filter_through_a_record_in_the_bin_does_not_match(ctx, org):
    contact = records.create(ctx, "contact", data={"last_name": "Gone"})
    records.update(
        ctx, "opportunity", org.deals["ann"].pk, data={"contact": contact.pk}
    )
    by_contact = {"filters": [["contact.last_name", "=", "Gone"]]}
    assert _names(ctx, payload=by_contact) == ["ann deal"]
    records.delete(ctx, "contact", contact.pk)
    assert _names(ctx, payload=by_contact) == []


def test_a_json_lookup_to_a_hidden_record_reads_as_empty_in_filters(ctx, org):
    from crm.metadata import services as metadata

    metadata.create_field(
        ctx,
        "opportunity",
        name="partner",
        label="Partner",
        type="lookup",
        target="account",
    )
    _sharing(ctx, "account", "private")
    hidden = records.create(org.ctx["bob"], "account", data={"name": "Bob secret"})
    ctx.workspace.refresh_from_db()  # the new field
    records.update(ctx, "opportunity", org.deals["ann"].pk, data={"partner": hidden.pk})
    ann = access.context_for_user(org.ctx["ann"].user, ctx.workspace)
    assert _names(ann, payload={"filters": [["partner.name", "=", "Bob secret"]]}) == []
    assert _names(ctx, payload={"filters": [["partner.name", "=", "Bob secret"]]}) == [
        "ann deal"
    ]


def test_another_workspace_sees_nothing_and_gets_no_error(ctx, other_ctx, org):
    assert _names(other_ctx) == []
    assert query.count(other_ctx, "opportunity") == 0
    assert query.aggregate(other_ctx, "opportunity", {"group_by": ["stage"]}).rows == []
    with pytest.raises(errors.NotFound):
        query.get(other_ctx, "opportunity", org.deals["ann"].pk)
    filters = [["id", "=", str(org.deals["ann"].pk)]]
    assert _names(other_ctx, payload={"filters": filters}) == []


def test_a_profile_without_read_gets_an_empty_queryset_not_an_error(ctx, member_ctx):
    from crm.metadata import services as metadata

    metadata.create_object(ctx, api_name="secret_thing", label="Secret thing")
    records.create(ctx, "secret_thing", data={"name": "Classified"})
    secret = registry.get(ctx, "secret_thing")
    assert list(visibility.readable(member_ctx, secret)) == []
    with pytest.raises(errors.NotFound):
        Query.from_json(member_ctx, "secret_thing", {})


def test_the_sharing_default_is_read_once_per_context(
    ctx, org, django_assert_num_queries
):
    _sharing(ctx, "opportunity", "private")
    ann = org.ctx["ann"]
    opportunity = registry.get(ann, "opportunity")
    with django_assert_num_queries(1):
        assert visibility.default_access(ann, opportunity) == "private"
    _sharing(ctx, "opportunity", "public_read")
    with django_assert_num_queries(0):  # the same request: as it was read
        assert visibility.default_access(ann, opportunity) == "private"
    fresh = access.context_for_user(ann.user, ann.workspace)
    assert visibility.default_access(fresh, opportunity) == "public_read"
    assert _names(fresh) == ["ann deal", "bob deal", "manager deal"]


def test_a_readable_queryset_is_a_fresh_one_every_time(ctx, org):
    opportunity = registry.get(ctx, "opportunity")
    first = visibility.readable(ctx, opportunity)
    assert first.count() == 3
    assert len(list(first)) == 3  # evaluated: its rows are cached on it
    records.create(ctx, "opportunity", data={"name": "late", "close_date": DAY})
    second = visibility.readable(ctx, opportunity)
    assert second is not first
    assert sorted(second.values_list("name", flat=True)) == [
        "ann deal",
        "bob deal",
        "late",
        "manager deal",
    ]
    binned = visibility.readable(ctx, opportunity, deleted=True)
    assert list(binned) == []
