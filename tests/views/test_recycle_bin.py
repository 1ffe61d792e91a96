"""The recycle bin: own deletions (admins: everyone's), restore, purge."""

import re

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


def bin_labels(page: str) -> list[str]:
    return re.findall(r'<span class="tag">\w+</span> ([^<]+)</td>', page)


def test_the_bins_forms_post_with_htmx_and_without(admin_client, ctx, acme):
    records.delete(ctx, "account", acme.pk)
    page = admin_client.get(reverse("crm:recycle_bin")).content.decode()
    forms = re.findall(r'<form method="post"[^>]*recycle-bin[^>]*>', page)
    assert len(forms) == 3  # the selection's, and a row's restore and purge
    for form in forms:
        action = re.search(r' action="([^"]+)"', form).group(1)
        assert f'hx-post="{action}"' in form
        assert 'hx-target="#bin"' in form


def test_restoring_with_htmx_answers_the_bins_rows_and_the_message(admin_client, ctx):
    gone = {
        name: records.delete(
            ctx, "account", records.create(ctx, "account", data={"name": name}).pk
        )
        for name in ("Initech", "Umbrella")
    }
    response = admin_client.post(
        reverse("crm:bin_restore"),
        {"ids": [gone["Initech"].pk], "next": "/recycle-bin/"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page
    assert bin_labels(page) == ["Umbrella"]
    assert page.count('<input type="hidden" name="next" value="/recycle-bin/">') == 3
    assert re.findall(r'role="status">([^<]+)</div>', page) == ["1 item restored."]
    assert query.count(ctx, "account") == 1


def test_purging_the_last_item_with_htmx_answers_the_empty_bin(admin_client, ctx):
    gone = records.delete(
        ctx, "account", records.create(ctx, "account", data={"name": "X"}).pk
    )
    response = admin_client.post(
        reverse("crm:bin_purge"), {"ids": [gone.pk]}, headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert "The recycle bin is empty" in page
    assert re.findall(r'role="status">([^<]+)</div>', page) == [
        "1 item purged for good."
    ]
    assert not Deletion.objects.exists()


def test_an_htmx_refusal_in_the_bin_keeps_the_row_and_says_why(client, ctx, member):
    gone = records.delete(
        ctx, "account", records.create(ctx, "account", data={"name": "X"}).pk
    )
    client.force_login(member)
    response = client.post(
        reverse("crm:bin_restore"), {"ids": [gone.pk]}, headers={"HX-Request": "true"}
    )
    assert re.findall(r'role="status">([^<]+)</div>', response.content.decode()) == [
        "Only its deleter or an admin may do that."
    ]
    assert Deletion.objects.filter(pk=gone.pk).exists()
