"""schemathesis over /api/schema against a live server: no operation may
answer a server error, and the record endpoints' answers must match the
schema they publish.

Each operation runs with schema-valid (positive) and schema-breaking
(negative) requests; operations on ``{objects}`` run once for a standard and
once for a custom object, with a real record id, so the requests reach the
query engine and the lifecycle rather than stopping at a 404. The examples
per operation are few (``SCHEMATHESIS_EXAMPLES``, default 6) and derandomised,
so every run sends the same requests; ``SCHEMATHESIS_RANDOM=1`` explores
afresh (a longer hunt: ``SCHEMATHESIS_EXAMPLES=60 SCHEMATHESIS_RANDOM=1``).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.api.conftest import BODIES, pat

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "6"))
#: Operations whose answers are also checked against their published schema.
CONFORMING = ("/api/v1/{objects}", "/api/v1/query")
#: Long polls answer at once here (the stream's own tests cover waiting).
FIXED_QUERY = {"/api/v1/events": {"wait": "0"}}


@pytest.fixture
def server(live_server):
    """The live server, with Django's per-request connection recycling off:
    it closes the connection the test's PostgreSQL transaction runs on."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield live_server
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _variants(operation, record_ids: dict[str, str]) -> list[dict[str, str]]:
    names = {p.name for p in operation.path_parameters}
    if "objects" not in names:
        return [{}]
    variants = []
    for objects, record_id in record_ids.items():
        fixed = {"objects": objects}
        if "record_id" in names:
            fixed["record_id"] = record_id
        variants.append(fixed)
    return variants


def _run(operation, fixed, mode, base_url, headers, failures) -> None:
    checks = [not_a_server_error]
    if operation.path.startswith(CONFORMING):
        checks.append(response_schema_conformance)
    query = FIXED_QUERY.get(operation.path)
    strategy = operation.as_strategy(mode, path_parameters=fixed or None, query=query)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=os.environ.get("SCHEMATHESIS_RANDOM") is None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        case.validate_response(response, checks=checks)

    try:
        check()
    except Exception as exc:  # collected, so one run reports every operation
        failures.append(f"{operation.label} {fixed} {mode.value}: {exc}"[:2000])


@pytest.mark.django_db(transaction=True)
def test_no_operation_answers_a_server_error(server, ctx, project):
    from crm import records

    account = records.create(ctx, "account", data=BODIES["accounts"])
    custom = records.create(ctx, "project", data={"name": "Apollo", "budget": 1})
    record_ids = {
        "accounts": f"acc_{account.pk.hex}",
        "projects": str(custom.pk),
    }
    headers = {"Authorization": f"Bearer {pat(ctx, rate_limit=1_000_000)}"}
    schema = schemathesis.openapi.from_url(f"{server.url}/api/schema?format=json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for fixed in _variants(operation, record_ids):
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                _run(operation, fixed, mode, server.url, headers, failures)
    assert operations >= 40
    assert failures == []
