"""Fixtures for the webhook tests: a real local receiver and subscriptions
made through the service. Tasks run in-process (tests/conftest.py) unless a
test asks for the real worker (``via_worker``, see ``test_worker.py``)."""

from __future__ import annotations

import pytest

from crm import records
from tests.webhooks.receiver import Receiver
from webhooks import deliveries, dispatch, services, transport


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    """The receiver listens on 127.0.0.1, which the SSRF guard refuses unless
    allowed."""
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def short_timeout(monkeypatch):
    """Cut the 15 s attempt budget to one second."""
    monkeypatch.setattr(transport, "TOTAL_TIMEOUT", 1.0)


def subscribe(ctx, receiver: Receiver, **options):
    """A subscription to ``receiver`` (the receiver learns its secret)."""
    subscription, secret = services.create(
        ctx,
        name=options.pop("name", "Test hook"),
        object_name=options.pop("object_name", "contract"),
        url=options.pop("url", receiver.url),
        **options,
    )
    receiver.secret = secret
    return subscription


def pump() -> int:
    """Dispatch what is pending and send what is due, as the worker would
    after a commit (tests wrapped in a transaction never commit)."""
    dispatch.run()
    return deliveries.send_due()


@pytest.fixture
def account(ctx):
    return records.create(ctx, "account", data={"name": "Acme"})


@pytest.fixture
def contract(ctx, account):
    return records.create(
        ctx, "contract", data={"name": "Master agreement", "account": account.pk}
    )
