"""Browser tests: pytest-playwright driving Debian's Chromium against the
live server. Where /usr/bin/chromium is missing they are skipped (with the
reason), or fail when HOTCRM_REQUIRE_SERVICES is set (CI);
``scripts/install-browser`` installs it (``make test`` calls it). Screenshots
go to test-artifacts/: the named ones of the tests, and one of every failing
test under test-artifacts/failures/ (pyproject's ``--screenshot`` option)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from accounts import access
from crm import records

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # playwright runs a loop
# A loaded CI machine is slower than a laptop: wait up to 10 s for the page.
expect.set_options(timeout=10_000)


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    reason = "needs Debian's Chromium: scripts/install-browser"
    if settings.REQUIRE_SERVICES and any(
        "tests/browser/" in str(item.fspath) for item in items
    ):
        raise pytest.UsageError(
            f"HOTCRM_REQUIRE_SERVICES is set: the browser tests {reason}"
        )
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-quic",
            "--no-first-run",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1360, "height": 860}}


@pytest.fixture
def shot(page):
    """Save a screenshot under test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return take


@pytest.fixture
def signed_in(page, live_server, transactional_db, workspace, owner):
    """A page signed in as the workspace's admin, through the login form."""
    from tests.conftest import PASSWORD

    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    return page


@pytest.fixture
def admin(workspace, owner):
    return access.context_for_user(owner, workspace)


@pytest.fixture
def pipeline(admin):
    """An account with three open deals."""
    acme = records.create(admin, "account", data={"name": "Acme Corp"})
    deals = {}
    for name, amount, stage in (
        ("Alpha", 1000, "prospecting"),
        ("Bravo", 5000, "proposal"),
        ("Charlie", 250, "proposal"),
    ):
        deals[name] = records.create(
            admin,
            "opportunity",
            data={
                "name": name,
                "amount": amount,
                "stage": stage,
                "close_date": "2026-06-30",
                "account": acme.pk,
            },
        )
    return acme, deals
