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


def test_home_counts_live_records(client, ctx, owner):
    from crm import records

    records.create(ctx, "account", data={"name": "A"})
    gone = records.create(ctx, "account", data={"name": "B"})
    records.delete(ctx, "account", gone.pk)
    client.force_login(owner)
    response = client.get(reverse("crm:home"))
    counts = {c.object_type.api_name: c.count for c in response.context["counts"]}
    assert counts["account"] == 1
    assert counts["contact"] == 0


def test_health_check_needs_no_login(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
