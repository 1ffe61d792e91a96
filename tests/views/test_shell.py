from django.urls import reverse

from tests.conftest import PASSWORD


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("crm:home"))
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next=/"


def test_signing_in_shows_the_home_page_with_the_workspace(client, workspace, owner):
    response = client.post(
        reverse("login"),
        {"username": "OWNER@example.com", "password": PASSWORD},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Welcome, Olivia" in page
    assert "Acme Inc" in page
    assert "Opportunities" in page


def test_a_wrong_password_is_refused_with_a_message(client, workspace, owner):
    response = client.post(
        reverse("login"), {"username": owner.email, "password": "nope"}
    )
    assert response.status_code == 200
    assert "Please enter a correct email and password" in response.content.decode()


def test_the_navigation_lists_the_objects_the_user_may_read(client, ctx, owner):
    from crm.metadata import services as metadata

    metadata.create_object(ctx, api_name="project", label="Project")
    client.force_login(owner)
    page = client.get(reverse("crm:home")).content.decode()
    assert f'href="{reverse("crm:record_list", args=["project"])}">Projects</a>' in page
    assert 'href="/o/opportunity/">Opportunities</a>' in page
    # Child objects (line items) are reached from their parents only.
    assert "/o/opportunity_line_item/" not in page
    assert f'href="{reverse("crm:recycle_bin")}"' in page


def test_a_member_does_not_see_objects_their_profile_does_not_grant(
    client, ctx, member
):
    from accounts.models import ObjectPermission
    from crm.metadata import services as metadata

    metadata.create_object(ctx, api_name="project", label="Project")
    ObjectPermission.objects.filter(object_name="project").delete()
    client.force_login(member)
    page = client.get(reverse("crm:home")).content.decode()
    assert "/o/project/" not in page
    assert client.get(reverse("crm:record_list", args=["project"])).status_code == 404


def test_the_workspace_switcher_changes_the_current_workspace(client, ctx, owner):
    from crm import workspaces

    second = workspaces.create_for(owner, "Second Co")
    client.force_login(owner)
    page = client.get(reverse("crm:home")).content.decode()
    assert "Switch workspace" in page
    assert f'value="{second.pk}"' in page
    response = client.post(
        reverse("crm:workspace_switch"), {"workspace": second.pk}, follow=True
    )
    assert "You are now working in Second Co." in response.content.decode()
    assert response.context["workspace"] == second


def test_switching_to_a_workspace_one_is_not_in_is_refused(client, owner, other_ctx):
    client.force_login(owner)
    response = client.post(
        reverse("crm:workspace_switch"), {"workspace": other_ctx.workspace_id}
    )
    assert response.status_code == 404
    assert client.session.get("workspace_id") != str(other_ctx.workspace_id)


def test_signing_out_ends_the_session(client, workspace, owner):
    client.force_login(owner)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("crm:home")).status_code == 302


def test_a_password_reset_mails_a_working_link(client, workspace, owner, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": owner.email})
    assert response.url == reverse("password_reset_done")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject == "Reset your HotCRM password"
    link = next(w for w in mailoutbox[0].body.split() if "/password/reset/" in w)
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-new-long-pass-1", "new_password2": "a-new-long-pass-1"},
        follow=True,
    )
    assert "Your password is changed" in done.content.decode()
    assert client.login(username=owner.email, password="a-new-long-pass-1")


def test_pages_carry_csrf_for_htmx_and_load_htmx_from_static(client, ctx, owner):
    client.force_login(owner)
    page = client.get(reverse("crm:home")).content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in page
    assert "/static/django_htmx/htmx" in page
    assert "cdn" not in page.lower()


def test_health_check_needs_no_login(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_changing_the_password_needs_a_session(client, workspace):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={reverse('password_change')}"


def test_the_password_change_form_refuses_a_wrong_old_password(
    client, workspace, owner
):
    client.force_login(owner)
    form = client.get(reverse("password_change"))
    assert form.status_code == 200
    page = form.content.decode()
    assert "Change your password" in page
    assert '<label for="id_old_password">Old password</label>' in page
    assert 'id="id_new_password1_helptext"' in page  # what aria-describedby names
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "not-it",
            "new_password1": "a-new-long-pass-1",
            "new_password2": "a-new-long-pass-1",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        '<p class="field-error" id="id_old_password_error" role="alert">'
        "Your old password was entered incorrectly. Please enter it again.</p>"
    ) in page
    assert 'aria-invalid="true" aria-describedby="id_old_password_error"' in page
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_the_password_change_form_refuses_a_mismatch_and_a_short_password(
    client, workspace, owner
):
    client.force_login(owner)
    url = reverse("password_change")
    mismatch = client.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-pass-1",
            "new_password2": "a-new-long-pass-2",
        },
    ).content.decode()
    assert "The two password fields didn\u2019t match." in mismatch
    short = client.post(
        url, {"old_password": PASSWORD, "new_password1": "abc", "new_password2": "abc"}
    ).content.decode()
    assert "This password is too short." in short
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_changing_the_password_keeps_the_session_and_the_new_one_works(
    client, workspace, owner
):
    client.force_login(owner)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-pass-1",
            "new_password2": "a-new-long-pass-1",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("password_change_done")
    assert "Your password is changed" in response.content.decode()
    assert client.get(reverse("crm:home")).status_code == 200  # still signed in
    client.logout()
    assert not client.login(username=owner.email, password=PASSWORD)
    assert client.login(username=owner.email, password="a-new-long-pass-1")
