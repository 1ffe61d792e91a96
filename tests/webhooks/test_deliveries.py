"""Sending: outcomes, the retry schedule kept in the database, leases,
disabling, replays — against a real receiver that fails on purpose."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core import mail
from django.utils import timezone

from crm import records
from tests.webhooks.conftest import pump, subscribe
from tests.webhooks.receiver import Answer
from webhooks import deliveries, dispatch, health, services
from webhooks.models import Delivery

Status = Delivery.Status


@pytest.fixture
def hook(ctx, receiver):
    return subscribe(ctx, receiver, object_name="account", events=["created"])


def _one_delivery(ctx) -> Delivery:
    records.create(ctx, "account", data={"name": "Acme"})
    dispatch.run()
    return Delivery.objects.get()


def _make_due(delivery: Delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def test_a_2xx_answer_completes_the_delivery_and_logs_it(ctx, receiver, hook):
    receiver.answer(Answer(202, body=b"accepted, thanks"))
    delivery = _one_delivery(ctx)
    assert deliveries.send_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == Status.SUCCEEDED
    assert delivery.attempts == 1
    assert delivery.response_status == 202
    assert delivery.response_excerpt == "accepted, thanks"
    assert delivery.duration_ms is not None
    assert delivery.duration_ms < 5000
    assert delivery.next_attempt_at is None
    assert delivery.completed_at is not None
    hook.refresh_from_db()
    assert hook.last_success_at is not None
    assert hook.failing_since is None


def test_a_500_is_retried_on_a_schedule_kept_in_the_database_until_it_recovers(
    ctx, receiver, hook
):
    receiver.answer(500, 503)
    delivery = _one_delivery(ctx)
    before = timezone.now()
    deliveries.send_due()
    delivery.refresh_from_db()
    assert delivery.status == Status.PENDING
    assert delivery.response_status == 500
    first_wait = (delivery.next_attempt_at - before).total_seconds()
    assert 24 <= first_wait <= 37  # 30 s ± 20 %: within a minute
    assert deliveries.send_due() == 0  # not due yet
    _make_due(delivery)
    deliveries.send_due()
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.response_status == 503
    second_wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
    assert 70 <= second_wait <= 110  # 90 s ± 20 %
    hook.refresh_from_db()
    assert hook.failing_since is not None
    _make_due(delivery)
    deliveries.send_due()
    delivery.refresh_from_db()
    assert delivery.status == Status.SUCCEEDED
    assert delivery.attempts == 3
    got = receiver.wait_for(3)
    assert len({r.headers["webhook-id"] for r in got}) == 1
    assert all(r.x_signature_ok and r.standard_ok for r in got)
    hook.refresh_from_db()
    assert hook.failing_since is None


def test_the_schedule_spans_about_three_days_over_ten_attempts(settings):
    waits = [deliveries.backoff(n).total_seconds() for n in range(1, 10)]
    assert waits[0] < 60
    assert all(b > a for a, b in itertools.pairwise(waits))
    assert 2.2 * 86400 < sum(waits) < 3.8 * 86400
    assert settings.WEBHOOK_MAX_ATTEMPTS == 10


def test_429_honours_retry_after(ctx, receiver, hook):
    receiver.answer(Answer(429, headers={"Retry-After": "600"}))
    delivery = _one_delivery(ctx)
    deliveries.send_due()
    delivery.refresh_from_db()
    assert delivery.status == Status.PENDING
    wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
    assert 590 <= wait <= 600


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_other_4xx_answers_are_final(ctx, receiver, hook, status):
    receiver.answer(status)
    delivery = _one_delivery(ctx)
    deliveries.send_due()
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert delivery.response_status == status
    assert delivery.next_attempt_at is None
    hook.refresh_from_db()
    assert hook.is_active is True


def test_408_is_retried(ctx, receiver, hook):
    receiver.answer(408)
    delivery = _one_delivery(ctx)
    deliveries.send_due()
    delivery.refresh_from_db()
    assert delivery.status == Status.PENDING


def test_410_disables_the_subscription_at_once_and_tells_its_owner(ctx, receiver, hook):
    receiver.answer(410)
    records.create(ctx, "account", data={"name": "One"})
    records.create(ctx, "account", data={"name": "Two"})
    dispatch.run()
    assert deliveries.send_due(limit=1) == 1
    hook.refresh_from_db()
    assert hook.is_active is False
    assert "410" in hook.disabled_reason
    assert list(Delivery.objects.values_list("status", flat=True)) == [
        Status.FAILED,
        Status.FAILED,
    ]
    assert deliveries.send_due() == 0


def test_a_redirect_is_not_followed_and_counts_as_a_failure(ctx, receiver, hook):
    receiver.answer(Answer(302, headers={"Location": "http://127.0.0.1:1/elsewhere"}))
    delivery = _one_delivery(ctx)
    deliveries.send_due()
    delivery.refresh_from_db()
    assert delivery.status == Status.PENDING
    assert delivery.response_status == 302
    assert "not followed" in delivery.error
    assert len(receiver.wait_for(1)) == 1


def test_a_receiver_that_does_not_answer_in_time_is_a_retried_timeout(
    ctx, receiver, hook, short_timeout
):
    receiver.answer(Answer(200, delay=2.0))
    delivery = _one_delivery(ctx)
    deliveries.send_due()
    delivery.refresh_from_db()
    assert delivery.status == Status.PENDING
    assert delivery.response_status is None
    assert delivery.error.startswith("Timed out")
    assert delivery.duration_ms < 1900


def test_a_closed_port_is_a_retried_connection_error(ctx, receiver):
    subscribe(ctx, receiver, object_name="account", url="http://127.0.0.1:1/hook")
    delivery = _one_delivery(ctx)
    deliveries.send_due()
    delivery.refresh_from_db()
    assert delivery.status == Status.PENDING
    assert "ConnectError" in delivery.error


def test_the_last_attempt_fails_for_good(ctx, receiver, hook, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    receiver.answer(500, 500)
    delivery = _one_delivery(ctx)
    deliveries.send_due()
    _make_due(delivery)
    deliveries.send_due()
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert delivery.attempts == 2


def test_a_claim_is_atomic_so_a_delivery_is_never_sent_twice_at_once(
    ctx, receiver, hook
):
    delivery = _one_delivery(ctx)
    claimed = deliveries.claim(limit=10)
    assert [d.pk for d in claimed] == [delivery.pk]
    assert deliveries.claim(limit=10) == []
    assert deliveries.attempt(delivery.pk) is None
    deliveries.send(claimed)
    assert len(receiver.wait_for(1)) == 1


def test_an_expired_lease_is_put_back_by_the_sweep(ctx, receiver, hook):
    delivery = _one_delivery(ctx)
    deliveries.claim(limit=1)  # the worker dies here
    assert deliveries.release_expired() == 0
    Delivery.objects.update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert deliveries.sweep() == 1  # put back, queued (and sent, in-process)
    delivery.refresh_from_db()
    assert delivery.status == Status.SUCCEEDED
    assert delivery.attempts == 2


def test_an_outcome_is_not_written_once_the_lease_is_lost(ctx, receiver, hook):
    delivery = _one_delivery(ctx)
    claimed = deliveries.claim(limit=1)
    Delivery.objects.filter(pk=delivery.pk).update(lease_token=None)  # reclaimed
    deliveries.send(claimed)
    delivery.refresh_from_db()
    assert delivery.status == Status.SENDING
    assert delivery.response_status is None


def test_a_subscription_failing_for_five_days_is_disabled_and_its_owner_mailed(
    ctx, receiver, hook
):
    receiver.answer(500)
    delivery = _one_delivery(ctx)
    deliveries.send_due()
    assert health.disable_failing() == 0
    hook.refresh_from_db()
    hook.failing_since = timezone.now() - dt.timedelta(days=5, hours=1)
    hook.save()
    assert health.disable_failing() == 1
    hook.refresh_from_db()
    assert hook.is_active is False
    assert hook.disabled_reason.startswith("Every delivery has failed since")
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert "disabled" in delivery.error


def test_the_owner_is_mailed_when_a_subscription_is_disabled(
    ctx, hook, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert health.disable(hook, "Because.") is True
    [message] = mail.outbox
    assert message.to == [ctx.user.email]
    assert "Because." in message.body
    assert health.disable(hook, "Again.") is False


def test_replaying_one_delivery_sends_it_again(ctx, receiver, hook):
    receiver.answer(400)
    delivery = _one_delivery(ctx)
    pump()
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    replayed = services.replay(ctx, f"dlv_{delivery.pk.hex}")
    assert replayed.status == Status.PENDING
    assert replayed.attempts == 0
    assert deliveries.send_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == Status.SUCCEEDED
    first, second = receiver.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body


def test_replaying_what_failed_since_a_time_leaves_older_failures(ctx, receiver, hook):
    receiver.answer(400, 400, 400)
    for name in ("One", "Two", "Three"):
        records.create(ctx, "account", data={"name": name})
    pump()
    old = Delivery.objects.order_by("pk").first()
    Delivery.objects.filter(pk=old.pk).update(
        completed_at=timezone.now() - dt.timedelta(days=2)
    )
    since = timezone.now() - dt.timedelta(days=1)
    assert services.replay_failed(ctx, hook.pk.hex, since=since) == 2
    assert deliveries.send_due() == 2
    statuses = dict(Delivery.objects.values_list("pk", "status"))
    assert statuses.pop(old.pk) == Status.FAILED
    assert set(statuses.values()) == {Status.SUCCEEDED}
