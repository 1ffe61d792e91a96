"""Sending Celery tasks by name, never raising.

Work is committed before its task is sent, and a beat sweep finds what a lost
message would have done, so a broker that is down costs only time: ``send``
logs it and returns False. A task registered in this process runs through
``apply_async``, which honours ``CELERY_TASK_ALWAYS_EAGER`` (no broker
configured: it runs in-process, at once); others go by name.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from celery import current_app

logger = logging.getLogger("crm")

#: A broker that is down costs the sending request well under a second.
RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}


def send(name: str, args: Sequence[Any] = (), *, expires: int | None = None) -> bool:
    """Send the task ``name``; False (and a log line) when the broker refuses."""
    options: dict[str, Any] = {"retry_policy": RETRY_POLICY}
    if expires is not None:
        options["expires"] = expires
    try:
        task = current_app.tasks.get(name)
        if task is not None:
            task.apply_async(args=list(args), **options)
        else:
            current_app.send_task(name, args=list(args), **options)
    except Exception:
        logger.warning("Could not send the task %s; a sweep will.", name, exc_info=True)
        return False
    return True
