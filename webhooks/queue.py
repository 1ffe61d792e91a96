"""Sending the webhook tasks: after the commit, by name, never raising.

A broker that is down loses nothing: the rows are committed and the beat
sweeps (``webhooks.dispatch``, ``webhooks.sweep``) find the work again. Without
a broker (``CELERY_TASK_ALWAYS_EAGER``) the task runs in-process.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from celery import current_app
from django.db import transaction

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
_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}


def send(name: str, args: Sequence[Any] = ()) -> bool:
    """Send one task now; False (and a log line) when the broker refuses."""
    try:
        app = current_app
        task = app.tasks.get(name)
        options = {"expires": EXPIRES, "retry_policy": _RETRY_POLICY}
        if task is not None:
            task.apply_async(args=list(args), **options)
        else:
            app.send_task(name, args=list(args), **options)
    except Exception:
        logger.warning(
            "Could not send the task %s; the periodic sweep will catch up.",
            name,
            exc_info=True,
        )
        return False
    return True


def on_commit(name: str, args: Sequence[Any] = ()) -> None:
    """Send one task once the current transaction commits."""
    transaction.on_commit(lambda: send(name, args))
