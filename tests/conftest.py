"""Fixtures shared by the whole suite: workspaces, users and contexts.

``ctx`` is an admin of workspace A; ``other_ctx`` an admin of workspace B, for
tenancy tests; ``member_ctx`` a Standard User of workspace A.
"""

import copy
import os
import uuid

import pytest
from django.conf import settings

from accounts import access, services
from crm import workspaces
from tests.factories import UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct-horse-battery"


def pytest_configure(config):
    if settings.REQUIRE_SERVICES:
        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine or not settings.REDIS_URL:
            raise pytest.UsageError(
                "HOTCRM_REQUIRE_SERVICES is set: DATABASE_URL must point at PostgreSQL "
                "and REDIS_URL at Redis."
            )


@pytest.fixture(autouse=True)
def _private_cache(settings):
    """Each test gets a key space of its own in the cache (rate limits,
    idempotency), so tests — and parallel workers sharing one Redis db —
    never see each other's counters."""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = caches


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 costs ~0.3 s a user; tests need no resistance to brute force."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def owner(db):
    return UserFactory(email="owner@example.com", name="Olivia Owner")


@pytest.fixture
def workspace(owner):
    ws, _ = workspaces.create("Acme Inc", email=owner.email, password=PASSWORD)
    return ws


@pytest.fixture
def ctx(workspace, owner):
    return access.context_for_user(owner, workspace)


@pytest.fixture
def other_ctx(db):
    stranger = UserFactory(email="stranger@example.com", name="Sam Stranger")
    ws, _ = workspaces.create("Globex", email=stranger.email, password=PASSWORD)
    return access.context_for_user(stranger, ws)


@pytest.fixture
def member(workspace):
    user = UserFactory(email="rep@example.com", name="Rita Rep")
    services.add_member(workspace, user, profile_name=services.STANDARD_PROFILE)
    return user


@pytest.fixture
def member_ctx(workspace, member):
    return access.context_for_user(member, workspace)


@pytest.fixture
def read_only_ctx(workspace):
    user = UserFactory(email="viewer@example.com", name="Vic Viewer")
    services.add_member(workspace, user, profile_name=services.READ_ONLY_PROFILE)
    return access.context_for_user(user, workspace)


@pytest.fixture(autouse=True, scope="session")
def _tasks_in_process():
    """Celery tasks run in-process in every test, with a broker configured or
    not, so no test depends on a worker or leaves messages in Redis. The
    webhook worker tests (tests/webhooks/test_worker.py) route to the real
    worker they start."""
    from celery import current_app

    conf = current_app.conf
    saved = conf.task_always_eager
    conf.task_always_eager = True
    yield
    conf.task_always_eager = saved
