"""Sending the webhook tasks: after the commit, by name, never raising.

A broker that is down loses nothing: the rows are committed and the beat
sweeps (``webhooks.dispatch``, ``webhooks.sweep``) find the work again. Without
a broker (``CELERY_TASK_ALWAYS_EAGER``) the task runs in-process.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from crm import tasking

logger = logging.getLogger("webhooks")

DISPATCH = "webhooks.dispatch"
DELIVER = "webhooks.deliver"
SEND_DUE = "webhooks.send_due"
SWEEP = "webhooks.sweep"
CHECK_FAILING = "webhooks.check_failing"
PURGE = "webhooks.purge"

#: A triggered task not picked up within this many seconds is dropped: the
#: sweeps will have done its work by then.
EXPIRES = 600


def send(name: str, args: Sequence[Any] = ()) -> bool:
    """Send one task now; False (and a log line) when the broker refuses."""
    return tasking.send(name, args, expires=EXPIRES)


def on_commit(name: str, args: Sequence[Any] = ()) -> None:
    """Send one task once the current transaction commits."""
    transaction.on_commit(lambda: send(name, args))
