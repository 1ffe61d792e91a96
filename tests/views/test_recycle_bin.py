"""The recycle bin: own deletions (admins: everyone's), restore, purge."""

from django.conf import settings
from django.urls import reverse

from crm import query, records
from crm.models import Deletion


def test_the_bin_lists_what_went_with_each_deletion(admin_client, ctx, acme, deals):
    records.delete(ctx, "account", acme.pk)
    response = admin_client.get(reverse("crm:recycle_bin"))
    page = response.content.decode()
    assert "Acme Corp" in page
    assert "4 opportunities" in page
    assert "Olivia Owner" in page
    assert f"stay here for {settings.RECYCLE_BIN_RETENTION_DAYS} days" in page


def test_a_member_sees_only_their_own_deletions_and_an_admin_everyones(
    client, ctx, member, member_ctx, owner
):
    mine = records.create(member_ctx, "account", data={"name": "Rep's"})
    theirs = records.create(ctx, "account", data={"name": "Boss's"})
    records.delete(member_ctx, "account", mine.pk)
    records.delete(ctx, "account", theirs.pk)
    client.force_login(member)
    page = client.get(reverse("crm:recycle_bin")).content.decode()
    assert "Rep&#x27;s" in page
    assert "Boss&#x27;s" not in page
    client.force_login(owner)
    page = client.get(reverse("crm:recycle_bin")).content.decode()
    assert "Rep&#x27;s" in page
    assert "Boss&#x27;s" in page


def test_restoring_brings_the_batch_back(admin_client, ctx, acme, deals):
    deletion = records.delete(ctx, "account", acme.pk)
    response = admin_client.post(
        reverse("crm:bin_restore"), {"ids": [deletion.pk]}, follow=True
    )
    assert "1 item restored." in response.content.decode()
    assert query.count(ctx, "opportunity") == 4
    assert not Deletion.objects.exists()


def test_purging_removes_for_good_single_and_bulk(admin_client, ctx):
    batches = [
        records.delete(
            ctx, "account", records.create(ctx, "account", data={"name": n}).pk
        )
        for n in ("A", "B", "C")
    ]
    response = admin_client.post(
        reverse("crm:bin_purge"), {"ids": [b.pk for b in batches[:2]]}, follow=True
    )
    assert "2 items purged for good." in response.content.decode()
    assert list(Deletion.objects.values_list("record_label", flat=True)) == ["C"]
    assert query.count(ctx, "account", deleted=True) == 1


def test_a_member_cannot_restore_someone_elses_deletion(client, ctx, member):
    gone = records.delete(
        ctx, "account", records.create(ctx, "account", data={"name": "X"}).pk
    )
    client.force_login(member)
    response = client.post(reverse("crm:bin_restore"), {"ids": [gone.pk]}, follow=True)
    assert "Only its deleter or an admin may do that." in response.content.decode()
    assert Deletion.objects.filter(pk=gone.pk).exists()


def test_an_empty_bin_says_so(admin_client, ctx):
    assert (
        "The recycle bin is empty"
        in admin_client.get(reverse("crm:recycle_bin")).content.decode()
    )
