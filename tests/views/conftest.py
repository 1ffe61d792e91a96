"""Fixtures for the browser UI's view tests: signed-in clients per profile,
and a few records made through the lifecycle."""

from __future__ import annotations

import pytest

from crm import records
from tests.objects import define_project


@pytest.fixture
def admin_client(client, owner, ctx):
    client.force_login(owner)
    return client


@pytest.fixture
def rep_client(client, member, member_ctx):
    client.force_login(member)
    return client


@pytest.fixture
def viewer_client(client, read_only_ctx):
    client.force_login(read_only_ctx.user)
    return client


@pytest.fixture
def acme(ctx):
    return records.create(ctx, "account", data={"name": "Acme Corp"})


@pytest.fixture
def deals(ctx, acme):
    """Three open deals of Acme and one won, owned by the admin."""
    made = {}
    for name, amount, stage in (
        ("Alpha", 1000, "prospecting"),
        ("Bravo", 5000, "proposal"),
        ("Charlie", 250, "proposal"),
        ("Delta", 9000, "closed_won"),
    ):
        made[name] = records.create(
            ctx,
            "opportunity",
            data={
                "name": name,
                "amount": amount,
                "stage": stage,
                "close_date": "2026-06-30",
                "account": acme.pk,
            },
        )
    return made


@pytest.fixture
def project(ctx):
    """A custom object with a text, number, picklist and lookup field."""
    return define_project(
        ctx,
        {"name": "client", "label": "Client", "type": "lookup", "target": "account"},
    )
