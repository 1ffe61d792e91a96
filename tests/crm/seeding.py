"""What the seed_demo tests share: the clock, the named team and a runner."""

import datetime as dt
import io

from django.core.management import call_command

NOW = dt.datetime(2026, 3, 16, 15, 30, tzinfo=dt.UTC)


TEAM_EMAILS = (
    "maya.patel@hotcrm.local",
    "liam.chen@hotcrm.local",
    "sofia.garcia@hotcrm.local",
    "noah.williams@hotcrm.local",
    "ava.johnson@hotcrm.local",
)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()
